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


TABLES = ("body_part", "specialty", "patient_location")


def part_args(part, args):
    """config_database arguments for one part (``part``: network_management, sources or a mapping table) from
    ``args`` with that part's ``config`` (and a station part's ``protected``) beside the call's own options."""
    args = dict(args)
    own = {"config": args.pop("config")} if "config" in args else {}
    if part in TABLES:
        return dict(args, mappings={"config": {part: own["config"]}}) if own else args
    if "protected" in args:
        own["protected"] = args.pop("protected")
    return dict(args, **{part: own})


def part_task(part, args, engine, **kw):
    """config_database with one part; its result with that part's keys (changed, commands, after...) on top and
    the part's diff as ``diff``."""
    result = task("config_database", part_args(part, args), engine, **kw)
    inner = result.get("mappings", {}).get("tables", {}).get(part, {}) if part in TABLES else result.get(part, {})
    out = dict(result, **inner)
    if result.get("diff"):
        out["diff"] = result["diff"][0]
    return out


def gathered_part(part, engine):
    found = gathered("config_database", engine, gather=[part])
    return found["mappings"][part] if part in TABLES else found[part]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_one_mapping_table_check_apply_reapply_roundtrip(lab_postgresql, engine):
    before = gathered_part("specialty", engine)
    want = [{"pattern": text, "rule": 10 * (i + 1), "label": "L%d" % i} for i, text in enumerate(ODD)]
    want.append({"pattern": "%", "rule": 1000000, "label": "BODY"})
    args = dict(state="overridden", config=want)

    check = part_task("specialty", args, engine, check=True, diff=True)
    assert check["changed"] and check["commands"]
    assert gathered_part("specialty", engine) == before, "check mode wrote something"
    assert set(check["diff"]["after"]) == set(r["pattern"] for r in want)

    real = part_task("specialty", args, engine, diff=True)
    assert real["changed"]
    assert real["commands"] == check["commands"] and real["after"] == check["after"] and real["diff"] == check["diff"]
    stored = gathered_part("specialty", engine)
    assert stored == real["after"]
    assert sorted(r["pattern"] for r in stored) == sorted(r["pattern"] for r in want)  # stored literally
    # one read, one statement per changed row, one verifying read
    assert real["statements_executed"] == 2 + len(real["commands"])

    again = part_task("specialty", args, engine)
    assert not again["changed"] and again["commands"] == [] and again["statements_executed"] == 1

    roundtrip = part_task("specialty", dict(state="overridden", config=stored), engine)
    assert not roundtrip["changed"]


def tables_now(engine):
    return gathered("config_database", engine, gather=["body_part", "specialty", "patient_location"])["mappings"]


def mappings_task(args, engine, **kw):
    """config_database with only its mappings part: ``args`` holds config (the tables) and the call's options;
    returns the result with the part's keys (changed, tables) and the call's."""
    args = dict(args)
    result = task("config_database", dict(args, mappings={"config": args.pop("config")}), engine, **kw)
    return dict(result, **result.get("mappings", {}))


def connect(engine):
    if engine == "sqlite":
        return sqlite3.connect(DATABASES["sqlite"]["path"], isolation_level=None)
    import psycopg
    return psycopg.connect(host="10.201.0.13", dbname="impax_harbor", user="impax", password="lab-database-secret",
                           autocommit=True)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_mappings_part_check_apply_reapply_roundtrip(lab_postgresql, engine):
    before = tables_now(engine)
    assert set(before) == {"body_part", "specialty", "patient_location"}
    want = {"body_part": [{"pattern": text, "rule": 10 * (i + 1), "label": "B%d" % i} for i, text in enumerate(ODD)],
            "specialty": before["specialty"] + [{"pattern": "%NEW SPECIALTY%", "rule": 999, "label": "New"}]}
    args = dict(state="overridden", config=want)

    check = mappings_task(args, engine, check=True, diff=True)
    assert check["changed"] and set(check["tables"]) == {"body_part", "specialty"}  # patient_location not named
    assert tables_now(engine) == before, "check mode wrote something"
    assert [d["before_header"] for d in check["diff"]] == ["mappings.body_part", "mappings.specialty"]
    assert check["tables"]["specialty"]["commands"] == [dict(check["tables"]["specialty"]["commands"][0], op="create",
                                                             key="%NEW SPECIALTY%")]

    real = mappings_task(args, engine, diff=True)
    assert real["changed"] and real["tables"] == check["tables"] and real["diff"] == check["diff"]
    stored = tables_now(engine)
    assert stored["patient_location"] == before["patient_location"]
    for table in want:
        assert sorted(stored[table], key=lambda r: r["pattern"]) == sorted(want[table], key=lambda r: r["pattern"])
    writes = sum(len(r["commands"]) for r in real["tables"].values())
    # one read per table, one statement per changed row, one verifying read per changed table
    assert real["statements_executed"] == 2 + writes + 2

    again = mappings_task(args, engine)
    assert not again["changed"] and again["statements_executed"] == 2
    assert all(r["commands"] == [] for r in again["tables"].values())
    roundtrip = mappings_task(dict(state="overridden", config=stored), engine)  # gathered is a config
    assert not roundtrip["changed"] and roundtrip["statements_executed"] == 3


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_mappings_part_all_or_nothing(lab_postgresql, engine):
    """A guard refusing one table writes no table; a statement the database refuses in the last table rolls back
    the tables written before it."""
    before = tables_now(engine)
    body_part = before["body_part"] + [{"pattern": "%ALL OR NOTHING%", "rule": 4242, "label": "Both"}]
    refused = mappings_task(dict(state="overridden", max_deletions=0,
                                 config={"body_part": body_part, "specialty": before["specialty"][1:]}), engine)
    assert refused["failed"] and "specialty" in refused["msg"] and "nothing was written" in refused["msg"]
    assert tables_now(engine) == before

    with refusing_trigger(engine):
        failed = mappings_task(dict(state="merged", config={
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
    # gathered: every part, in the shape the options take
    assert set(before) == {"network_management", "sources", "mappings"} and set(before["mappings"]) == set(TABLES)
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
    assert refused["failed"] and refused["msg"].startswith("sources: ") and "nothing was written" in refused["msg"]
    assert everything_now(engine) == before

    with refusing_trigger(engine):
        failed = task("config_database", dict(
            state="merged", network_management={"config": [LINKED_CM]}, sources={"config": [SOURCE]},
            mappings={"config": {"specialty": [{"pattern": "%REFUSED%", "rule": 4243, "label": "No"}]}}), engine)
    assert failed["failed"] and "refused by a trigger" in failed["msg"] and "rolled back" in failed["msg"], failed
    assert everything_now(engine) == before


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_states_on_network_management(lab_postgresql, engine):
    base = gathered_part("network_management", engine)
    keys = [s["ae_title"] for s in base]
    assert "HBR_CR_OLD" in keys, "the brownfield stale station is there to start with"

    merged = part_task("network_management", dict(state="merged", config=[{"ae_title": "HBR_CT1", "port": 104}]), engine)
    assert merged["changed"] and merged["commands"] == [{"op": "update", "key": "HBR_CT1", "fields": {"port": [4104, 104]},
                                                         "sql": merged["commands"][0]["sql"], "params": [104, "HBR_CT1"]}]
    new = {"ae_title": "VLY_CM", "station_name": "VLY_CM", "host": "valley-cm01", "station_type": "HIS/RIS",
           "cluster_linking": True, "link_internal_queries": True, "capabilities": {"query_retrieve": True}}
    created = part_task("network_management", dict(state="merged", config=[new]), engine)
    assert [c["op"] for c in created["commands"]] == ["create"]

    replaced = part_task("network_management", dict(state="replaced", config=[dict(new, capabilities={})]), engine)
    assert replaced["commands"][0]["fields"] == {"capabilities.query_retrieve": [True, False]}

    contradicting = {"ae_title": "X", "station_name": "X", "host": "x", "cluster_linking": False, "link_prefetching": True}
    refused = part_task("network_management", dict(state="merged", config=[contradicting]), engine)
    assert refused["failed"] and "link_prefetching need cluster_linking" in refused["msg"]

    too_many = part_task("network_management", dict(state="overridden", config=[new], max_deletions=1), engine)
    assert too_many["failed"] and "more than max_deletions=1" in too_many["msg"]
    empty = part_task("network_management", dict(state="overridden", config=[]), engine)
    assert empty["failed"] and "allow_empty" in empty["msg"]

    deleted = part_task("network_management", dict(state="deleted", config=[{"ae_title": "HBR_CR_OLD"}]), engine)
    assert [c["op"] for c in deleted["commands"]] == ["delete"]
    protected = part_task("network_management", dict(state="overridden", config=[new], protected=["HBR_CM", "HBR_CT1"]), engine)
    assert protected["count_after"] == 3
    # after lists only what the run touched: VLY_CM's capabilities go back; the deleted stations are gone
    assert [s["ae_title"] for s in protected["after"]] == ["VLY_CM"]
    assert [(c["op"], c["key"]) for c in protected["commands"]] == [("update", "VLY_CM")]  # protected: no delete
    assert sorted(s["ae_title"] for s in gathered_part("network_management", engine)) == ["HBR_CM", "HBR_CT1", "VLY_CM"]

    rendered = run_task(HOST, "impax.cluster_link.config_database", part_args("network_management", dict(
        state="rendered", config=[new])))
    assert rendered["rendered"]["network_management"][0]["port"] == 104
    assert rendered["commands"]["network_management"][0]["sql"].startswith("INSERT INTO")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sources_visitor_and_roundtrip(lab_postgresql, engine):
    visitor = {"ae_title": "HBR_CDIMPORT", "station_name": "CDIMPORT", "institution": "Harbor General Hospital",
               "department": "Film Library", "home_cm": "HBR_CM", "visitor": True}
    refused = part_task("sources", dict(state="merged", config=[visitor]), engine)
    assert refused["failed"] and "automatic_archiving false" in refused["msg"]
    ok = part_task("sources", dict(state="merged", config=[dict(visitor, automatic_archiving=False)]), engine)
    assert ok["changed"]
    stored = gathered_part("sources", engine)
    again = part_task("sources", dict(state="overridden", config=stored), engine)
    assert not again["changed"], again


def test_postgresql_killed_mid_transaction_leaves_table_as_before(lab_postgresql):
    import psycopg
    params = dict(host="10.201.0.13", dbname="impax_harbor", user="impax", password="lab-database-secret")
    rows = [{"pattern": "%A%", "rule": 1, "label": "A"}, {"pattern": "%B%", "rule": 2, "label": "B"}]
    part_task("body_part", dict(state="overridden", config=rows), "postgresql")
    before = gathered_part("body_part", "postgresql")
    blocker = psycopg.connect(**params)
    # hold the row the module will update last: it deletes and inserts first, then waits on this lock
    blocker.execute("SELECT * FROM body_part_mapping WHERE source_pattern = %s FOR UPDATE", ("%B%",))
    want = [{"pattern": "%B%", "rule": 20, "label": "B"}, {"pattern": "%C%", "rule": 3, "label": "C"}]
    proc, out = run_task(HOST, "impax.cluster_link.config_database", part_args("body_part", dict(state="overridden", config=want)),
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
    assert gathered_part("body_part", "postgresql") == before


def test_sqlite_killed_mid_transaction_leaves_table_as_before(lab_postgresql):
    path = DATABASES["sqlite"]["path"]
    part_task("body_part", dict(state="overridden",
                                config=[{"pattern": "%A%", "rule": 1, "label": "A"}]), "sqlite")
    before = gathered_part("body_part", "sqlite")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM body_part_mapping").fetchone()  # a SHARED lock: the module cannot COMMIT
    want = [{"pattern": "%Z%", "rule": 9, "label": "Z"}]
    # without pipelining the module's process is named after its AnsiballZ file: the test finds and kills it
    proc, out = run_task(HOST, "impax.cluster_link.config_database", part_args("body_part", dict(state="overridden", config=want)),
                         database=DATABASES["sqlite"], background=True, pipelining=False)
    try:
        module_pid = None
        for unused in range(300):
            if os.path.exists(path + "-journal"):  # the module has written its changes and waits to commit
                found = subprocess.run(["pgrep", "-f", "AnsiballZ_config_database"], capture_output=True, text=True,
                                       check=False).stdout.split()
                if found:
                    module_pid = int(found[-1])
                    break
            time.sleep(0.05)
        assert module_pid, "the module never got to its commit"
        time.sleep(0.3)
        for pid in subprocess.run(["pgrep", "-f", "AnsiballZ_config_database"], capture_output=True, text=True,
                                  check=False).stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert gathered_part("body_part", "sqlite") == before


def test_config_database_reports_a_value_the_database_rewrites(lab_postgresql):
    """The check after the write reads the rows back: a database that stores something else than what was written
    (here a trigger that upper-cases the label) is reported naming the table, with the rows as stored in after."""
    connection = connect("sqlite")
    try:
        connection.execute("CREATE TRIGGER shout AFTER INSERT ON specialty_mapping BEGIN UPDATE specialty_mapping "
                           "SET specialty = upper(NEW.specialty) WHERE source_pattern = NEW.source_pattern; END")
        result = mappings_task(dict(state="merged", config={
            "specialty": [{"pattern": "%WHISPER%", "rule": 4244, "label": "quiet"}]}), "sqlite")
    finally:
        connection.execute("DROP TRIGGER shout")
        connection.close()
    assert result["changed"] and not result.get("failed"), result
    assert result["tables"]["specialty"]["after"] == [{"pattern": "%WHISPER%", "rule": 4244, "label": "QUIET"}]
    assert any(w.startswith("mappings.specialty: the database holds something else") for w in result["warnings"])


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_config_database_from_plan_slices(lab_postgresql, engine, tmp_path):
    """From plan slices under overridden: check mode writes nothing, a converged database is one read per table
    and no write, a hand-made station the estate protects is kept, and one value edited by hand is repaired."""
    from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import write_slices
    before = everything_now(engine)
    assert before["network_management"] and before["mappings"]["body_part"], "the lab's harbor has rows to start with"
    wanted = dict(network_management=before["network_management"] + [LINKED_CM], sources=before["sources"] + [SOURCE],
                  gateways={}, mappings={"body_part": before["mappings"]["body_part"],
                                         "specialty": before["mappings"]["specialty"] + [ROW]})
    refs = write_slices({"hosts_table": [], "clusters": {"harbor": wanted}}, str(tmp_path))["harbor"]
    hand_made = dict(LINKED_CM, ae_title="HAND_MADE", station_name="HAND_MADE")
    args = dict(state="overridden", network_management={"from_plan": refs["network_management"], "protected": ["HAND_MADE"]},
                sources={"from_plan": refs["sources"]},
                mappings={"from_plan": {"body_part": refs["mappings"]["body_part"], "specialty": refs["mappings"]["specialty"]}})
    try:
        check = task("config_database", args, engine, check=True)
        assert check["changed"] and everything_now(engine) == before, "check mode wrote something"
        first = task("config_database", args, engine)
        assert first["changed"] and first["network_management"]["commands"] == check["network_management"]["commands"]

        again = task("config_database", args, engine, check=True, diff=True)
        assert not again["changed"], again
        assert again["statements_executed"] == 4 and again["network_management"]["count_before"] == len(wanted["network_management"])
        assert [d["before"] for d in again["diff"]] == [{}] * 4

        assert part_task("network_management", dict(state="merged", config=[hand_made]), engine)["changed"]
        kept = task("config_database", args, engine)
        assert not kept["changed"] and "HAND_MADE" in [s["ae_title"] for s in everything_now(engine)["network_management"]]

        with contextlib.closing(connect(engine)) as db:
            db.execute("UPDATE specialty_mapping SET specialty = 'EDITED' WHERE source_pattern = '%CONFIG DATABASE%'")
        repair = task("config_database", args, engine, diff=True)
        assert repair["changed"], repair
        assert [(c["op"], c["key"]) for c in repair["mappings"]["tables"]["specialty"]["commands"]] == [("update", ROW["pattern"])]
        assert not repair["network_management"]["changed"] and not repair["sources"]["changed"]
        assert not task("config_database", args, engine)["changed"]
    finally:
        restored = task("config_database", dict(full(before), allow_empty=True), engine)
        assert not restored.get("failed") and everything_now(engine) == before, restored


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_estate_lock_taken_refused_and_a_writer_without_it_writes_nothing(lab_postgresql, engine):
    """The estate lock on the real engines: one run holds it, another is refused with the holder named (and sees it
    in check mode), a config_database write under the wrong run id fails in its own transaction and writes
    nothing, the holder's write goes through and renews the lease, only the holder gives it up."""
    first = dict(run_id="run-one-%s" % engine, playbook="first.yml", controller="awx-node-1", pid=101)
    taken = task("estate_lock", first, engine)
    assert not taken.get("failed") and taken["outcome"] == "taken", taken
    refused = task("estate_lock", dict(run_id="run-two", playbook="second.yml", controller="awx-node-2", pid=202),
                   engine)
    assert refused.get("failed") and refused["outcome"] == "held", refused
    assert "held by run run-one-%s" % engine in refused["msg"] and "first.yml" in refused["msg"], refused["msg"]
    preview = task("estate_lock", dict(run_id="run-two"), engine, check=True)
    assert preview["outcome"] == "held" and not preview.get("failed"), preview

    row = {"pattern": "%LOCKTEST%", "rule": 4242, "label": "NEURO"}
    before = gathered("config_database", engine, gather=["specialty"])["mappings"]["specialty"]
    stranger = task("config_database", {"state": "merged", "lock": {"run_id": "run-two"},
                                        "mappings": {"config": {"specialty": [row]}}}, engine)
    assert stranger.get("failed") and "no longer holds the estate lock" in stranger["msg"], stranger
    assert "first.yml" in stranger["msg"], stranger["msg"]  # who holds it instead
    assert gathered("config_database", engine, gather=["specialty"])["mappings"]["specialty"] == before

    expires = task("estate_lock", {"state": "gathered"}, engine)["held_by"]["expires"]
    time.sleep(1.1)  # the lease is kept to the second
    holder = task("config_database", {"state": "merged", "lock": {"run_id": first["run_id"]},
                                      "mappings": {"config": {"specialty": [row]}}}, engine)
    assert not holder.get("failed") and holder["changed"], holder
    assert task("estate_lock", {"state": "gathered"}, engine)["held_by"]["expires"] > expires  # renewed by the write
    task("config_database", {"state": "deleted", "lock": {"run_id": first["run_id"]},
                             "mappings": {"config": {"specialty": [row]}}}, engine)

    assert task("estate_lock", dict(state="released", run_id="run-two"), engine)["outcome"] == "not_held"
    released = task("estate_lock", dict(state="released", run_id=first["run_id"]), engine)
    assert released["outcome"] == "released" and released["changed"], released
    assert task("estate_lock", {"state": "gathered"}, engine)["outcome"] == "free"
