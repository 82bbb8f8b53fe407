# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every configuration-database list module shares: options and the run.

A module declares its resource and its profile entry and calls ``run``; the
reconcile engine plans, this file reads and writes through the table profile.
Check mode runs the same code and skips only the writes.
"""

from __future__ import annotations

import collections
import copy

from ansible_collections.impax.cluster_link.plugins.module_utils import fingerprints, reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN, refuse_unresolved
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import argspec
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import (
    REFERENCE_PROFILE, ConfigDbError, Database, Dialect, RowForm, TableMap)

DATABASE_OPTIONS = dict(
    engine=dict(type="str", choices=["sqlite", "postgresql", "oracle"], default="sqlite"),
    path=dict(type="path"),
    host=dict(type="str"),
    port=dict(type="int"),
    name=dict(type="str"),
    user=dict(type="str"),
    password=dict(type="str", no_log=True),
    dsn=dict(type="str"),
    sslmode=dict(type="str", default="verify-full",
                 choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
    sslrootcert=dict(type="path"),
    timeout=dict(type="int", default=30),
)


# Up to this many operations, the check after a write reads back only the rows written.
READ_BACK_BY_KEY = 500


def common_argument_spec(resource):
    return dict(
        config=dict(type="list", elements="dict", options=argspec(resource)),
        from_plan=FROM_PLAN,
        state=dict(type="str", default="merged", choices=list(reconcile.STATES)),
        database=dict(type="dict", options=copy.deepcopy(DATABASE_OPTIONS)),
        profile=dict(type="dict"),
        protected=dict(type="list", elements="str", default=[]),
        allow_empty=dict(type="bool", default=False),
        max_deletions=dict(type="int"),
    )


def required_if():
    return [("state", state, ("config",)) for state in ("merged", "replaced", "deleted", "rendered")] + \
        [("state", state, ("database",)) for state in ("merged", "replaced", "overridden", "deleted", "gathered")]


def _commands(ops, statements):
    return [dict(op.as_command(), sql=sql, params=params) for op, (sql, params) in zip(ops, statements)]


def _converged(table, want, rows, state, protected):
    """True when the rows already are what ``want`` asks (replaced/overridden): recognised in row form, the common
    case of a converged re-run, without reading every row back into an object (config_db.RowForm)."""
    if state not in ("replaced", "overridden") or not want:
        return False
    form = RowForm(table)
    if not form.usable:
        return False
    records = form.records(rows)
    return records is not None and reconcile.unchanged(form, want, records, state, protected)


def table_map(module, resource, profile_key):
    """The TableMap of ``profile_key`` in the module's profile, for its database engine; fails the module on a
    profile without that entry or with an unusable one."""
    profile = module.params["profile"] or REFERENCE_PROFILE
    if profile_key not in profile:
        module.fail_json(msg="the table profile has no entry for %s" % profile_key)
    try:
        dialect = Dialect((module.params["database"] or {}).get("engine") or "sqlite")
        return TableMap(resource, profile[profile_key], dialect)
    except ConfigDbError as exc:
        module.fail_json(msg=str(exc))


def rendered(resource, table, want):
    """What state=rendered returns for one table: the rows as stored and the INSERTs that would create them."""
    items = reconcile.sort_items(resource, [resource.full_normal(i) for i in want])
    resource.index(items, "config")
    return items, [dict(zip(("sql", "params"), table.insert(item))) for item in items]


def gathered(resource, table, rows):
    return reconcile.sort_items(resource, [resource.full_normal(table.row_to_item(r)) for r in rows])


class ContentNeeded(Exception):
    """A probed list (fingerprints) the table does not hold exactly: the module asks its action for the list."""


def reconcile_table(module, db, cursor, resource, table, want, extra=None, protected=None, allow_empty=None,
                    probe=None):
    """Read ``table`` once in the open transaction and plan it: (ops, statements, result). Raises
    ReconcileError for a plan that must not run (a guard, a missing field), ContentNeeded when the table is not
    exactly the ``probe``'s list. ``protected`` and ``allow_empty`` default to the module's options of those
    names."""
    params = module.params
    protected = params.get("protected") or [] if protected is None else protected
    allow_empty = params["allow_empty"] if allow_empty is None else allow_empty
    rows = db.read_rows(cursor, table)
    if probe is not None:
        if params["state"] not in fingerprints.PROBED_STATES or \
                not fingerprints.rows_match(probe, RowForm(table), rows, protected):
            raise ContentNeeded()
        have, ops = rows, []  # exactly the list: of the rows only their number is reported
    elif _converged(table, want, rows, params["state"], protected):
        have, ops = rows, []  # of the rows only their number is reported
    else:
        have = [table.row_to_item(r) for r in rows]
        ops = reconcile.plan(resource, want, have, params["state"], protected=protected,
                             allow_empty=allow_empty, max_deletions=params["max_deletions"])
    statements = table.statements(ops)
    result = reconcile.result(resource, params["state"], have, ops, extra(ops) if extra else None)
    result["commands"] = _commands(ops, statements)
    if module._diff:
        result["diff"] = reconcile.diff(resource, result["before"], result["after"])
    return ops, statements, result


def check_written(module, db, cursor, resource, table, ops, result, label=None):
    """Read back what was written (by key; the whole table when the write was large) and warn (naming ``label``,
    else the resource), with the actual rows in ``after``, when the database holds something else than what was
    written."""
    touched_items = [op.after or op.before for op in ops]
    rows = db.read(cursor, table, only=touched_items if len(ops) <= READ_BACK_BY_KEY else None)
    touched = set(op.key for op in ops)
    actual = [resource.full_normal(i) for i in rows]
    actual = [i for i in actual if resource.key_of(i) in touched]
    predicted = reconcile.sort_items(resource, [op.after for op in ops if op.action != "delete"])
    if reconcile.sort_items(resource, actual) != predicted:
        fields = reconcile.changed_fields(reconcile.diff(resource, predicted, [])["before"],
                                          reconcile.diff(resource, actual, [])["before"])
        module.warn("%s: the database holds something else than what was written; the table profile or "
                    "the database rewrites values (normalisation to fix): %s" % (label or resource.name, fields))
        result["after"] = reconcile.sort_items(resource, actual)


def run(module, resource, profile_key, extra=None):
    """Read once, plan, write the differences in one transaction (not in check mode), verify.

    ``extra(ops)`` may add module-specific keys to the result (e.g. linking_changed).
    """
    refuse_unresolved(module)
    params = module.params
    state = params["state"]
    want = params["config"] or []
    table = table_map(module, resource, profile_key)

    if state == "rendered":  # offline: the rows and the INSERTs that would create them
        try:
            items, commands = rendered(resource, table, want)
        except reconcile.ReconcileError as exc:
            module.fail_json(msg=str(exc))
        module.exit_json(changed=False, rendered=items, commands=commands)

    db = Database(params["database"] or {})
    result = {}
    try:
        db.connect()
        writing = state in reconcile.ACTION_STATES and not module.check_mode
        cursor = db.begin(table.table, lock=writing)
        if state == "gathered":
            rows = db.read_rows(cursor, table)
            db.rollback()
            module.exit_json(changed=False, gathered=gathered(resource, table, rows), statements_executed=db.executed)
        ops, statements, result = reconcile_table(module, db, cursor, resource, table, want, extra)
        if ops and writing:
            db.apply(cursor, statements)
            cursor = db.begin(table.table, lock=False)
            check_written(module, db, cursor, resource, table, ops, result)
        db.rollback()
        result["statements_executed"] = db.executed
    except reconcile.ReconcileError as exc:
        db.rollback()
        module.fail_json(msg=str(exc), statements_executed=db.executed)
    except ConfigDbError as exc:
        module.fail_json(msg="%s: %s" % (resource.name, exc), statements_executed=db.executed,
                         commands=result.get("commands"), before=result.get("before"),
                         service_unreachable=exc.unreachable)
    finally:
        db.close()
    module.exit_json(**result)


# One table of a call that reconciles several in one transaction (run_parts): its key in results, its name in
# messages, its resource, TableMap and wanted items, the keys never deleted, whether an empty list may empty the
# table, extra(ops) for module-specific result keys, and the probe sent in place of its list (fingerprints).
Part = collections.namedtuple("Part", "key where resource table want protected allow_empty extra probe",
                              defaults=(None,))


def run_parts(module, parts, name):
    """``run`` for several tables in one transaction; returns what the module reports, by part key. ``name``
    heads a message about no table in particular (the database cannot be reached).

    Every table is read and planned before anything is written; the writes of all of them are committed together
    or not at all. Returns ``{"rendered": {key: items}, "commands": {key: statements}}`` for rendered,
    ``{"gathered": {key: items}}`` for gathered, else ``{"results": {key: result}}``; always with
    ``statements_executed``. A refused plan or a database error fails the module, naming the part. A probed part
    whose table is not exactly its list stops the run before anything is written: ``{"needs_content": [where]}``.
    """
    state = module.params["state"]
    if state == "rendered":
        items, commands = {}, {}
        for part in parts:
            try:
                items[part.key], commands[part.key] = rendered(part.resource, part.table, part.want)
            except reconcile.ReconcileError as exc:
                module.fail_json(msg="%s: %s" % (part.where, exc))
        return dict(rendered=items, commands=commands, statements_executed=0)
    if not parts:  # nothing named: nothing to read or write
        return dict(gathered={} if state == "gathered" else None, results={}, statements_executed=0)

    db = Database(module.params["database"] or {})
    results, where = {}, None
    quoted = [part.table.table for part in parts]
    try:
        db.connect()
        writing = state in reconcile.ACTION_STATES and not module.check_mode
        cursor = db.begin(quoted, lock=writing)
        if state == "gathered":
            found = dict((part.key, gathered(part.resource, part.table, db.read_rows(cursor, part.table)))
                         for part in parts)
            db.rollback()
            return dict(gathered=found, statements_executed=db.executed)
        planned = []
        for part in parts:
            where = part.where
            ops, statements, results[part.key] = reconcile_table(
                module, db, cursor, part.resource, part.table, part.want, part.extra, part.protected, part.allow_empty,
                part.probe)
            planned.append((part, ops, statements))
        where = None
        every_statement = [statement for _p, _o, statements in planned for statement in statements]
        if every_statement and writing:
            db.apply(cursor, every_statement)
            cursor = db.begin(quoted, lock=False)
            for part, ops, _statements in planned:
                if ops:
                    where = part.where
                    check_written(module, db, cursor, part.resource, part.table, ops, results[part.key], where)
            where = None
        db.rollback()
    except ContentNeeded:
        db.rollback()
        return dict(needs_content=[where], statements_executed=db.executed)
    except reconcile.ReconcileError as exc:
        db.rollback()
        module.fail_json(msg="%s: %s; nothing was written to any table" % (where, exc), statements_executed=db.executed)
    except ConfigDbError as exc:
        module.fail_json(msg="%s: %s" % (where or name, exc),
                         statements_executed=db.executed, service_unreachable=exc.unreachable)
    finally:
        db.close()
    return dict(results=results, statements_executed=db.executed)


def diffs(module, results, headers):
    """One diff per part, headed by its name (the callback prints each); taken out of each part's result.
    ``headers``: [(key, header)]."""
    if not module._diff or not headers:
        return {}
    return {"diff": [dict(results[key].pop("diff"), before_header=header, after_header=header) for key, header in headers]}


def run_tables(module, resource, tables):
    """``run`` for several tables of one resource in one transaction: ``tables`` is [(name, profile_key, want)].

    The result holds each table's own result under ``tables.<name>``.
    """
    refuse_unresolved(module)
    params = module.params
    parts = [Part(name, "%s.%s" % (resource.name, name), resource, table_map(module, resource, key), want,
                  params["protected"], params["allow_empty"], None) for name, key, want in tables]
    out = run_parts(module, parts, resource.name)
    executed = out["statements_executed"]
    if "rendered" in out:
        module.exit_json(changed=False, rendered=out["rendered"], commands=out["commands"])
    if module.params["state"] == "gathered":
        module.exit_json(changed=False, gathered=out["gathered"] or {}, statements_executed=executed)
    results = out["results"]
    result = dict(changed=any(r["changed"] for r in results.values()), tables=results, statements_executed=executed)
    result.update(diffs(module, results, [(name, name) for name, _k, _w in tables]))
    module.exit_json(**result)
