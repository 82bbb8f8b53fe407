# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the hosts_block module; reads O(entries) from the plan on the controller when given O(from_plan).

A node is decided on the controller first: one ``cat`` of the file over the open connection, then the module's
own code (``hosts_file.Outcome``) on the arguments as the module's argument spec returns them (the plan's table
was checked when the planner wrote it). Only when that decision is "nothing to write, nothing
to report" does the action answer for the module, with the module's result; anything else (a change, a conflict,
a refusal, a file that cannot be read that way, arguments the module would refuse) runs the module, which reads
the file again and decides on its own. Why: a module run per node costs Python start-up on the node and moving
the whole table there, for a file that is, in a converged estate, already right.
"""

from __future__ import annotations

import base64
import shlex
import zlib

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import slice_items
from ansible_collections.impax.cluster_link.plugins.module_utils.targets import hosts_file as hf
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction

_OPTIONS = dict(hf.BLOCK_OPTIONS, path=dict(hf.BLOCK_OPTIONS["path"], type="str"))
_WITH_ENTRIES = ArgumentSpecValidator(dict(_OPTIONS, entries=dict(type="list", elements="dict", options=hf.ENTRY_OPTIONS)))
_WITHOUT_ENTRIES = ArgumentSpecValidator(_OPTIONS)


class ActionModule(PlanFedAction):

    def run_module(self, args, task_vars):
        known = self._decided_on_controller(args)
        return known if known is not None else super(ActionModule, self).run_module(args, task_vars)

    def _decided_on_controller(self, args):
        """The module's result when the controller can tell the node is converged, else None."""
        ref = args.get("from_plan")
        if ref is not None and args.get("entries") is not None:
            return None  # the module says why
        validator = _WITHOUT_ENTRIES if ref is not None else _WITH_ENTRIES
        validation = validator.validate(dict((k, v) for k, v in args.items() if k != "from_plan"))
        params = validation.validated_parameters
        if validation.error_messages or params["state"] != "present" or not params["path"].startswith("/"):
            return None
        text = self._read(params["path"])
        if text is None:
            return None
        try:
            if ref is not None:
                entries = slice_items(zlib.decompress(base64.b64decode(ref["content"])), None)
            else:
                entries = params["entries"] or []
            outcome = hf.Outcome(text, entries, "present", params["marker"], params["own_hostname"], params["own_ip"])
        except (hf.HostsFileError, ValueError, TypeError, zlib.error):
            return None
        if outcome.changed or outcome.conflicts or outcome.refusals:
            return None
        result = dict(outcome.result(), decided_on_controller=True)
        if self._task.diff:
            result["diff"] = {"before": text, "after": outcome.new_text, "before_header": params["path"],
                              "after_header": params["path"]}
        return result

    def _read(self, path):
        """The file's text as the module would read it, or None when it cannot be read that way."""
        try:
            res = self._low_level_execute_command("cat -- %s" % shlex.quote(path), encoding_errors="strict")
        except UnicodeDecodeError:
            return None
        return res["stdout"] if res.get("rc") == 0 else None
