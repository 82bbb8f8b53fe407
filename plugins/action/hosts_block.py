# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the hosts_block module; reads O(entries) from the plan on the controller when given O(from_plan).

A converged node is found without running the module: the action reads the hosts file with one ``cat`` over the
open connection and decides on the controller with the module's own code (``hosts_file.Outcome``). Only when
that decision is "nothing to write, nothing to report" does the action answer for the module - the same result
the module returns. Anything else (a change, a conflict, a refusal, an unreadable file, arguments that are not
exactly what the module's argument spec returns) runs the module, which reads the file again and decides on
its own. ``state=gathered`` is read the same way.
From a plan slice the table is checked and rendered once (its digest and count kept beside the slice,
plan_slices.derived), and a node whose block already is that table is decided from its file alone
(``hosts_file.Outcome.of_converged``): a converged estate of thousands of entries costs each node one ``cat``.

Why: on a large estate the module run per node costs Python start-up, moving the whole table to the node and
checking it there - for a file that is, in a converged estate, already right (bench/rollout_scale.py).
"""

from __future__ import annotations

import json
import shlex
import zlib

from ansible_collections.impax.cluster_link.plugins.module_utils import large_lists
from ansible_collections.impax.cluster_link.plugins.module_utils.estate import names
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import exact_item
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import content_bytes, slice_items
from ansible_collections.impax.cluster_link.plugins.module_utils.targets import hosts_file as hf
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import code_digest, derived

# the module's options besides its list, checked exactly as for its list (a path as the string it is)
_OPTIONS = dict(hf.BLOCK_OPTIONS, path=dict(hf.BLOCK_OPTIONS["path"], type="str"))
# A plan table's summary (hf.table_summary) is kept beside its slice under a name that changes with the code
# that checks, normalises and renders entries
_SUMMARY = "hosts-block-" + code_digest(hf, large_lists, names)


def _plain(value):
    """``value`` as the module receives it: JSON types, without Ansible's tags; None when it has no such form."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return None


class ActionModule(PlanFedAction):
    LIST_OPTION = "entries"

    def run_with_list(self, args, task_vars):
        known = self._decided_on_controller(args)
        return known if known is not None else super(ActionModule, self).run_with_list(args, task_vars)

    def _decided_on_controller(self, args):
        """The module's result when the controller can tell the node is converged (or for gathered), else None."""
        # anything the module's argument spec would convert, fill or refuse: the module decides and says why
        params = exact_item(_OPTIONS, _plain(dict((k, v) for k, v in args.items()
                                                  if k not in (self.LIST_OPTION, "from_plan"))))
        if params is None or params["state"] == "absent" or not params["path"].startswith("/"):
            return None
        ref = args.get("from_plan")  # PlanFedAction read and checked it: its text, and the slice's file
        if ref is None and params["state"] == "present":
            entries = self._entries(args.get(self.LIST_OPTION) or [])
            if entries is None:
                return None
        text = self._read(params["path"])
        if text is None:
            return None
        try:
            if params["state"] == "gathered":
                return dict(changed=False, gathered=hf.HostsFile(text, params["marker"]).managed_entries(),
                            decided_on_controller=True)
            own = (params["marker"], params["own_hostname"], params["own_ip"])
            outcome = None
            if ref is not None:
                # the plan's table is the same for every node: validated and rendered once, then each node's
                # block is compared with it (a converged block, by far the usual case, is decided from the file)
                summary = derived(ref, _SUMMARY, lambda: self._summary(ref))
                if summary is None:
                    return None
                outcome = hf.Outcome.of_converged(text, summary, *own)
                if outcome is None:
                    entries = self._entries(self._slice_items(ref))
                    if entries is None:
                        return None
            if outcome is None:
                outcome = hf.Outcome(text, entries, "present", *own)
        except hf.HostsFileError:
            return None
        if outcome.changed or outcome.conflicts or outcome.refusals:
            return None
        result = dict(outcome.result(), decided_on_controller=True)
        if self._task.diff:
            result["diff"] = {"before": text, "after": outcome.new_text, "before_header": params["path"],
                              "after_header": params["path"]}
        return result

    @staticmethod
    def _slice_items(ref):
        try:
            return slice_items(content_bytes(ref), None, ref["drop_keys"])
        except (KeyError, AttributeError, ValueError, TypeError, zlib.error):
            return None

    @staticmethod
    def _entries(items):
        """The entries as the module's argument spec returns them, or None when it would convert or refuse any."""
        if not isinstance(items, list):
            return None
        entries = []
        for item in items:
            # a task's own list holds Ansible's tagged strings: checked as the module would receive it
            exact = exact_item(hf.ENTRY_OPTIONS, item) or exact_item(hf.ENTRY_OPTIONS, _plain(item))
            if exact is None:
                return None
            entries.append(exact)
        return entries

    def _summary(self, ref):
        entries = self._entries(self._slice_items(ref))
        try:
            return hf.table_summary(hf.normalise_entries(entries)) if entries is not None else None
        except hf.HostsFileError:
            return None

    def _read(self, path):
        """The file's text as the module would read it, or None when it cannot be read that way."""
        try:
            res = self._low_level_execute_command("cat -- %s" % shlex.quote(path), encoding_errors="strict")
        except UnicodeDecodeError:
            return None
        return res["stdout"] if res.get("rc") == 0 else None
