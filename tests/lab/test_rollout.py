"""The whole rollout on the lab: ansible-runner (as AWX/AAP runs it), and faults during the rollout."""

import json
import os
import signal
import subprocess

import pytest

from labutil import BIN, LAB_DIR, ROOT, environ, playbook, recap

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")


def changed_hosts(output):
    return dict((h, r["changed"]) for h, r in recap(output).items() if r["changed"])


def test_ansible_runner_runs_the_rollout(lab, tmp_path):
    """ansible-runner with a private data directory, the way AWX/AAP runs a job template."""
    private = tmp_path / "runner"
    (private / "env").mkdir(parents=True)
    os.symlink(ROOT, private / "project")
    (private / "env" / "envvars").write_text(json.dumps({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"), "IMPAX_PROJECT_DIR": ROOT}))
    for attempt in ("first", "again"):
        run = subprocess.run([os.path.join(BIN, "ansible-runner"), "run", str(private), "-p", "link-clusters.yml",
                              "--inventory", os.path.join(ROOT, "inventories", "lab"), "--ident", attempt],
                             cwd=ROOT, env=environ(), capture_output=True, text=True, timeout=900, check=False)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        artifacts = private / "artifacts" / attempt
        assert (artifacts / "status").read_text().strip() == "successful"
        events = [json.loads(path.read_text()) for path in (artifacts / "job_events").glob("*.json")]
        stats = [e for e in events if e.get("event") == "playbook_on_stats"][0]["event_data"]
        if attempt == "first":
            assert sum((stats.get("changed") or {}).values()) > 0
        else:
            assert not stats.get("changed"), stats.get("changed")  # idempotent under the runner too
        assert not stats.get("failures")


def _stop_recorded(name):
    with open(os.path.join(LAB_DIR, "run", name + ".json")) as handle:
        pid = json.load(handle)["pid"]
    os.kill(pid, signal.SIGTERM)
    for unused in range(200):
        if not os.path.exists("/proc/%d" % pid):
            break
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        with open("/proc/%d/stat" % pid) as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        import time
        time.sleep(0.05)


def test_gateway_down_fails_naming_cluster_and_resource(lab):
    playbook("link-clusters.yml")  # converged
    _stop_recorded("orthanc-valley-cm01")
    result, _seconds = playbook("link-clusters.yml", "--tags", "gateway")
    assert result.returncode != 0
    failed = dict((h, r["failed"]) for h, r in recap(result.stdout).items() if r["failed"])
    assert failed == {"valley-cm01": 1}, result.stdout
    assert "cannot reach http://valley-cm01:8042" in result.stdout
    up, _seconds = playbook("playbooks/lab_up.yml")  # starts the stopped Orthanc again
    assert up.returncode == 0
    again, _seconds = playbook("link-clusters.yml")
    assert again.returncode == 0, again.stdout
    assert changed_hosts(again.stdout) == {}, "nothing else to change once the gateway is back"


def orthanc_starts(node):
    """How many times the node's Orthanc has started (its own log; a POST /tools/reset starts it again)."""
    folder = os.path.join(LAB_DIR, "logs", "orthanc-" + node)
    count = 0
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), errors="replace") as handle:
            count += handle.read().count("Orthanc has started")
    return count


def test_a_linking_change_resets_that_clusters_application_service_once(lab):
    """A linking flag that drifted in one cluster's Network Management is put back and that cluster's application
    service (the lab: its Orthanc gateway) is reset once; the other clusters' are not, and a converged run resets
    nothing."""
    import sqlite3
    import time
    result, _seconds = playbook("link-clusters.yml", "--skip-tags", "verify")
    assert result.returncode == 0, result.stdout[-3000:]
    before = dict((node, orthanc_starts(node)) for node in ("harbor-cm01", "harbor-cm02", "valley-cm01", "summit-cm01"))
    assert all(before.values()), before
    db = sqlite3.connect(os.path.join(LAB_DIR, "db", "harbor.sqlite"), isolation_level=None)
    try:
        linked = db.execute("SELECT ae_title FROM network_station WHERE cluster_linking = 1 ORDER BY 1").fetchone()[0]
        db.execute("UPDATE network_station SET link_cluster_updates = 1 - link_cluster_updates WHERE ae_title = ?",
                   (linked,))
    finally:
        db.close()

    changed, _seconds = playbook("link-clusters.yml", "--tags", "config_db", "--diff")
    assert changed.returncode == 0, changed.stdout[-3000:]
    assert changed_hosts(changed.stdout) == {"harbor-db01": 2}, changed.stdout[-3000:]  # the rows, then the reset
    assert "link_cluster_updates" in changed.stdout
    # both of harbor's gateways (one per CM node), nobody else's
    reset = changed.stdout.split("Reset the cluster's Orthanc gateways]", 1)[1].split("TASK [", 1)[0]
    assert reset.count("changed: [harbor-db01]") == 2 and "valley" not in reset and "summit" not in reset, reset
    deadline = time.time() + 30
    while any(orthanc_starts(n) == before[n] for n in ("harbor-cm01", "harbor-cm02")) and time.time() < deadline:
        time.sleep(0.5)
    after = dict((node, orthanc_starts(node)) for node in before)
    assert after == dict(before, **{"harbor-cm01": before["harbor-cm01"] + 1,
                                    "harbor-cm02": before["harbor-cm02"] + 1}), (before, after)

    again, _seconds = playbook("link-clusters.yml", "--tags", "config_db")
    assert again.returncode == 0 and changed_hosts(again.stdout) == {}, again.stdout[-3000:]
    assert "Reset the cluster's Orthanc gateways" not in again.stdout
    assert dict((node, orthanc_starts(node)) for node in before) == after


def test_database_down_fails_naming_cluster_and_nothing_is_half_written(lab):
    playbook("link-clusters.yml")
    db = os.path.join(LAB_DIR, "db", "summit.sqlite")
    os.rename(db, db + ".away")  # the database is gone for this run
    try:
        result, _seconds = playbook("link-clusters.yml", "--tags", "config_db")
    finally:
        os.rename(db + ".away", db)
    assert result.returncode != 0
    failed = dict((h, r["failed"]) for h, r in recap(result.stdout).items() if r["failed"])
    assert failed == {"summit-db01": 1}, result.stdout
    # the first to reach the database is the estate lock, before anything is written anywhere in summit
    assert "estate_lock: cannot connect to the sqlite database" in result.stdout, result.stdout[-3000:]
    again, _seconds = playbook("link-clusters.yml")
    assert again.returncode == 0 and changed_hosts(again.stdout) == {}, again.stdout


def test_modules_take_the_plan_lists_by_reference_and_refuse_a_changed_one(lab, tmp_path):
    """The rollout hands the plan's large lists to the modules as files; an edited file is refused, nothing sent."""
    import hashlib
    import sqlite3
    from labutil import run_task
    from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import write_slices
    result, _seconds = playbook("link-clusters.yml", "--skip-tags", "verify")
    assert result.returncode == 0, result.stdout[-3000:]
    with open(os.path.join(ROOT, "build", "plan-lab.json")) as handle:
        plan = json.load(handle)
    ref = write_slices(plan, str(tmp_path))["harbor"]["network_management"]
    database = {"engine": "sqlite", "path": os.path.join(LAB_DIR, "db", "harbor.sqlite")}
    args = dict(state="overridden", network_management={"from_plan": ref})
    same = run_task("harbor-db01", "impax.cluster_link.config_database", args, database=database)
    assert not same.get("failed") and same["changed"] is False, same  # the converged table, read from the file
    both = run_task("harbor-db01", "impax.cluster_link.config_database",
                    dict(args, network_management=dict(args["network_management"], config=[])), database=database)
    assert both["failed"] and "not both" in both["msg"], both

    def table():
        db = sqlite3.connect(database["path"])
        try:
            return hashlib.sha256(repr(db.execute("SELECT * FROM network_station ORDER BY 1").fetchall()).encode()).hexdigest()
        finally:
            db.close()
    before = table()
    stations = json.loads(open(ref["file"]).read())
    stations = [dict(s, port=4242) for s in stations]  # someone edits the file after planning
    with open(ref["file"], "w") as handle:
        json.dump(stations, handle)
    refused = run_task("harbor-db01", "impax.cluster_link.config_database", args, database=database)
    assert refused["failed"] and "is not the one planned" in refused["msg"], refused
    assert table() == before, "nothing was written"
