# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side step: decide, per cluster, whether a change may happen now.

Documentation lives in plugins/modules/change_window.py.
"""

from __future__ import annotations

import getpass
import json
import os

from ansible.errors import AnsibleActionFail

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.windows import WindowError, decide, parse_now
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    index=dict(type="dict", required=True),
    mode=dict(type="str", choices=["drift", "rollout"], default="rollout"),
    correct=dict(type="bool", default=False),
    now=dict(type="str"),
    force_reason=dict(type="str"),
    record_file=dict(type="path"),
    playbook=dict(type="str"),
    outside=dict(type="str", choices=["fail", "skip"], default="fail"),
    locked_out=dict(type="list", elements="str", default=[]),
)


class ActionModule(ControllerAction):
    NAME = "change_window"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):
        reason = (args["force_reason"] or "").strip() or None
        try:
            now = parse_now(args["now"])
            decisions = decide(args["index"], now, correct=args["correct"], force_reason=reason, mode=args["mode"],
                               locked_out=args["locked_out"])
        except WindowError as exc:
            raise AnsibleActionFail("change_window: %s" % exc)
        result.update(changed=False, clusters=decisions, now=now.isoformat())
        if args["mode"] == "drift" and args["correct"] and args["locked_out"]:
            self._display.warning("checked, not corrected: another run holds the estate lock of %s (its lock task "
                                  "above names the run)" % ", ".join(sorted(args["locked_out"])))
        refused = sorted(n for n, d in decisions.items() if not d["allowed"])
        forced = sorted(n for n, d in decisions.items() if d["forced"])
        if args["mode"] == "rollout":
            result["skipped"] = refused if args["outside"] == "skip" else []
        if refused and args["mode"] == "rollout" and args["outside"] == "skip":
            # each site in its own window: the others go ahead, these wait for their next window
            self._display.warning("left out of this run, outside the change window: %s" % _refusals(refused, decisions, now))
        elif refused and self._task.check_mode and args["mode"] == "rollout":
            # --check is the preview for change approval: it may run at any time
            self._display.warning("outside the change window (check mode only previews): %s" % ", ".join(refused))
            result["outside_window"] = refused
        elif refused:
            result.update(failed=True, msg="outside the change window, nothing was changed: %s. Wait for the window, "
                                           "force with a recorded reason: -e \"impax_force_reason='<change ticket: why>'\", or "
                                           "leave such clusters out: -e impax_outside_window=skip"
                                           % _refusals(refused, decisions, now))
            return result
        if forced:
            record = {"time": now.isoformat(), "clusters": forced, "reason": reason, "user": _user(),
                      "check_mode": bool(self._task.check_mode), "mode": args["mode"]}
            if args["playbook"]:
                record["playbook"] = args["playbook"]
            result["forced"] = record
            self._display.warning("change forced outside the window of %s: %s" % (", ".join(forced), reason))
            if args["record_file"] and not self._task.check_mode:
                directory = os.path.dirname(args["record_file"])
                if directory:
                    os.makedirs(directory, exist_ok=True)
                with open(args["record_file"], "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, sort_keys=True) + "\n")
                result["record_file"] = args["record_file"]
        return result


def _refusals(refused, decisions, now):
    when = now.strftime("%a %Y-%m-%d %H:%M")
    return "; ".join("cluster %s (windows: %s; now %s UTC)" % (n, " | ".join(decisions[n]["windows"]), when) for n in refused)


def _user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
