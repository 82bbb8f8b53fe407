"""The configuration-database modules against the lab's real databases: SQLite and PostgreSQL, every state."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from labutil import LAB_DIR, playbook, read_result, run_task

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")

HOST = "harbor-db01"
DATABASES = {
    "sqlite": {"engine": "sqlite", "path": os.path.join(LAB_DIR, "db", "harbor.sqlite")},
    "postgresql": {"engine": "postgresql", "host": "10.201.0.13", "name": "impax_harbor", "user": "impax",
                   "password": "lab-database-secret", "sslmode": "disable"},
}
ODD = ["it's", "a;b", "100%", "Ünïcödé ✓", "two\nlines", '"quoted"', "'; DROP TABLE specialty_mapping; --"]


def task(module, args, engine, **kw):
    return run_task(HOST, "impax.cluster_link." + module, args, database=DATABASES[engine], **kw)


def gathered(module, engine, **extra):
    result = task(module, dict(state="gathered", **extra), engine)
    assert not result.get("failed"), result
    return result["gathered"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_mapping_rows_check_apply_reapply_roundtrip(lab_postgresql, engine):
    before = gathered("mapping_rows", engine, table="specialty")
    want = [{"pattern": text, "rule": 10 * (i + 1), "label": "L%d" % i} for i, text in enumerate(ODD)]
    want.append({"pattern": "%", "rule": 1000000, "label": "BODY"})
    args = dict(table="specialty", state="overridden", config=want)

    check = task("mapping_rows", args, engine, check=True, diff=True)
    assert check["changed"] and check["commands"]
    assert gathered("mapping_rows", engine, table="specialty") == before, "check mode wrote something"
    assert set(check["diff"]["after"]) == set(r["pattern"] for r in want)

    real = task("mapping_rows", args, engine, diff=True)
    assert real["changed"]
    assert real["commands"] == check["commands"] and real["after"] == check["after"] and real["diff"] == check["diff"]
    stored = gathered("mapping_rows", engine, table="specialty")
    assert stored == real["after"]
    assert sorted(r["pattern"] for r in stored) == sorted(r["pattern"] for r in want)  # stored literally
    # one read, one statement per changed row, one verifying read
    assert real["statements_executed"] == 2 + len(real["commands"])

    again = task("mapping_rows", args, engine)
    assert not again["changed"] and again["commands"] == [] and again["statements_executed"] == 1

    roundtrip = task("mapping_rows", dict(table="specialty", state="overridden", config=stored), engine)
    assert not roundtrip["changed"]


def tables_now(engine):
    return gathered("mapping_tables", engine)


def connect(engine):
    if engine == "sqlite":
        return sqlite3.connect(DATABASES["sqlite"]["path"], isolation_level=None)
    import psycopg
    return psycopg.connect(host="10.201.0.13", dbname="impax_harbor", user="impax", password="lab-database-secret",
                           autocommit=True)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_mapping_tables_check_apply_reapply_roundtrip(lab_postgresql, engine):
    before = tables_now(engine)
    assert set(before) == {"body_part", "specialty", "patient_location"}
    want = {"body_part": [{"pattern": text, "rule": 10 * (i + 1), "label": "B%d" % i} for i, text in enumerate(ODD)],
            "specialty": before["specialty"] + [{"pattern": "%NEW SPECIALTY%", "rule": 999, "label": "New"}]}
    args = dict(state="overridden", config=want)

    check = task("mapping_tables", args, engine, check=True, diff=True)
    assert check["changed"] and set(check["tables"]) == {"body_part", "specialty"}  # patient_location not named
    assert tables_now(engine) == before, "check mode wrote something"
    assert [d["before_header"] for d in check["diff"]] == ["body_part", "specialty"]
    assert check["tables"]["specialty"]["commands"] == [dict(check["tables"]["specialty"]["commands"][0], op="create",
                                                             key="%NEW SPECIALTY%")]

    real = task("mapping_tables", args, engine, diff=True)
    assert real["changed"] and real["tables"] == check["tables"] and real["diff"] == check["diff"]
    stored = tables_now(engine)
    assert stored["patient_location"] == before["patient_location"]
    for table in want:
        assert sorted(stored[table], key=lambda r: r["pattern"]) == sorted(want[table], key=lambda r: r["pattern"])
        # what mapping_rows returns for the same table, the same way
        assert stored[table] == gathered("mapping_rows", engine, table=table)
    writes = sum(len(r["commands"]) for r in real["tables"].values())
    # one read per table, one statement per changed row, one verifying read per changed table
    assert real["statements_executed"] == 2 + writes + 2

    again = task("mapping_tables", args, engine)
    assert not again["changed"] and again["statements_executed"] == 2
    assert all(r["commands"] == [] for r in again["tables"].values())
    roundtrip = task("mapping_tables", dict(state="overridden", config=stored), engine)  # gathered is a config
    assert not roundtrip["changed"] and roundtrip["statements_executed"] == 3


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_mapping_tables_all_or_nothing(lab_postgresql, engine):
    """A guard refusing one table writes no table; a statement the database refuses in the last table rolls back
    the tables written before it."""
    before = tables_now(engine)
    body_part = before["body_part"] + [{"pattern": "%ALL OR NOTHING%", "rule": 4242, "label": "Both"}]
    refused = task("mapping_tables", dict(state="overridden", max_deletions=0,
                                          config={"body_part": body_part, "specialty": before["specialty"][1:]}), engine)
    assert refused["failed"] and "specialty" in refused["msg"] and "nothing was written" in refused["msg"]
    assert tables_now(engine) == before

    with refusing_trigger(engine):
        failed = task("mapping_tables", dict(state="merged", config={
            "body_part": [{"pattern": "%ALL OR NOTHING%", "rule": 4242, "label": "Both"}],
            "specialty": [{"pattern": "%REFUSED%", "rule": 4243, "label": "No"}]}), engine)
    assert failed["failed"] and "refused by a trigger" in failed["msg"] and "rolled back" in failed["msg"], failed
    assert tables_now(engine) == before  # body_part's INSERT ran first and was rolled back with the rest


@contextlib.contextmanager
def refusing_trigger(engine):
    """The database refuses an INSERT of the specialty row '%REFUSED%' (a trigger), while in the block."""
    connection = connect(engine)
    try:
        if engine == "sqlite":
            connection.execute("CREATE TRIGGER refuse_row BEFORE INSERT ON specialty_mapping "
                               "WHEN NEW.source_pattern = '%REFUSED%' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        else:
            connection.execute("CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS "
                               "$$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$")
            connection.execute("CREATE TRIGGER refuse_row BEFORE INSERT ON specialty_mapping FOR EACH ROW "
                               "WHEN (NEW.source_pattern = '%REFUSED%') EXECUTE FUNCTION refuse_row()")
        yield
    finally:
        connection.execute("DROP TRIGGER refuse_row" + ("" if engine == "sqlite" else " ON specialty_mapping"))
        if engine == "postgresql":
            connection.execute("DROP FUNCTION refuse_row()")
        connection.close()


LINKED_CM = {"ae_title": "SMT_CM_TEST", "station_name": "SMT_CM_TEST", "host": "summit-cm01", "station_type": "HIS/RIS",
             "cluster_linking": True, "link_internal_queries": True}
SOURCE = {"ae_title": "SMT_US_TEST", "station_name": "US_TEST", "institution": "Summit Clinic", "department": "Radiology",
          "home_cm": "SMT_CM_TEST"}
ROW = {"pattern": "%CONFIG DATABASE%", "rule": 4244, "label": "Test"}


def everything_now(engine):
    return gathered("config_database", engine)


def full(state):
    """config_database arguments that make the database what ``state`` (a gathered result) says."""
    return dict(state="overridden", network_management={"config": state["network_management"]},
                sources={"config": state["sources"]}, mappings={"config": state["mappings"]})


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_config_database_check_apply_reapply_roundtrip(lab_postgresql, engine):
    before = everything_now(engine)
    # gathered: each part as its own module gathers it
    assert before == {"network_management": gathered("network_stations", engine),
                      "sources": gathered("source_stations", engine), "mappings": gathered("mapping_tables", engine)}
    args = dict(state="overridden", network_management={"config": before["network_management"] + [LINKED_CM]},
                sources={"config": before["sources"] + [SOURCE]},
                mappings={"config": {"specialty": before["mappings"]["specialty"] + [ROW]}})

    check = task("config_database", args, engine, check=True, diff=True)
    assert check["changed"] and check["network_management"]["linking_changed"]
    assert [d["before_header"] for d in check["diff"]] == ["network_management", "sources", "mappings.specialty"]
    assert [(c["op"], c["key"]) for c in check["network_management"]["commands"]] == [("create", "SMT_CM_TEST")]
    assert [(c["op"], c["key"]) for c in check["sources"]["commands"]] == [("create", "SMT_US_TEST")]
    assert set(check["mappings"]["tables"]) == {"specialty"}  # the tables not named are left alone
    assert [(c["op"], c["key"]) for c in check["mappings"]["tables"]["specialty"]["commands"]] == [("create", ROW["pattern"])]
    assert everything_now(engine) == before, "check mode wrote something"

    real = task("config_database", args, engine, diff=True)
    assert real["changed"] and real["diff"] == check["diff"]
    assert all(real[part] == check[part] for part in ("network_management", "sources", "mappings"))
    # one read per table, one statement per change, one verifying read per changed table
    assert real["statements_executed"] == 3 + 3 + 3
    after = everything_now(engine)
    assert after["network_management"] == sorted(before["network_management"] + real["network_management"]["after"],
                                                 key=lambda s: s["ae_title"])
    assert SOURCE["ae_title"] in [s["ae_title"] for s in after["sources"]]
    assert after["mappings"]["body_part"] == before["mappings"]["body_part"]

    again = task("config_database", args, engine)
    assert not again["changed"] and again["statements_executed"] == 3
    assert not again["network_management"]["linking_changed"]
    roundtrip = task("config_database", full(after), engine)  # gathered is a valid input
    assert not roundtrip["changed"] and roundtrip["statements_executed"] == 5
    restored = task("config_database", dict(full(before), allow_empty=True), engine)
    assert restored["changed"] and everything_now(engine) == before


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_config_database_all_or_nothing(lab_postgresql, engine):
    """A guard refusing the sources writes no station either; a statement the database refuses in a mapping table
    rolls back the stations and sources written before it."""
    before = everything_now(engine)
    assert before["sources"], "the lab's harbor has sources to start with"
    refused = task("config_database", dict(
        state="overridden", max_deletions=0, network_management={"config": before["network_management"] + [LINKED_CM]},
        sources={"config": before["sources"][1:]}), engine)
    assert refused["failed"] and refused["msg"].startswith("sources: ") and "nothing was written to any table" in refused["msg"]
    assert everything_now(engine) == before

    with refusing_trigger(engine):
        failed = task("config_database", dict(
            state="merged", network_management={"config": [LINKED_CM]}, sources={"config": [SOURCE]},
            mappings={"config": {"specialty": [{"pattern": "%REFUSED%", "rule": 4243, "label": "No"}]}}), engine)
    assert failed["failed"] and "refused by a trigger" in failed["msg"] and "rolled back" in failed["msg"], failed
    assert everything_now(engine) == before


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_states_on_network_stations(lab_postgresql, engine):
    base = gathered("network_stations", engine)
    keys = [s["ae_title"] for s in base]
    assert "HBR_CR_OLD" in keys, "the brownfield stale station is there to start with"

    merged = task("network_stations", dict(state="merged", config=[{"ae_title": "HBR_CT1", "port": 104}]), engine)
    assert merged["changed"] and merged["commands"] == [{"op": "update", "key": "HBR_CT1", "fields": {"port": [4104, 104]},
                                                         "sql": merged["commands"][0]["sql"], "params": [104, "HBR_CT1"]}]
    new = {"ae_title": "VLY_CM", "station_name": "VLY_CM", "host": "valley-cm01", "station_type": "HIS/RIS",
           "cluster_linking": True, "link_internal_queries": True, "capabilities": {"query_retrieve": True}}
    created = task("network_stations", dict(state="merged", config=[new]), engine)
    assert [c["op"] for c in created["commands"]] == ["create"]

    replaced = task("network_stations", dict(state="replaced", config=[dict(new, capabilities={})]), engine)
    assert replaced["commands"][0]["fields"] == {"capabilities.query_retrieve": [True, False]}

    refused = task("network_stations", dict(state="merged", config=[{"ae_title": "X", "station_name": "X", "host": "x",
                                                                     "cluster_linking": False,
                                                                     "link_prefetching": True}]), engine)
    assert refused["failed"] and "link_prefetching need cluster_linking" in refused["msg"]

    too_many = task("network_stations", dict(state="overridden", config=[new], max_deletions=1), engine)
    assert too_many["failed"] and "more than max_deletions=1" in too_many["msg"]
    empty = task("network_stations", dict(state="overridden", config=[]), engine)
    assert empty["failed"] and "allow_empty" in empty["msg"]

    deleted = task("network_stations", dict(state="deleted", config=[{"ae_title": "HBR_CR_OLD"}]), engine)
    assert [c["op"] for c in deleted["commands"]] == ["delete"]
    protected = task("network_stations", dict(state="overridden", config=[new], protected=["HBR_CM", "HBR_CT1"]), engine)
    assert protected["count_after"] == 3
    # after lists only what the run touched: VLY_CM's capabilities go back; the deleted stations are gone
    assert [s["ae_title"] for s in protected["after"]] == ["VLY_CM"]
    assert [(c["op"], c["key"]) for c in protected["commands"]] == [("update", "VLY_CM")]  # protected: no delete
    assert sorted(s["ae_title"] for s in gathered("network_stations", engine)) == ["HBR_CM", "HBR_CT1", "VLY_CM"]

    rendered = run_task(HOST, "impax.cluster_link.network_stations", dict(state="rendered", config=[new]))
    assert rendered["rendered"][0]["port"] == 104 and rendered["commands"][0]["sql"].startswith("INSERT INTO")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_source_stations_visitor_and_roundtrip(lab_postgresql, engine):
    visitor = {"ae_title": "HBR_CDIMPORT", "station_name": "CDIMPORT", "institution": "Harbor General Hospital",
               "department": "Film Library", "home_cm": "HBR_CM", "visitor": True}
    refused = task("source_stations", dict(state="merged", config=[visitor]), engine)
    assert refused["failed"] and "automatic_archiving false" in refused["msg"]
    ok = task("source_stations", dict(state="merged", config=[dict(visitor, automatic_archiving=False)]), engine)
    assert ok["changed"]
    stored = gathered("source_stations", engine)
    again = task("source_stations", dict(state="overridden", config=stored), engine)
    assert not again["changed"], again


def test_postgresql_killed_mid_transaction_leaves_table_as_before(lab_postgresql):
    import psycopg
    params = dict(host="10.201.0.13", dbname="impax_harbor", user="impax", password="lab-database-secret")
    task("mapping_rows", dict(table="body_part", state="overridden",
                              config=[{"pattern": "%A%", "rule": 1, "label": "A"}, {"pattern": "%B%", "rule": 2, "label": "B"}]),
         "postgresql")
    before = gathered("mapping_rows", "postgresql", table="body_part")
    blocker = psycopg.connect(**params)
    # hold the row the module will update last: it deletes and inserts first, then waits on this lock
    blocker.execute("SELECT * FROM body_part_mapping WHERE source_pattern = %s FOR UPDATE", ("%B%",))
    want = [{"pattern": "%B%", "rule": 20, "label": "B"}, {"pattern": "%C%", "rule": 3, "label": "C"}]
    proc, out = run_task(HOST, "impax.cluster_link.mapping_rows", dict(table="body_part", state="overridden", config=want),
                         database=DATABASES["postgresql"], background=True)
    try:
        waiting = False
        for unused in range(200):
            with psycopg.connect(**params) as probe:
                waiting = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND query LIKE 'UPDATE%%body_part_mapping%%'").fetchone()[0] > 0
            if waiting:
                break
            time.sleep(0.1)
        assert waiting, "the module never reached its UPDATE"
        with open(os.path.join(LAB_DIR, "run", "postgresql-%s.json" % HOST)) as handle:
            import json
            postmaster = json.load(handle)["pid"]
        os.kill(postmaster, signal.SIGKILL)  # the server dies with the module's transaction open
        for child in subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True,
                                    check=False).stdout.split():
            os.kill(int(child), signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        try:
            blocker.close()
        except Exception:
            pass
    result = read_result(out)
    assert result["failed"]
    up, _seconds = playbook("playbooks/lab_up.yml", "-e", "impax_lab_database=postgresql")  # restarts the server
    assert up.returncode == 0, up.stdout
    assert gathered("mapping_rows", "postgresql", table="body_part") == before


def test_sqlite_killed_mid_transaction_leaves_table_as_before(lab_postgresql):
    path = DATABASES["sqlite"]["path"]
    task("mapping_rows", dict(table="body_part", state="overridden",
                              config=[{"pattern": "%A%", "rule": 1, "label": "A"}]), "sqlite")
    before = gathered("mapping_rows", "sqlite", table="body_part")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM body_part_mapping").fetchone()  # a SHARED lock: the module cannot COMMIT
    want = [{"pattern": "%Z%", "rule": 9, "label": "Z"}]
    # without pipelining the module's process is named after its AnsiballZ file: the test finds and kills it
    proc, out = run_task(HOST, "impax.cluster_link.mapping_rows", dict(table="body_part", state="overridden", config=want),
                         database=DATABASES["sqlite"], background=True, pipelining=False)
    try:
        module_pid = None
        for unused in range(300):
            if os.path.exists(path + "-journal"):  # the module has written its changes and waits to commit
                found = subprocess.run(["pgrep", "-f", "AnsiballZ_mapping_rows"], capture_output=True, text=True,
                                       check=False).stdout.split()
                if found:
                    module_pid = int(found[-1])
                    break
            time.sleep(0.05)
        assert module_pid, "the module never got to its commit"
        time.sleep(0.3)
        for pid in subprocess.run(["pgrep", "-f", "AnsiballZ_mapping_rows"], capture_output=True, text=True,
                                  check=False).stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert gathered("mapping_rows", "sqlite", table="body_part") == before


def test_mapping_tables_reports_a_value_the_database_rewrites(lab_postgresql):
    """The check after the write reads the rows back: a database that stores something else than what was written
    (here a trigger that upper-cases the label) is reported naming the table, with the rows as stored in after."""
    connection = connect("sqlite")
    try:
        connection.execute("CREATE TRIGGER shout AFTER INSERT ON specialty_mapping BEGIN UPDATE specialty_mapping "
                           "SET specialty = upper(NEW.specialty) WHERE source_pattern = NEW.source_pattern; END")
        result = task("mapping_tables", dict(state="merged", config={
            "specialty": [{"pattern": "%WHISPER%", "rule": 4244, "label": "quiet"}]}), "sqlite")
    finally:
        connection.execute("DROP TRIGGER shout")
        connection.close()
    assert result["changed"] and not result.get("failed"), result
    assert result["tables"]["specialty"]["after"] == [{"pattern": "%WHISPER%", "rule": 4244, "label": "QUIET"}]
    assert any(w.startswith("mapping_rows.specialty: the database holds something else") for w in result["warnings"])


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_config_database_recognises_a_converged_database_from_the_plan_fingerprints(lab_postgresql, engine, tmp_path):
    """From plan slices under overridden, a converged database is recognised from the rows' fingerprint (the lists
    are not sent); a table edited by hand is not, nothing is written by the probe, and the lists then repair it."""
    from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import write_slices
    before = everything_now(engine)
    assert before["network_management"] and before["mappings"]["body_part"], "the lab's harbor has rows to start with"
    wanted = dict(network_management=before["network_management"] + [LINKED_CM], sources=before["sources"] + [SOURCE],
                  gateway_modalities=[], mappings={"body_part": before["mappings"]["body_part"],
                                                   "specialty": before["mappings"]["specialty"] + [ROW]})
    refs = write_slices({"hosts_table": [], "clusters": {"harbor": wanted}}, str(tmp_path))["harbor"]
    hand_made = dict(LINKED_CM, ae_title="HAND_MADE", station_name="HAND_MADE")
    args = dict(state="overridden", network_management={"from_plan": refs["network_management"], "protected": ["HAND_MADE"]},
                sources={"from_plan": refs["sources"]},
                mappings={"from_plan": {"body_part": refs["mappings"]["body_part"], "specialty": refs["mappings"]["specialty"]}})
    probed = ["network_management", "sources", "mappings.body_part", "mappings.specialty"]
    try:
        check = task("config_database", args, engine, check=True)
        assert check["changed"] and "fingerprint_matched" not in check, check  # the lists went: a change to plan
        assert everything_now(engine) == before, "check mode wrote something"
        first = task("config_database", args, engine)
        assert first["changed"] and first["network_management"]["commands"] == check["network_management"]["commands"]

        again = task("config_database", args, engine, check=True, diff=True)
        assert not again["changed"] and again["fingerprint_matched"] == probed, again
        assert again["statements_executed"] == 4 and again["network_management"]["count_before"] == len(wanted["network_management"])
        assert [d["before"] for d in again["diff"]] == [{}] * 4

        # a hand-made station the estate protects is kept, and the rest still recognised
        assert task("network_stations", dict(state="merged", config=[hand_made]), engine)["changed"]
        kept = task("config_database", args, engine)
        assert not kept["changed"] and kept["fingerprint_matched"] == probed, kept

        # one value edited by hand: the probe writes nothing, the lists repair exactly that row
        with contextlib.closing(connect(engine)) as db:
            db.execute("UPDATE specialty_mapping SET specialty = 'EDITED' WHERE source_pattern = '%CONFIG DATABASE%'")
        repair = task("config_database", args, engine, diff=True)
        assert repair["changed"] and "fingerprint_matched" not in repair, repair
        assert [(c["op"], c["key"]) for c in repair["mappings"]["tables"]["specialty"]["commands"]] == [("update", ROW["pattern"])]
        assert not repair["network_management"]["changed"] and not repair["sources"]["changed"]
        assert task("config_database", args, engine)["fingerprint_matched"] == probed
    finally:
        restored = task("config_database", dict(full(before), allow_empty=True), engine)
        assert not restored.get("failed") and everything_now(engine) == before, restored
