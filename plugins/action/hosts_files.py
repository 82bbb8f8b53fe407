# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hosts_files: the estate hosts table as hosts files for machines Ansible does not manage (documentation:
plugins/modules/hosts_files.py). Rendered by the code hosts_block writes with; written on the controller only
when the bytes differ, atomically."""

from __future__ import annotations

import hashlib
import os

from ansible.errors import AnsibleActionFail

from ansible_collections.impax.cluster_link.plugins.module_utils.targets import hosts_file as hf
from ansible_collections.impax.cluster_link.plugins.plugin_utils.atomic_files import write_atomically
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import PlanSliceError, load_slice

# what each file starts with before the managed block: the loopback lines of a Debian and a Windows hosts file
FORMATS = {
    "posix": ("hosts", "\n", ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]),
    "windows": ("hosts.windows", "\r\n", ["127.0.0.1 localhost", "::1 localhost"]),
}

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    entries=dict(type="list", elements="dict"),
    from_plan=dict(type="dict", options=dict(file=dict(type="path", required=True),
                                             sha256=dict(type="str", required=True))),
    marker=dict(type="str", default=hf.DEFAULT_MARKER),
    formats=dict(type="list", elements="str", choices=sorted(FORMATS), default=["posix", "windows"]),
    mode=dict(type="raw", default="0644"),
    prune_except=dict(type="list", elements="str"),
)


def render(entries, marker, newline, head):
    return newline.join(head) + newline + newline + hf.render_block(entries, marker, newline)


class ActionModule(ControllerAction):
    NAME = "hosts_files"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):
        if (args["entries"] is None) == (args["from_plan"] is None):
            raise AnsibleActionFail("hosts_files: give entries or from_plan (one of them)")
        try:
            mode = int(str(args["mode"]), 8)
        except ValueError:
            raise AnsibleActionFail("hosts_files: mode must be octal, like 0644; got %r" % (args["mode"],))
        try:
            entries = args["entries"] if args["from_plan"] is None else load_slice(args["from_plan"])
            entries = hf.normalise_entries(entries)
        except (PlanSliceError, hf.HostsFileError) as exc:
            raise AnsibleActionFail("hosts_files: %s; nothing was written" % exc)
        dest = args["dest"]
        files, diffs = [], []
        for name in args["formats"]:
            filename, newline, head = FORMATS[name]
            path = os.path.join(dest, filename)
            data = render(entries, args["marker"], newline, head).encode("utf-8")
            try:
                with open(path, "rb") as handle:
                    old = handle.read()
            except FileNotFoundError:
                old = None
            changed = old != data or (old is not None and os.stat(path).st_mode & 0o7777 != mode)
            if changed and not self._task.check_mode:
                os.makedirs(dest, exist_ok=True)
                write_atomically(path, data, mode)
            if changed and self._task.diff and old != data:
                diffs.append({"before_header": path, "after_header": path, "before": (old or b"").decode("utf-8", "replace"),
                              "after": data.decode("utf-8")})
            files.append({"path": path, "format": name, "changed": changed, "sha256": hashlib.sha256(data).hexdigest()})
        result.update(changed=any(f["changed"] for f in files), files=files, entries=len(entries))
        if args["prune_except"] is not None:
            result["removed"] = self._prune(dest, set(args["prune_except"]))
            result["changed"] = result["changed"] or bool(result["removed"])
        if diffs:
            result["diff"] = diffs
        return result

    def _prune(self, dest, keep):
        """Remove the subdirectories of ``dest`` not in ``keep`` that hold only files this module writes."""
        ours = set(f[0] for f in FORMATS.values())
        removed = []
        try:
            subdirs = sorted((e for e in os.scandir(dest) if e.is_dir(follow_symlinks=False) and e.name not in keep),
                             key=lambda e: e.name)
        except FileNotFoundError:
            return removed
        for entry in subdirs:
            names = os.listdir(entry.path)
            if not names or not set(names) <= ours:
                continue  # not (only) ours: somebody else's directory
            if not self._task.check_mode:
                for name in names:
                    os.remove(os.path.join(entry.path, name))
                os.rmdir(entry.path)
            removed.append(entry.path)
        return removed
