# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action in front of the modules that take the plan's large lists (network_stations, source_stations,
mapping_rows, dicom_nodes, hosts_block).

Given ``from_plan`` (a reference from estate_plan's index), it reads the list on the controller, checks its
hash and runs the module with the list as ``LIST_OPTION``; without it the module runs exactly as called.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import PlanSliceError, load_slice


class PlanFedAction(ActionBase):
    LIST_OPTION = "config"

    def run(self, tmp=None, task_vars=None):
        result = super(PlanFedAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        ref = args.pop("from_plan", None)
        if ref is not None:
            if args.get(self.LIST_OPTION) is not None:
                result.update(failed=True, msg="give %s or from_plan, not both" % self.LIST_OPTION)
                return result
            try:
                args[self.LIST_OPTION] = load_slice(ref, (ref or {}).get("drop_keys") or ())
            except PlanSliceError as exc:
                result.update(failed=True, msg=str(exc))
                return result
        result.update(self.run_with_list(args, task_vars))
        return result

    def run_with_list(self, args, task_vars):
        """The module's result for ``args`` (the list in place); an action may find it without running the module."""
        return self._execute_module(module_args=args, task_vars=task_vars)
