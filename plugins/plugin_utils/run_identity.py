# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who this run is, as the estate lock shows it to other runs: one id for every task of one ansible-playbook run.

Actions run in workers forked from ansible-playbook, so the run is the worker's parent process; its start time
makes the id unique on this controller even when the process id is used again later.
"""

from __future__ import annotations

import getpass
import os
import socket


def _started(pid):
    """The process's start time (clock ticks after boot), or '' where /proc does not say."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def this_run():
    """{run_id, controller, pid, holder} of the ansible-playbook run this action belongs to."""
    controller = socket.gethostname()
    pid = os.getppid()
    try:
        user = getpass.getuser()
    except Exception:  # no user name (a container without a passwd entry)
        user = "uid %d" % os.getuid()
    return {"run_id": "%s-%d-%s" % (controller, pid, _started(pid) or "0"),
            "controller": controller, "pid": pid, "holder": "%s@%s" % (user, controller)}


def run_is_gone(pid):
    """True when no ansible-playbook runs as ``pid`` on this controller any more (ended, or its pid reused)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return b"ansible" not in handle.read()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
