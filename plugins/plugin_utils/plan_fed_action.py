# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action in front of the modules that take the plan's large lists (network_stations, source_stations,
mapping_rows, dicom_nodes, hosts_block; mapping_tables does the same per table).

Given ``from_plan`` (a reference from estate_plan's index), it reads the slice on the controller, checks its
hash and sends its text to the module in ``from_plan.content``; the module (LargeListModule) checks the hash
again and takes the list as ``LIST_OPTION``. A task's own list of 100 items or more is sent the same way, as
its JSON text (plan_reference.list_as_text); a smaller one, or one holding values JSON has no type for, is
sent as it is.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import list_as_text
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import PlanSliceError, read_slice


def resolved_reference(ref):
    """The reference with the slice's text as ``content``; PlanSliceError when it cannot be read or is not the one
    planned. The slice travels as its text (one string for ansible-core to move, instead of thousands of objects it
    walks in Python on both sides); the module checks it against the SHA-256 again."""
    data = read_slice(ref)
    return {"file": str(ref["file"]), "sha256": str(ref["sha256"]),
            "drop_keys": [str(k) for k in ref.get("drop_keys") or ()], "content": data.decode("utf-8")}


class PlanFedAction(ActionBase):
    LIST_OPTION = "config"

    def run(self, tmp=None, task_vars=None):
        result = super(PlanFedAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        ref = args.get("from_plan")
        if ref is not None:
            if args.get(self.LIST_OPTION) is not None:
                result.update(failed=True, msg="give %s or from_plan, not both" % self.LIST_OPTION)
                return result
            try:
                args["from_plan"] = resolved_reference(ref)
            except PlanSliceError as exc:
                result.update(failed=True, msg=str(exc))
                return result
        else:
            # a task's own large list travels as one JSON text as well
            ref = list_as_text(args.get(self.LIST_OPTION), "the task's %s" % self.LIST_OPTION)
            if ref is not None:
                del args[self.LIST_OPTION]
                args["from_plan"] = ref
        result.update(self.run_with_list(args, task_vars))
        return result

    def run_with_list(self, args, task_vars):
        """The module's result for ``args``; an action may find it without running the module."""
        return self._execute_module(module_args=args, task_vars=task_vars)
