# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one driver every list module runs: read -> plan -> apply -> read back.

A module names the *parts* it reconciles (one list resource each: a table, a registry) and the *target* that
holds them; the driver reads every part once, plans each with the reconcile engine, returns the same
``changed``/``commands``/``diff`` in check mode and in a real run, and only in a real run applies every part's
operations together and reads back what it wrote. A new target implements ``Target`` and nothing else.
"""

from __future__ import annotations

import collections

from ansible_collections.impax.cluster_link.plugins.module_utils import reconcile


class TargetError(Exception):
    """A target that could not be reached (``unreachable``) or that refused; nothing more was written."""

    def __init__(self, message, unreachable=False):
        super(TargetError, self).__init__(message)
        self.unreachable = unreachable


# One list a call reconciles: its key in results, its name in messages, its resource, the wanted items (None: not
# given), the keys never deleted, whether an empty list may empty it, the most it may delete, and extra(ops) for
# module-specific result keys (Network Management's linking_changed).
Part = collections.namedtuple("Part", "key where resource want protected allow_empty max_deletions extra",
                              defaults=(None,))


class Target(object):
    """What a target implements. ``counter`` names the count the module reports (statements, HTTP calls)."""

    counter = "calls"
    noun = "the target"  # in messages: "<noun> holds something else than what was written"

    def open(self, parts, writing):
        """Connect; with ``writing``, keep other writers of these parts out until ``apply`` is done."""

    def read(self, part):
        """The part's objects as the target holds them, complete (``resource.full_normal`` form)."""
        raise NotImplementedError

    def commands(self, part, ops):
        """What ``apply`` would send for the part's operations, one entry per operation (shown, never parsed)."""
        return [op.as_command() for op in ops]

    def apply(self, planned):
        """Write every [(part, ops)], together where the target can (one transaction)."""
        raise NotImplementedError

    def read_back(self, part, ops):
        """The objects ``ops`` touched, as the target holds them now; None when the target cannot tell."""
        return None

    def count(self):
        return 0

    def close(self):
        """Release the connection, undoing anything not applied."""


def rendered(part):
    """The part's objects with defaults filled in, sorted; refuses duplicate keys."""
    items = reconcile.sort_items(part.resource, [part.resource.full_normal(i) for i in part.want or []])
    part.resource.index(items, "config")
    return items


def run(module, target, parts, name):
    """Reconcile ``parts`` on ``target`` as ``module.params['state']`` asks; returns what the module reports.

    ``{"gathered": {key: items}}`` for gathered, else ``{"results": {key: result}, "changed": bool}`` (and
    ``refused``: what a real run would refuse, in check mode); always with the target's counter. A refused plan or
    a target error fails the module naming the part (``name`` when no part is at fault) - before anything was
    written: every part is read and planned before the first write.
    """
    state = module.params["state"]
    writing = state in reconcile.ACTION_STATES and not module.check_mode
    where = None
    out = {}
    try:
        target.open(parts, writing)
        if state == "gathered":
            out["gathered"] = dict((part.key, reconcile.sort_items(part.resource, target.read(part))) for part in parts)
        else:
            planned, out["results"] = [], {}
            for part in parts:
                where = part.where
                have = target.read(part)
                try:
                    ops = reconcile.plan(part.resource, part.want or [], have, state, protected=part.protected,
                                         allow_empty=part.allow_empty, max_deletions=part.max_deletions, have_normal=True)
                    refused = None
                except reconcile.DeletionLimit as exc:
                    if writing:
                        raise
                    # check mode shows the whole plan and marks what the real run refuses
                    ops, refused = exc.ops, "%s: %s" % (part.where, exc)
                result = reconcile.result(part.resource, state, have, ops)
                if refused:
                    result["refused"] = refused
                    out.setdefault("refused", []).append(refused)
                    module.warn("a real run refuses this: %s" % refused)
                result["commands"] = target.commands(part, ops)
                if part.extra:
                    result.update(part.extra(ops))
                if module._diff:
                    result["diff"] = reconcile.diff(part.resource, result["before"], result["after"])
                out["results"][part.key] = result
                planned.append((part, ops))
            where = None
            changes = [(part, ops) for part, ops in planned if ops]
            if changes and writing:
                target.apply(changes)
                for part, ops in changes:
                    where = part.where
                    _check_written(module, target, part, ops, out["results"][part.key])
            out["changed"] = bool(changes)
    except reconcile.ReconcileError as exc:
        module.fail_json(msg="%s: %s; nothing was written" % (where or name, exc), **{target.counter: target.count()})
    except TargetError as exc:
        module.fail_json(msg="%s: %s" % (where or name, exc), service_unreachable=exc.unreachable,
                         **{target.counter: target.count()})
    finally:
        target.close()
    out[target.counter] = target.count()
    return out


def _check_written(module, target, part, ops, result):
    """Warn, with the stored objects in ``after``, when the target holds something else than what was written (a
    table profile or a target that rewrites values: a normalisation to fix)."""
    actual = target.read_back(part, ops)
    if actual is None:
        return
    touched = set(op.key for op in ops)
    actual = reconcile.sort_items(part.resource, [i for i in actual if part.resource.key_of(i) in touched])
    predicted = reconcile.sort_items(part.resource, [op.after for op in ops if op.action != "delete"])
    if actual != predicted:
        fields = reconcile.changed_fields(reconcile.diff(part.resource, predicted, [])["before"],
                                          reconcile.diff(part.resource, actual, [])["before"])
        module.warn("%s: %s holds something else than what was written (a normalisation to fix): %s"
                    % (part.where, target.noun, fields))
        result["after"] = actual


def diffs(module, results, parts):
    """One diff per part, headed by its name (the callback prints each), taken out of each part's result."""
    if not module._diff:
        return {}
    return {"diff": [dict(results[part.key].pop("diff"), before_header=part.where, after_header=part.where)
                     for part in parts]}
