# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every configuration-database list module shares: options and the run.

A module declares its resource and its profile entry and calls ``run``; the
reconcile engine plans, this file reads and writes through the table profile.
Check mode runs the same code and skips only the writes.
"""

from __future__ import annotations

import copy

from ansible_collections.impax.cluster_link.plugins.module_utils import reconcile
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


def run(module, resource, profile_key, extra=None):
    """Read once, plan, write the differences in one transaction (not in check mode), verify.

    ``extra(ops)`` may add module-specific keys to the result (e.g. linking_changed).
    """
    refuse_unresolved(module)
    params = module.params
    state = params["state"]
    profile = params["profile"] or REFERENCE_PROFILE
    if profile_key not in profile:
        module.fail_json(msg="the table profile has no entry for %s" % profile_key)
    want = params["config"] or []
    database = params["database"] or {}
    try:
        dialect = Dialect(database.get("engine") or "sqlite")
        table = TableMap(resource, profile[profile_key], dialect)
    except ConfigDbError as exc:
        module.fail_json(msg=str(exc))

    if state == "rendered":  # offline: the rows and the INSERTs that would create them
        try:
            items = reconcile.sort_items(resource, [resource.full_normal(i) for i in want])
            resource.index(items, "config")
        except reconcile.ReconcileError as exc:
            module.fail_json(msg=str(exc))
        module.exit_json(changed=False, rendered=items,
                         commands=[dict(zip(("sql", "params"), table.insert(item))) for item in items])

    db = Database(database)
    result = {}
    try:
        db.connect()
        writing = state in reconcile.ACTION_STATES and not module.check_mode
        cursor = db.begin(table.table, lock=writing)
        rows = db.read_rows(cursor, table)
        if state == "gathered":
            db.rollback()
            module.exit_json(changed=False, gathered=reconcile.sort_items(
                resource, [resource.full_normal(table.row_to_item(r)) for r in rows]), statements_executed=db.executed)
        if _converged(table, want, rows, state, params["protected"]):
            have, ops = rows, []  # of the rows only their number is reported
        else:
            have = [table.row_to_item(r) for r in rows]
            ops = reconcile.plan(resource, want, have, state, protected=params["protected"],
                                 allow_empty=params["allow_empty"], max_deletions=params["max_deletions"])
        statements = table.statements(ops)
        result = reconcile.result(resource, state, have, ops, extra(ops) if extra else None)
        result["commands"] = _commands(ops, statements)
        if module._diff:
            result["diff"] = reconcile.diff(resource, result["before"], result["after"])
        if ops and writing:
            db.apply(cursor, statements)
            cursor = db.begin(table.table, lock=False)
            # read back what was written (by key; the whole table when the write was large)
            touched_items = [op.after or op.before for op in ops]
            rows = db.read(cursor, table, only=touched_items if len(ops) <= READ_BACK_BY_KEY else None)
            touched = set(op.key for op in ops)
            actual = [resource.full_normal(i) for i in rows]
            actual = [i for i in actual if resource.key_of(i) in touched]
            db.rollback()
            predicted = reconcile.sort_items(resource, [op.after for op in ops if op.action != "delete"])
            if reconcile.sort_items(resource, actual) != predicted:
                module.warn("%s: the database holds something else than what was written; the table profile or "
                            "the database rewrites values (normalisation to fix): %s" % (
                                resource.name, reconcile.changed_fields(reconcile.diff(resource, predicted, [])["before"],
                                                                        reconcile.diff(resource, actual, [])["before"])))
                result["after"] = reconcile.sort_items(resource, actual)
        else:
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
