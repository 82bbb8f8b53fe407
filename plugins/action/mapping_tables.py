# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the mapping_tables module; reads each table's rows from the plan on the controller (O(from_plan)).

The same as PlanFedAction, once per table: a table's slice (or the task's own list of 100 rows or more) travels
to the module as its JSON text under ``from_plan.<table>.content``.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import list_as_text
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import resolved_reference
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import PlanSliceError


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        refs = dict(args.get("from_plan") or {})
        config = dict(args.get("config") or {})
        for table in sorted(set(refs) & set(config)):
            if refs[table] is not None and config[table] is not None:
                result.update(failed=True, msg="give %s in config or in from_plan, not both" % table)
                return result
        try:
            for table, ref in sorted(refs.items()):
                if ref is not None:
                    refs[table] = resolved_reference(ref)
        except PlanSliceError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        for table, rows in sorted(config.items()):
            ref = list_as_text(rows, "the task's config.%s" % table)
            if ref is not None:
                del config[table]
                refs[table] = ref
        if "config" in args:
            args["config"] = config
        if refs:
            args["from_plan"] = refs
        result.update(self._execute_module(module_args=args, task_vars=task_vars))
        return result
