# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A list's fingerprint in a target's own form: how a module recognises a converged target without the list.

Why: in a converged re-run of a large estate, the database and gateway tasks spent most of their time moving,
checking and putting in the target's form thousands of objects the target already held (bench/rollout_scale.py).
The action plugin computes the fingerprint of a plan slice once (``wanted``, kept beside the slice by
plan_slices.derived) and sends the module a *probe* in place of the list (``probe``): the fingerprint, and the
protected keys the list does not hold. The module reads the target as always and fingerprints what it read
(``rows_match`` / ``records_match``): equal, the target holds exactly the list and there is nothing to do; else
the module asks for the list (``needs_content``) and the action runs it again with the list, the usual way.

Sound: the fingerprint is the SHA-256 of the records' JSON text, by key; equal fingerprints mean the target's
records are, one for one, the wanted objects in the target's form - what reconcile.unchanged() accepts as "no
operation" under state overridden (records the target may keep: the protected keys the list does not name).
A probe is only made for a list the module would accept as it is (every item exactly as its argument spec
returns it, the module's own rules met): anything else is sent and checked the usual way, with its messages.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import exact_items

# the states whose "nothing to do" is "the target holds exactly the list" (replaced keeps other objects: its
# converged targets would not match, and would pay a second module run each time)
PROBED_STATES = ("overridden",)
_TEXT = json.JSONEncoder(sort_keys=True, allow_nan=False, separators=(",", ":")).encode


class NoFingerprint(ValueError):
    """A value JSON cannot hold as it is (the records are then compared the usual way)."""


def of_records(records):
    """The fingerprint of ``records``: {key: record} (a record: a row tuple, or a dict of a target's fields) with
    text keys."""
    try:
        return hashlib.sha256(_TEXT(sorted(records.items())).encode("utf-8")).hexdigest()
    except (TypeError, ValueError) as exc:  # a key or a value JSON has no type for
        raise NoFingerprint(str(exc))


def probe(fingerprint, wanted_keys, protected):
    """What the action sends in place of the list: the fingerprint, and the protected keys the list does not
    hold (objects the module may find and leave alone)."""
    wanted = set(wanted_keys)
    return {"fingerprint": fingerprint, "keep": sorted(set(str(k) for k in protected or ()) - wanted)}


def _matches(probe_value, records, protected):
    keep = set(probe_value.get("keep") or ()) & set(protected or ())  # only what the module itself may keep
    if keep:
        records = dict((key, record) for key, record in records.items() if key not in keep)
    try:
        return of_records(records) == probe_value.get("fingerprint")
    except NoFingerprint:
        return False


def rows_match(probe_value, row_form, rows, protected):
    """True when a table's ``rows`` (as read) are exactly the probed list (RowForm: config_db)."""
    records = row_form.records(rows) if row_form.usable else None
    return records is not None and _matches(probe_value, records, protected)


def records_match(probe_value, records, protected):
    """True when a target's ``records`` ({key: record}, as read) are exactly the probed list."""
    return isinstance(records, dict) and _matches(probe_value, records, protected)


def wanted(form, items, exact, problems=None, prepare=None):
    """{"fingerprint", "keys"} of the wanted ``items`` in a target's form, or None when the module must see them.

    ``form`` puts an item in the target's form (RowForm or RecordForm: ``keyed(item)``, ``complete(record)``);
    ``exact(item)`` gives the item as the module's argument spec would return it, or None
    (large_lists.exact_item); ``problems(items)`` lists what the module's own rules refuse and ``prepare(items)``
    does what the module does to them before comparing. Computed on the controller, once per plan slice.
    """
    if not isinstance(items, list) or not items:
        return None
    checked = exact_items(exact, items)
    if checked is None or (problems is not None and problems(checked)):
        return None
    records = {}
    for item in prepare(checked) if prepare is not None else checked:
        key, record = form.keyed(item)
        if key is None or key in records or not form.complete(record):
            return None
        records[key] = record
    if not all(key.__class__ is str for key in records):
        return None  # protected keys are strings: a list keyed otherwise is compared the usual way
    try:
        return {"fingerprint": of_records(records), "keys": sorted(records)}
    except NoFingerprint:
        return None
