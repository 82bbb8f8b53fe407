"""Configuration database through the table profile: statements per dialect, profile checks, a real SQLite round trip."""

import os
import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.impax.cluster_link.plugins.module_utils import reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MAPPING_ROWS, NETWORK_STATIONS, SOURCE_STATIONS
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import (
    REFERENCE_PROFILE, ConfigDbError, Database, Dialect, RowForm, TableMap)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = open(os.path.join(ROOT, "roles", "lab", "files", "reference_schema.sql")).read()


def table(resource=MAPPING_ROWS, key="specialty", engine="sqlite", profile=None):
    return TableMap(resource, (profile or REFERENCE_PROFILE)[key], Dialect(engine))


@pytest.mark.parametrize("engine,insert,update,delete", [
    ("sqlite",
     'INSERT INTO "specialty_mapping" ("source_pattern", "rule_number", "specialty") VALUES (?, ?, ?)',
     'UPDATE "specialty_mapping" SET "rule_number" = ? WHERE "source_pattern" = ?',
     'DELETE FROM "specialty_mapping" WHERE "source_pattern" = ?'),
    ("postgresql",
     'INSERT INTO "specialty_mapping" ("source_pattern", "rule_number", "specialty") VALUES (%s, %s, %s)',
     'UPDATE "specialty_mapping" SET "rule_number" = %s WHERE "source_pattern" = %s',
     'DELETE FROM "specialty_mapping" WHERE "source_pattern" = %s'),
    ("oracle",
     'INSERT INTO "specialty_mapping" ("source_pattern", "rule_number", "specialty") VALUES (:1, :2, :3)',
     'UPDATE "specialty_mapping" SET "rule_number" = :1 WHERE "source_pattern" = :2',
     'DELETE FROM "specialty_mapping" WHERE "source_pattern" = :1'),
])
def test_statements_per_dialect(engine, insert, update, delete):
    tm = table(engine=engine)
    have = [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}, {"pattern": "%OLD%", "rule": 5, "label": "X"}]
    want = [{"pattern": "%HEAD%", "rule": 90, "label": "NEURO"}, {"pattern": "%'; DROP TABLE x; --%", "rule": 7, "label": "Ü"}]
    ops = reconcile.plan(MAPPING_ROWS, want, have, "overridden")
    statements = tm.statements(ops)
    assert statements == [
        (delete, ["%OLD%"]),
        (insert, ["%'; DROP TABLE x; --%", 7, "Ü"]),
        (update, [90, "%HEAD%"]),
    ]


def test_nested_fields_and_flags_are_columns():
    tm = table(NETWORK_STATIONS, "network_stations")
    have = [{"ae_title": "A", "station_name": "A", "host": "a", "capabilities": {"query_retrieve": False}}]
    want = [{"ae_title": "A", "capabilities": {"query_retrieve": True}, "cluster_linking": True}]
    (sql, params), = tm.statements(reconcile.plan(NETWORK_STATIONS, want, have, "merged"))
    assert sql == 'UPDATE "network_station" SET "query_retrieve" = ?, "cluster_linking" = ? WHERE "ae_title" = ?'
    assert params == [1, 1, "A"]


@pytest.mark.parametrize("entry,message", [
    ({"table": "x; DROP TABLE y", "columns": {"pattern": "p", "rule": "r", "label": "l"}}, "not a plain SQL identifier"),
    ({"table": "t", "columns": {"pattern": "p\"q", "rule": "r", "label": "l"}}, "not a plain SQL identifier"),
    ({"table": "t", "columns": {"rule": "r", "label": "l"}}, "does not map the key"),
    ({"table": "t", "columns": {"pattern": "p", "colour": "c"}}, "not a field"),
    ({"columns": {}}, "needs table and columns"),
])
def test_profile_is_checked(entry, message):
    with pytest.raises(ConfigDbError, match=message):
        table(profile={"specialty": entry})


def test_schema_qualified_table_is_allowed():
    tm = table(profile={"specialty": {"table": "mvf.specialty_map", "columns": {"pattern": "p", "rule": "r", "label": "l"}}})
    assert tm.select()[0] == 'SELECT "p", "r", "l" FROM "mvf"."specialty_map" ORDER BY "p"'


@pytest.fixture
def sqlite_db(tmp_path):
    path = str(tmp_path / "config.sqlite")
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    connection.close()
    return path


def roundtrip(path, resource, key, want, state="overridden"):
    db = Database({"engine": "sqlite", "path": path}).connect()
    tm = TableMap(resource, REFERENCE_PROFILE[key], db.dialect)
    cursor = db.begin(tm.table, lock=True)
    have = db.read(cursor, tm)
    ops = reconcile.plan(resource, want, have, state)
    db.apply(cursor, tm.statements(ops))
    cursor = db.begin(tm.table, lock=False)
    after = db.read(cursor, tm)
    db.rollback()
    db.close()
    return ops, after


def test_sqlite_roundtrip_stores_values_literally(sqlite_db):
    odd = ["it's", "a;b", "100%", "Ünïcödé ✓", "two\nlines", '"quoted"']
    want = [{"pattern": text, "rule": index, "label": text} for index, text in enumerate(odd)]
    ops, after = roundtrip(sqlite_db, MAPPING_ROWS, "body_part", want)
    assert len(ops) == len(odd)
    assert sorted((r["pattern"], r["label"]) for r in after) == sorted((t, t) for t in odd)
    ops, unused = roundtrip(sqlite_db, MAPPING_ROWS, "body_part", want)
    assert ops == []


def test_sqlite_sources_roundtrip(sqlite_db):
    want = [{"ae_title": "A", "station_name": "CT1", "institution": "I", "department": "D", "home_cm": "CM",
             "his_notifications": ["verified", "received"], "his_verification": {"study_identification": ["study_date", "accession_number"]}}]
    ops, after = roundtrip(sqlite_db, SOURCE_STATIONS, "source_stations", want)
    assert after[0]["his_notifications"] == ["received", "verified"]
    assert after[0]["his_verification"]["study_identification"] == ["accession_number", "study_date"]
    assert roundtrip(sqlite_db, SOURCE_STATIONS, "source_stations", want)[0] == []


def test_failed_statement_rolls_back_everything(sqlite_db):
    roundtrip(sqlite_db, MAPPING_ROWS, "specialty", [{"pattern": "%A%", "rule": 1, "label": "A"}])
    db = Database({"engine": "sqlite", "path": sqlite_db}).connect()
    tm = TableMap(MAPPING_ROWS, REFERENCE_PROFILE["specialty"], db.dialect)
    cursor = db.begin(tm.table, lock=True)
    statements = [tm.delete({"pattern": "%A%"}), ('INSERT INTO "specialty_mapping" ("source_pattern") VALUES (?)', ["x"])]
    with pytest.raises(ConfigDbError, match="statement 2 of 2 failed, the transaction was rolled back"):
        db.apply(cursor, statements)
    cursor = db.begin(tm.table, lock=False)
    assert db.read(cursor, tm) == [{"pattern": "%A%", "rule": 1, "label": "A"}]


def test_missing_sqlite_file_is_an_error(tmp_path):
    with pytest.raises(ConfigDbError, match="cannot connect"):
        Database({"engine": "sqlite", "path": str(tmp_path / "typo.sqlite")}).connect()
    assert not os.path.exists(str(tmp_path / "typo.sqlite"))


@pytest.mark.parametrize("engine,marks", [("sqlite", ("?", "?")), ("postgresql", ("%s", "%s")), ("oracle", (":1", ":2"))])
def test_read_back_by_key_is_one_parameterised_statement(engine, marks):
    sql, params = table(engine=engine).select_keys([{"pattern": "%A%"}, {"pattern": "x' OR '1'='1"}])
    assert sql == ('SELECT "source_pattern", "rule_number", "specialty" FROM "specialty_mapping" WHERE '
                   '("source_pattern" = %s) OR ("source_pattern" = %s) ORDER BY "source_pattern"' % marks)
    assert params == ["%A%", "x' OR '1'='1"]


def test_sqlite_read_back_only_the_written_rows(sqlite_db):
    want = [{"pattern": "P%d" % i, "rule": i, "label": "L"} for i in range(20)]
    roundtrip(sqlite_db, MAPPING_ROWS, "body_part", want)
    db = Database({"engine": "sqlite", "path": sqlite_db}).connect()
    tm = TableMap(MAPPING_ROWS, REFERENCE_PROFILE["body_part"], db.dialect)
    cursor = db.begin(tm.table, lock=False)
    rows = db.read(cursor, tm, only=[{"pattern": "P3"}, {"pattern": "P17"}, {"pattern": "absent"}])
    db.rollback()
    assert [(r["pattern"], r["rule"]) for r in rows] == [("P17", 17), ("P3", 3)]


# -- property: a converged table recognised in row form agrees with plan() -----------------------------------------
CONFIG_RESOURCES = [(NETWORK_STATIONS, "network_stations"), (SOURCE_STATIONS, "source_stations"),
                    (MAPPING_ROWS, "body_part")]
LOOSE_VALUE = {"str": st.one_of(st.none(), st.text(alphabet="Ab %", max_size=2), st.integers(0, 2)),
               "int": st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["1", " 2"]), st.booleans()),
               "bool": st.one_of(st.none(), st.booleans(), st.integers(0, 1), st.sampled_from(["yes", "0"])),
               # a set's elements: empty and comma-holding ones cannot go through the comma-joined column
               "set": st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "", "a,b"]), max_size=3))}
# what a column may hold when edited by hand (a bool or int column holds numbers; any column NULL)
COLUMN_VALUE = {"str": st.one_of(st.none(), st.sampled_from(["", "A", "a,b", "1"])),
                "set": st.one_of(st.none(), st.sampled_from(["", "a", "a,b", "b,a", ",a"])),
                "int": st.one_of(st.none(), st.integers(0, 2), st.booleans()),
                "bool": st.one_of(st.none(), st.integers(0, 2), st.booleans())}


def loose_config_item(resource):
    def value(field):
        if field.kind == "dict":
            return st.one_of(st.none(), st.fixed_dictionaries({}, optional=dict((n, value(f)) for n, f in field.fields.items())))
        return LOOSE_VALUE[field.kind]
    given = {"str": st.text(alphabet="AB", min_size=1, max_size=2), "int": st.integers(0, 2)}
    named = dict((n, given[resource.fields[n].kind]) for n in resource.key + resource.required_on_create)
    loose = st.fixed_dictionaries({}, optional=dict((n, value(f)) for n, f in resource.fields.items()))
    return st.one_of(st.builds(lambda item, given: dict(item, **given), loose, st.fixed_dictionaries(named)), loose)


@settings(max_examples=400, deadline=None)
@given(st.data(), st.sampled_from(["replaced", "overridden"]))
def test_row_form_unchanged_agrees_with_plan(data, state):
    """unchanged() on the rows as read says "no operation" only when plan() on the same rows read back as objects
    has none (and refuses nothing); on rows that are the wanted objects' own, it says so whenever plan() does."""
    for resource, key in CONFIG_RESOURCES:
        tm = table(resource, key)
        form = RowForm(tm)
        assert form.usable, key
        want = data.draw(st.lists(loose_config_item(resource), max_size=4))
        rows, edited = [], False
        for item in data.draw(st.one_of(st.just(want), st.lists(st.sampled_from(want), max_size=4) if want else st.just([]))):
            row = form.keyed(item)[1]
            if row is None:
                continue
            if data.draw(st.integers(0, 4)) == 0:  # one column edited by hand
                i = data.draw(st.integers(0, len(row) - 1))
                row = row[:i] + (data.draw(COLUMN_VALUE[tm.columns[i][1]]),) + row[i + 1:]
                edited = True
            rows.append(row)
        extra = data.draw(st.one_of(st.none(), st.none(), loose_config_item(resource)))
        if extra is not None and form.keyed(extra)[1] is not None:
            rows.append(form.keyed(extra)[1])
        try:
            have = [tm.row_to_item(row) for row in rows]
            records = form.records(rows)
        except ValueError:
            continue  # a hand-edited bool or int column that does not decode: reading fails either way
        protected = [k for k in (records or {}) if data.draw(st.booleans())] if extra is not None else []
        try:
            ops = reconcile.plan(resource, want, have, state, protected=protected)
        except reconcile.ReconcileError:
            ops = None
        verdict = records is not None and reconcile.unchanged(form, want, records, state, protected)
        if verdict:
            assert ops == [], (key, want, rows, ops)
        own = not edited and extra is None and all(form.keyed(item)[0] is not None for item in want)
        if own and ops == [] and want and records is not None and len(rows) == len(want):
            assert verdict, (key, want, rows)


def test_row_form_examples():
    tm = table(SOURCE_STATIONS, "source_stations")
    form = RowForm(tm)
    item = {"ae_title": "CT1", "station_name": "CT1", "institution": "I", "department": "D", "home_cm": "CM",
            "his_notifications": ["verified", "received"]}
    key, row = form.keyed(item)
    # the row an INSERT of the object writes
    assert key == "CT1" and row == tuple(tm.insert(SOURCE_STATIONS.full_normal(item))[1])
    assert reconcile.unchanged(form, [item], form.records([row]), "overridden")
    # the database returns its own types: 1 for True, a number for a bool column holding True
    assert reconcile.unchanged(form, [dict(item, visitor=False)], form.records([row]), "replaced")
    edited = tuple(1 if c == "visitor" else v for (c, unused, unused), v in zip(tm.columns, row))
    assert not reconcile.unchanged(form, [item], form.records([edited]), "replaced")
    assert form.records([row, row]) is None  # two rows with one key: plan() reports the duplicate
    assert form.keyed(dict(item, his_notifications=["a,b"])) == (None, None)  # the column cannot hold it apart
    assert not form.complete(tuple(None if c == "station_name" else v for (c, unused, unused), v in zip(tm.columns, row)))
    # a profile that leaves a field out cannot tell that field is as wanted
    partial = dict(REFERENCE_PROFILE["body_part"], columns={"pattern": "source_pattern", "rule": "rule_number"})
    assert not RowForm(TableMap(MAPPING_ROWS, partial, Dialect("sqlite"))).usable
