# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action in front of every module that takes the plan's lists by reference (``from_plan``).

Each ``from_plan`` in the task's arguments - a reference from estate_plan's index, or (config_database's
mappings) a dict of them - is read on the controller, checked against its SHA-256 and sent to the module as
``content`` (module_utils/plan_reference). The module's result shows the reference without it.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import packed
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import leave_inherited_objects_alone
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import PlanSliceError, read_slice
from ansible_collections.impax.cluster_link.plugins.plugin_utils.run_identity import this_run


def _is_reference(value):
    return isinstance(value, dict) and "file" in value and "sha256" in value


def _references(args, resolve):
    """``args`` with each from_plan reference replaced by ``resolve(reference)``; a copy, the task's own
    arguments stay as they are."""
    out = {}
    for key, value in args.items():
        if key == "from_plan" and _is_reference(value):
            value = resolve(value)
        elif key == "from_plan" and isinstance(value, dict):
            value = dict((name, resolve(ref) if _is_reference(ref) else ref) for name, ref in value.items())
        elif isinstance(value, dict):
            value = _references(value, resolve)
        out[key] = value
    return out


def resolved(ref):
    """The reference with the slice's bytes as ``content``; PlanSliceError when it cannot be read or is not the
    one planned."""
    return dict(file=str(ref["file"]), sha256=str(ref["sha256"]), content=packed(read_slice(ref)))


def _shown(ref):
    return dict((k, v) for k, v in ref.items() if k != "content")


class PlanFedAction(ActionBase):

    def run(self, tmp=None, task_vars=None):
        leave_inherited_objects_alone()
        result = super(PlanFedAction, self).run(tmp, task_vars)
        try:
            args = _references(dict(self._task.args), resolved)
        except PlanSliceError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if isinstance(args.get("lock"), dict) and not args["lock"].get("run_id"):
            args["lock"] = dict(args["lock"], run_id=this_run()["run_id"])  # the estate lock of this very run
        result.update(self.run_module(args, task_vars))
        invocation = result.get("invocation")
        if isinstance(invocation, dict) and isinstance(invocation.get("module_args"), dict):
            invocation["module_args"] = _references(invocation["module_args"], _shown)
        return result

    def run_module(self, args, task_vars):
        """The module's result for ``args``; an action may find it without running the module."""
        return self._execute_module(module_args=args, task_vars=task_vars)
