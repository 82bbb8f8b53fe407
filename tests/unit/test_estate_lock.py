"""The estate lock's row on a real SQLite database: taken once, renewed, refused, taken over when stale, given up
only by its holder, checked (and renewed) inside a writer's transaction. PostgreSQL and the playbooks: tests/lab."""

import multiprocessing
import sqlite3

import pytest

from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import Database
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.estate_lock import EstateLock, LockLost


def run(run_id, **kw):
    return dict(dict(run_id=run_id, holder="ops@ctl", playbook="link_clusters.yml", controller="ctl", pid=4711), **kw)


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "config.sqlite")
    sqlite3.connect(path).close()
    return path


def lock_of(path):
    return EstateLock(Database({"engine": "sqlite", "path": path}).connect())


def test_a_free_lock_is_taken_renewed_by_its_run_and_refused_to_another(database):
    lock = lock_of(database)
    assert lock.read() is None
    assert lock.hold(run("a"), 600, now=1000.0) == ("taken", None)
    outcome, before = lock.hold(run("a"), 600, now=1100.0)
    assert outcome == "renewed" and before["expires"] == 1600.0
    assert lock.read()["expires"] == 1700.0
    outcome, holder = lock.hold(run("b", holder="other@ctl2"), 600, now=1200.0)
    assert outcome == "held" and holder["run_id"] == "a" and holder["holder"] == "ops@ctl"
    assert lock.read()["run_id"] == "a"  # nothing written for the refused run


def test_a_stale_lock_is_taken_over_by_lease_or_by_name(database):
    lock = lock_of(database)
    lock.hold(run("a"), 600, now=1000.0)
    assert lock.hold(run("b"), 600, now=1599.0)[0] == "held"
    outcome, before = lock.hold(run("b"), 600, now=1601.0)  # a's lease ran out at 1600
    assert outcome == "taken_over" and before["run_id"] == "a"
    assert lock.read()["run_id"] == "b" and lock.read()["since"] == 1601.0
    outcome, before = lock.hold(run("c"), 600, take_over="b", now=1700.0)  # b named as gone
    assert outcome == "taken_over" and before["run_id"] == "b"
    assert lock.hold(run("d"), 600, take_over="b", now=1800.0)[0] == "held"  # c is not b: no take-over


def test_only_the_holder_gives_the_lock_up(database):
    lock = lock_of(database)
    assert lock.release("a") == (False, None)  # no lock table yet: nothing to give up
    lock.hold(run("a"), 600, now=1000.0)
    released, row = lock.release("b")
    assert not released and row["run_id"] == "a" and lock.read()["run_id"] == "a"
    assert lock.release("a")[0] and lock.read() is None


def test_a_writer_checks_inside_its_transaction_that_its_run_holds_the_lock(database):
    db = Database({"engine": "sqlite", "path": database}).connect()
    lock = EstateLock(db)
    with pytest.raises(LockLost, match="no lock table"):
        lock.verify(db.connection.cursor(), "a")
    lock.hold(run("a"), 600, now=1000.0)
    cursor = db.begin([], lock=True)
    lock.verify(cursor, "a", now=1300.0)
    db.commit()
    assert lock.read()["expires"] == 1900.0  # renewed by the write
    lock.hold(run("b"), 600, now=2000.0)  # a's lease ran out: b took it over
    cursor = db.begin([], lock=True)
    with pytest.raises(LockLost, match="held by ops@ctl, link_clusters.yml"):
        lock.verify(cursor, "a")
    db.rollback()


def _race(args):
    path, run_id = args
    return lock_of(path).hold(run(run_id), 600)[0]


def test_of_runs_racing_for_a_free_lock_exactly_one_takes_it(database):
    with multiprocessing.get_context("fork").Pool(8) as pool:
        outcomes = pool.map(_race, [(database, "run-%d" % i) for i in range(16)])
    assert outcomes.count("taken") == 1 and outcomes.count("held") == 15, outcomes
