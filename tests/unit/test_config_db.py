"""Configuration database through the table profile: statements per dialect, profile checks, a real SQLite round trip."""

import os
import sqlite3

import pytest

from ansible_collections.impax.cluster_link.plugins.module_utils import reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MAPPING_ROWS, NETWORK_MANAGEMENT, SOURCES
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import (
    ConfigDbError, Database, Dialect, TableMap)
from ansible_collections.impax.cluster_link.plugins.module_utils.profiles.reference import PROFILE as REFERENCE_PROFILE

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
    tm = table(NETWORK_MANAGEMENT, "network_management")
    have = [{"ae_title": "A", "station_name": "A", "host": "a", "capabilities": {"query_retrieve": False}}]
    want = [{"ae_title": "A", "capabilities": {"query_retrieve": True}, "cluster_linking": True}]
    (sql, params), = tm.statements(reconcile.plan(NETWORK_MANAGEMENT, want, have, "merged"))
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
    ops, after = roundtrip(sqlite_db, SOURCES, "sources", want)
    assert after[0]["his_notifications"] == ["received", "verified"]
    assert after[0]["his_verification"]["study_identification"] == ["accession_number", "study_date"]
    assert roundtrip(sqlite_db, SOURCES, "sources", want)[0] == []


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


class _Refused(Exception):
    pass


class _ModuleParams(object):
    """What list_module.table_map reads of a module: its parameters, and fail_json."""

    def __init__(self, profile):
        self.params = {"profile": profile, "database": {"engine": "sqlite"}}

    def fail_json(self, msg):
        raise _Refused(msg)


def test_a_profile_is_named_or_given_and_an_old_entry_name_is_told_apart():
    from ansible_collections.impax.cluster_link.plugins.modules.config_database import table_map
    assert table_map(_ModuleParams("reference"), SOURCES, "sources").table == '"source_station"'
    own = {"sources": dict(REFERENCE_PROFILE["sources"], table="mvf.src")}
    assert table_map(_ModuleParams(own), SOURCES, "sources").table == '"mvf"."src"'
    with pytest.raises(_Refused, match="'site' is not a table profile of the collection \\(reference\\)"):
        table_map(_ModuleParams("site"), SOURCES, "sources")
    old = {"source_stations": REFERENCE_PROFILE["sources"]}
    with pytest.raises(_Refused, match="no entry for sources; it names source_stations, the entry's name before"):
        table_map(_ModuleParams(old), SOURCES, "sources")
    with pytest.raises(_Refused, match="no entry for sources$"):
        table_map(_ModuleParams({}), SOURCES, "sources")


@pytest.mark.parametrize("profile", [104, ["reference"], "{{ lookup('pipe', 'id') }}", "x" * 100000])
def test_a_profile_of_another_type_or_an_unknown_name_is_refused_before_any_read(profile):
    from ansible_collections.impax.cluster_link.plugins.modules.config_database import table_map
    with pytest.raises(_Refused, match="profile"):
        table_map(_ModuleParams(profile), SOURCES, "sources")
