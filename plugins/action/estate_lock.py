# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""estate_lock's controller side: who this run is, waiting for another run's lock, and recognising a run of this
controller that is gone (its ansible-playbook process ended without giving the lock up)."""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase

from ansible_collections.impax.cluster_link.plugins.plugin_utils.run_identity import run_is_gone, this_run


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        for key, value in this_run().items():  # who this run is, unless the task says
            if args.get(key) is None:
                args[key] = value
        controller = args["controller"]
        wait, poll = int(args.get("wait") or 0), max(1, int(args.get("poll") or 5))
        waiting_since = time.monotonic()
        while True:
            outcome = self._execute_module(module_name="impax.cluster_link.estate_lock", module_args=args,
                                           task_vars=task_vars)
            if outcome.get("failed") or outcome.get("outcome") != "held" or self._task.check_mode:
                break
            other = outcome.get("held_by") or {}
            if other.get("controller") == controller and other.get("pid") and other.get("run_id") != args.get("take_over") \
                    and run_is_gone(int(other["pid"])):
                args["take_over"] = other["run_id"]  # a run of this controller that ended: take its lock now
                continue
            if time.monotonic() - waiting_since + poll > wait:
                break
            time.sleep(poll)
        outcome["waited"] = int(time.monotonic() - waiting_since) if outcome.get("outcome") == "held" or wait else 0
        if outcome.get("outcome") == "held" and args.get("must_hold", True) and not self._task.check_mode:
            other = outcome["held_by"]
            outcome.update(failed=True, msg=(
                "the estate lock of %s is held by run %s (%s, %s, started %s; lease until %s)%s: another run is changing "
                "this cluster. Wait for it and run again (-e impax_lock_wait=<seconds> waits), or, if that run is gone "
                "from another controller, -e impax_lock_take_over=%s takes its lock over (docs/operations.md)"
                % (args.get("cluster") or "this cluster", other["run_id"], other["holder"], other["playbook"],
                   other["since"], other["expires"], "; waited %d s" % outcome["waited"] if wait else "",
                   other["run_id"])))
        elif outcome.get("outcome") == "held" and self._task.check_mode:
            outcome.setdefault("warnings", []).append(
                "the estate lock of %s is held by run %s (%s, %s): a real run would wait for it"
                % (args.get("cluster") or "this cluster", outcome["held_by"]["run_id"], outcome["held_by"]["holder"],
                   outcome["held_by"]["playbook"]))
        result.update(outcome)
        return result
