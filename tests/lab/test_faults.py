"""Faults and concurrency on the lab (issue #30): the estate lock keeps two runs apart - another run's lock refuses
its cluster by name while the others go ahead, a waiting run goes ahead when the lock is given up - and a run
killed anywhere leaves every hosts file and database whole, old or new, and the next run takes its stale lock
over and converges the estate with every link verified."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from labutil import BIN, LAB_DIR, NODES, ROOT, adhoc, environ, hosts_digests, inventory_nodes, playbook, recap, run_task
from test_change_management import changed_inventory

DATABASES = dict((cluster, {"engine": "sqlite", "path": os.path.join(LAB_DIR, "db", "%s.sqlite" % cluster)})
                 for cluster in ("harbor", "summit", "valley"))
AWX = dict(run_id="awx-run-7", holder="ops@awx-node-2", playbook="link_clusters.yml", controller="awx-node-2",
           pid=4242)


def lock(args, cluster="harbor"):
    return run_task("%s-db01" % cluster, "impax.cluster_link.estate_lock", args, database=DATABASES[cluster])


def database_digest(cluster):
    """A digest of the cluster's whole configuration database as the modules read it."""
    result = run_task("%s-db01" % cluster, "impax.cluster_link.config_database", {"state": "gathered"},
                      database=DATABASES[cluster])
    assert not result.get("failed"), result
    return hashlib.sha256(repr(sorted(result["gathered"].items())).encode()).hexdigest()


def state():
    return dict(hosts_digests(), **dict(("db:" + c, database_digest(c)) for c in DATABASES))


def converge(inventory):
    result, unused = playbook("link-clusters.yml", inventory=inventory, IMPAX_PROJECT_DIR=ROOT)
    assert result.returncode == 0, result.stdout[-4000:]
    return result


def start(tmp_path, inventory, *extra):
    log = str(tmp_path / ("run-%d.log" % time.monotonic_ns()))
    with open(log, "w") as handle:
        process = subprocess.Popen([os.path.join(BIN, "ansible-playbook"), "link-clusters.yml", "-i", inventory]
                                   + list(extra), cwd=ROOT, env=environ(IMPAX_PROJECT_DIR=ROOT), stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process, log


def wait_for(process, log, marker, timeout=300):
    """Until ``marker`` is in the run's log (the run got there); fails when the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log) as handle:
            if marker in handle.read():
                return
        if process.poll() is not None:
            with open(log) as handle:
                pytest.fail("the run ended before %r:\n%s" % (marker, handle.read()[-4000:]))
        time.sleep(0.05)
    pytest.fail("no %r in the run's log after %d s" % (marker, timeout))


def test_another_runs_lock_refuses_its_cluster_by_name_and_the_others_go_ahead(lab, tmp_path):
    converge("inventories/lab")
    before = hosts_digests()
    assert lock(AWX)["outcome"] == "taken"
    proposed = str(changed_inventory(tmp_path))
    refused, unused = playbook("link-clusters.yml", inventory=proposed, IMPAX_PROJECT_DIR=ROOT)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output[-3000:]
    assert ("the estate lock of harbor is held by run awx-run-7 (ops@awx-node-2, link_clusters.yml" in output), output[-3000:]
    after = hosts_digests()
    harbor = [node for node in NODES if node.startswith("harbor-")]
    assert all(after[node] == before[node] for node in harbor), "a node of the locked cluster was changed"
    assert all(after[node] != before[node] for node in NODES if node not in harbor), "the other clusters waited"
    assert lock({"state": "gathered"})["held_by"]["run_id"] == "awx-run-7"  # the other run's lock is left to it

    assert lock(dict(state="released", run_id="awx-run-7"))["outcome"] == "released"
    converge(proposed)
    again = converge(proposed)
    assert all(row["changed"] == 0 for row in recap(again.stdout).values()), again.stdout[-3000:]
    converge("inventories/lab")


def test_a_waiting_run_goes_ahead_when_the_lock_is_given_up(lab, tmp_path):
    converge("inventories/lab")
    assert lock(AWX)["outcome"] == "taken"
    process, log = start(tmp_path, "inventories/lab", "-e", "impax_lock_wait=240")
    wait_for(process, log, "TASK [impax.cluster_link.estate_lock : Take the estate locks one cluster at a time")
    time.sleep(6)  # at least one look at the lock while it is held (every 5 s)
    assert process.poll() is None, "the run did not wait for the lock"
    assert lock(dict(state="released", run_id="awx-run-7"))["outcome"] == "released"
    assert process.wait(timeout=600) == 0, open(log).read()[-4000:]
    output = open(log).read()
    assert "fatal:" not in output and "took over" not in output, output[-3000:]
    assert lock({"state": "gathered"})["outcome"] == "free"  # given up at its end


def test_a_correcting_drift_check_only_reports_a_cluster_another_run_holds(lab, tmp_path):
    converge("inventories/lab")
    for gateway, modality in (("harbor-cm01", "SMT_CM"), ("summit-cm01", "HBR_CM")):  # drift behind our back
        gone = adhoc(gateway, "ansible.builtin.uri", "url=http://%s:8042/modalities/%s method=DELETE url_username=impax "
                     "url_password=lab-gateway-secret force_basic_auth=true" % (gateway, modality))
        assert gone.returncode == 0, gone.stdout
    assert lock(AWX)["outcome"] == "taken"
    reports = tmp_path / "reports"
    check, unused = playbook("playbooks/drift_check.yml", "-e", "impax_drift_correct=true",
                             "-e", "impax_report_dir=%s" % reports)
    output = check.stdout + check.stderr
    assert check.returncode != 0 and "another run holds the estate lock of harbor" in output, output[-3000:]
    report = json.loads((reports / "drift-impax-lab.json").read_text())
    assert report["clusters"]["harbor"]["locked_out"] and not report["clusters"]["summit"]["locked_out"]
    assert report["clusters"]["harbor"]["resources"]["dicom"]["status"] == "drift"  # seen, left to the holder
    assert report["clusters"]["summit"]["resources"]["dicom"]["status"] == "corrected"
    assert lock({"state": "gathered"})["held_by"]["run_id"] == "awx-run-7"

    assert lock(dict(state="released", run_id="awx-run-7"))["outcome"] == "released"
    corrected, unused = playbook("playbooks/drift_check.yml", "-e", "impax_drift_correct=true",
                                 "-e", "impax_report_dir=%s" % reports)
    assert corrected.returncode == 0, corrected.stdout[-3000:]
    assert json.loads((reports / "drift-impax-lab.json").read_text())["clusters"]["harbor"]["status"] == "corrected"
    assert lock({"state": "gathered"})["outcome"] == "free"


# where a run is killed, as its log shows it got there (not after a fixed time); the copied estate finds the lab
# through IMPAX_PROJECT_DIR
KILL_POINTS = {
    "hosts stage": "TASK [impax.cluster_link.hosts_file",
    "database transaction": "TASK [impax.cluster_link.config_database : Reconcile",
    "between database and gateways": "PLAY [DICOM gateway of each Connectivity Manager]",
    "gateway push": "TASK [impax.cluster_link.dicom_gateway",
}


@pytest.fixture(scope="module")
def estates(lab, tmp_path_factory):
    """The lab's estate and a changed one, with the state (hosts files, databases) each converges to."""
    proposed = str(changed_inventory(tmp_path_factory.mktemp("changed")))
    states = {}
    for inventory in (proposed, "inventories/lab"):
        converge(inventory)
        states[inventory] = state()
    return {"current": "inventories/lab", "states": states, "other": {proposed: "inventories/lab",
                                                                      "inventories/lab": proposed}}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_a_run_killed_anywhere_leaves_everything_whole_and_the_next_converges(estates, point, tmp_path):
    old = estates["current"]
    new = estates["other"][old]
    process, log = start(tmp_path, new)
    wait_for(process, log, KILL_POINTS[point])
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    estates["current"] = new

    now = state()
    for thing, digest in now.items():  # each hosts file and each database is the old one or the new one, whole
        assert digest in (estates["states"][old][thing], estates["states"][new][thing]), (point, thing)
    taken_over = lock({"state": "gathered"})
    assert taken_over["outcome"] == "gathered", "the killed run's lock is left behind"

    after, unused = playbook("link-clusters.yml", inventory=new, IMPAX_PROJECT_DIR=ROOT)
    output = after.stdout + after.stderr
    assert after.returncode == 0, output[-4000:]  # the links are verified live as part of the run
    assert "took over the estate lock of run %s" % taken_over["held_by"]["run_id"] in output, output[-3000:]
    assert state() == estates["states"][new]
    again = converge(new)
    assert all(row["changed"] == 0 for row in recap(again.stdout).values()), again.stdout[-3000:]
    assert lock({"state": "gathered"})["outcome"] == "free"


def lose(node):
    """The node is lost: its sshd stops, and this controller's open connection to it (ControlPersist) is closed."""
    from test_rollout import _stop_recorded
    _stop_recorded("sshd-" + node)
    address = inventory_nodes()[node]["ip"]
    subprocess.run(["ssh", "-O", "exit", "-o", "ControlPath=%s" % os.path.join(LAB_DIR, "cp", address), address],
                   capture_output=True, check=False, timeout=30)


def test_a_node_lost_mid_run_is_named_its_cluster_waits_and_the_next_run_converges(estates, tmp_path):
    old = estates["current"]
    new = estates["other"][old]
    process, log = start(tmp_path, new)
    wait_for(process, log, "PLAY [Change windows]")  # planned with every node up, no stage started yet
    lose("valley-as01")
    assert process.wait(timeout=900) != 0
    output = open(log).read()
    assert "fatal: [valley-as01]: UNREACHABLE!" in output, output[-4000:]
    estates["current"] = new
    now = state()
    # the lost node and valley's database wait (its other nodes took their own hosts tables in the same stage);
    # the other clusters changed
    assert now["valley-as01"] == estates["states"][old]["valley-as01"]
    assert now["db:valley"] == estates["states"][old]["db:valley"], "valley's database changed without its node"
    for thing, digest in now.items():
        if not thing.split(":")[-1].startswith("valley-") and thing != "db:valley":
            assert digest == estates["states"][new][thing], (thing, "not changed")
    assert all(lock({"state": "gathered"}, cluster)["outcome"] == "free" for cluster in DATABASES)

    up, unused = playbook("playbooks/lab_up.yml")  # the node comes back
    assert up.returncode == 0, up.stdout[-3000:]
    converge(new)
    assert state() == estates["states"][new]
    again = converge(new)
    assert all(row["changed"] == 0 for row in recap(again.stdout).values()), again.stdout[-3000:]


def test_a_gateway_restarted_during_its_push_is_named_and_the_next_push_completes_it(lab, tmp_path):
    """Orthanc stopped while dicom_nodes writes its registry: the module fails naming the gateway (or, had the
    gateway come back in time, holds every modality it read back) - never success with a part of the registry."""
    sys.path.insert(0, os.path.join(ROOT, "roles", "lab", "files"))
    from impax_lab import Api
    from test_rollout import _stop_recorded

    gateway = Api("10.201.0.31", "impax", "lab-gateway-secret")
    wanted = ["FAULT_%03d" % i for i in range(400)]
    args = {"url": "http://summit-cm01:8042", "username": "impax", "password": "lab-gateway-secret",
            "state": "merged", "modalities": [{"name": ae, "ae_title": ae, "host": "fault-%s" % ae[-3:].lower(),
                                               "port": 104} for ae in wanted]}
    process, out = run_task("summit-cm01", "impax.cluster_link.dicom_nodes", args, background=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # stopped when the push is under way, as the registry shows it
        held = [name for name in gateway.get("/modalities") if name.startswith("FAULT_")]
        if 0 < len(held) < len(wanted):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the push was never seen under way")
    _stop_recorded("orthanc-summit-cm01")
    process.communicate(timeout=300)
    result = json.load(open(out))
    up, unused = playbook("playbooks/lab_up.yml")  # the gateway starts again
    assert up.returncode == 0, up.stdout[-3000:]
    held = sorted(name for name in gateway.get("/modalities") if name.startswith("FAULT_"))
    if result.get("failed"):
        assert "http://summit-cm01:8042" in result["msg"], result["msg"]
    else:
        assert held == wanted, "success reported with %d of %d modalities" % (len(held), len(wanted))
    again = run_task("summit-cm01", "impax.cluster_link.dicom_nodes", args)
    assert not again.get("failed"), again
    assert sorted(name for name in gateway.get("/modalities") if name.startswith("FAULT_")) == wanted
    converge("inventories/lab")  # overridden again: the test's modalities are gone
    assert not [name for name in gateway.get("/modalities") if name.startswith("FAULT_")]
