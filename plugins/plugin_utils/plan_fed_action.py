# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action in front of the modules that take the plan's large lists (network_stations, source_stations,
mapping_rows, dicom_nodes, hosts_block; mapping_tables and config_database, one list per table).

Given ``from_plan`` (a reference from estate_plan's index), it reads the slice on the controller, checks its
hash and sends its text, compressed (plan_reference.packed), to the module in ``from_plan.content``; the module
(LargeListModule) checks the hash
again and takes the list as ``LIST_OPTION``. A task's own list of 100 items or more is sent the same way, as
its JSON text (plan_reference.list_as_text); a smaller one, or one holding values JSON has no type for, is
sent as it is.

An action that can (``probes``) first sends, in place of each slice, its fingerprint in the target's form
(module_utils/fingerprints, computed once per slice and kept beside it): a converged target is recognised by
the module without the list moving, being checked or put in the target's form. When a target differs the
module says so (``needs_content``), having changed nothing, and the action runs it again with the lists.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.impax.cluster_link.plugins.module_utils import fingerprints
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import exact_item
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import get_path, list_as_text, packed
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import leave_inherited_objects_alone
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import (
    PlanSliceError, derived, load_slice, read_slice)


def resolved_reference(ref):
    """The reference with the slice's text as ``content``; PlanSliceError when it cannot be read or is not the one
    planned. The slice travels as its text (one string for ansible-core to move, instead of thousands of objects it
    walks in Python on both sides); the module checks it against the SHA-256 again."""
    data = read_slice(ref)
    return dict(packed(data), file=str(ref["file"]), sha256=str(ref["sha256"]),
                drop_keys=[str(k) for k in ref.get("drop_keys") or ()])


def _put(args, path, value):
    """Set ``path`` in ``args``, copying each dict on the way (the task's own arguments stay as they are);
    ``value`` None removes it."""
    names = path.split(".")
    for name in names[:-1]:
        args[name] = dict(args.get(name) or {})
        args = args[name]
    if value is None:
        args.pop(names[-1], None)
    else:
        args[names[-1]] = value


def resolve_lists(args, pairs):
    """Resolve in ``args`` each (reference path, list path) of ``pairs``: a reference becomes the slice's checked
    text (resolved_reference), a task's own large list moves to the reference path as its text (list_as_text).
    Returns an error message (nothing is run then), or None."""
    for ref_path, list_path in pairs:
        ref, items = get_path(args, ref_path), get_path(args, list_path)
        if ref is not None:
            if items is not None:
                return "give %s or %s, not both" % (list_path, ref_path)
            try:
                _put(args, ref_path, resolved_reference(ref))
            except PlanSliceError as exc:
                return str(exc)
        else:
            # a task's own large list travels as one JSON text as well
            ref = list_as_text(items, "the task's %s" % list_path)
            if ref is not None:
                _put(args, list_path, None)
                _put(args, ref_path, ref)
    return None


def slice_probe(ref, name, form, options, protected, problems=None, prepare=None):
    """The probe standing for a slice's list (fingerprints.probe), or None when the module must see the list.
    ``name`` names the fingerprint kept beside the slice: it must change with the code and the target's form."""
    if not isinstance(ref, dict) or not ref.get("file") or not ref.get("sha256"):
        return None
    value = derived(ref, name, lambda: fingerprints.wanted(
        form, load_slice(ref, ref.get("drop_keys") or ()), lambda item: exact_item(options, item), problems, prepare))
    return fingerprints.probe(value["fingerprint"], value["keys"], protected) if value else None


class PlanFedAction(ActionBase):
    LIST_OPTION = "config"

    def lists(self):
        """(reference path, list path) of each list the module takes from the plan; dotted for a suboption."""
        return [("from_plan", self.LIST_OPTION)]

    def probes(self, args):
        """{reference path: probe} for the slices the module may find its target already holds exactly
        (slice_probe); raises PlanSliceError, ValueError, TypeError... for arguments the module must judge."""
        return {}

    def run(self, tmp=None, task_vars=None):
        leave_inherited_objects_alone()
        result = super(PlanFedAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            probes = self.probes(args) if args.get("state") in fingerprints.PROBED_STATES else {}
        except (PlanSliceError, ValueError, TypeError, KeyError, AttributeError):
            probes = {}  # the lists go to the module, which reports what is wrong with them
        if probes:
            probing = dict(args)
            for path, probe in probes.items():
                _put(probing, path, probe)
            if resolve_lists(probing, [pair for pair in self.lists() if pair[0] not in probes]) is None:
                out = self.run_with_list(probing, task_vars)
                if not out.get("needs_content"):
                    result.update(out)
                    return result
        error = resolve_lists(args, self.lists())
        if error:
            result.update(failed=True, msg=error)
            return result
        result.update(self.run_with_list(args, task_vars))
        return result

    def run_with_list(self, args, task_vars):
        """The module's result for ``args``; an action may find it without running the module."""
        return self._execute_module(module_args=args, task_vars=task_vars)
