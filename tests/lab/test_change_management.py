"""Snapshot -> change -> rollback restores the earlier state exactly; change windows refuse or record a forced rollout."""

import glob
import json
import os
import re
import shutil

import yaml

from labutil import BIN, NODES, ROOT, adhoc, hosts_digests, playbook, recap


def snapshot(folder, name):
    """Take a snapshot named ``name`` under ``folder``; the per-cluster states without their id."""
    result, unused = playbook("playbooks/take_snapshot.yml", "-e", "impax_snapshot_dir=%s" % folder,
                              "-e", "impax_snapshot_id=%s" % name)
    assert result.returncode == 0, result.stdout[-3000:]
    states = {}
    for path in sorted(glob.glob(os.path.join(folder, "impax-lab", name, "*.json"))):
        with open(path) as handle:
            state = json.load(handle)
        state.pop("id")
        states[state["cluster"]] = state
    assert sorted(states) == ["harbor", "summit", "valley"]
    return states


def add_harbor_station(inventory, name, ip):
    """A new modality at harbor (``HBR_<name>`` on host ``hbr-<name>``): every cluster and node has something to change."""
    stations = inventory / "group_vars" / "harbor" / "stations.yml"
    data = yaml.safe_load(stations.read_text())
    data["impax_stations"].append({"station_name": name, "ae_title": "HBR_" + name, "host": "hbr-" + name.lower(), "ip": ip,
                                   "institution": data["impax_stations"][0]["institution"],
                                   "department": data["impax_stations"][0]["department"], "home_cm": "HBR_CM"})
    stations.write_text(yaml.safe_dump(data))


def windowed_inventory(tmp_path):
    """The lab estate where summit may change only on weekend nights (Brussels time)."""
    inventory = tmp_path / "windowed"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    cluster = inventory / "group_vars" / "summit" / "cluster.yml"
    data = yaml.safe_load(cluster.read_text())
    data["impax_cluster"]["change_windows"] = [{"days": ["sat", "sun"], "start": "22:00", "end": "04:00",
                                                "timezone": "Europe/Brussels"}]
    cluster.write_text(yaml.safe_dump(data))
    return inventory


def changed_inventory(tmp_path):
    """The lab estate with a change: a new station at harbor, a changed mapping row, narrower links from valley."""
    inventory = tmp_path / "lab"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    add_harbor_station(inventory, "MR9", "10.201.0.99")
    cluster = inventory / "group_vars" / "valley" / "cluster.yml"
    data = yaml.safe_load(cluster.read_text())
    data["impax_cluster"]["linking"] = {"link_prefetching": False}
    cluster.write_text(yaml.safe_dump(data))
    return inventory


def test_snapshot_change_rollback_restores_exactly(lab, tmp_path):
    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    folder = str(tmp_path / "snapshots")
    before = snapshot(folder, "before")

    proposed = str(changed_inventory(tmp_path))
    # the plan of the change, for approval, before it is made
    reports = tmp_path / "reports"
    approval, unused = playbook("playbooks/change_plan.yml", "-e", "impax_report_dir=%s" % reports, inventory=proposed,
                                IMPAX_PROJECT_DIR=ROOT)
    assert approval.returncode == 0, approval.stdout[-3000:]
    with open(reports / "plan-impax-lab.json") as handle:
        planned = json.load(handle)
    assert planned["kind"] == "plan" and planned["status"] == "drift"
    changing = sorted((n, r) for n, c in planned["clusters"].items() for r, e in c["resources"].items() if e["status"] == "drift")
    assert ("harbor", "sources") in changing and ("valley", "network_management") in changing
    document = (reports / "plan-impax-lab.md").read_text()
    assert document.startswith("# Change plan for approval - estate impax-lab") and "HBR_MR9" in document
    assert "Change plan for approval" in (reports / "plan-impax-lab.html").read_text()
    assert snapshot(folder, "planned") == before  # the plan changed nothing

    report = os.path.join("build", "test-reports", "rollout-%d.json" % os.getpid())
    change, unused = playbook("link-clusters.yml", "-e", "impax_snapshot_enabled=true", "-e", "impax_rollout_report=%s" % report,
                              inventory=proposed, IMPAX_PROJECT_DIR=ROOT)
    assert change.returncode == 0, change.stdout[-3000:]
    # a relative path is taken from the directory the command runs in (#33), never from playbooks/
    assert os.path.isfile(os.path.join(ROOT, report)) and not os.path.exists(os.path.join(ROOT, "playbooks", "build"))
    os.remove(os.path.join(ROOT, report))
    assert sum(recap(change.stdout)[h]["changed"] for h in recap(change.stdout)) > 0
    # the rollout took its own snapshot first: the same state as "before"
    taken = [line for line in change.stdout.splitlines() if "Snapshot " in line]
    assert taken, change.stdout[-2000:]
    changed = snapshot(folder, "changed")
    assert changed != before
    assert "HBR_MR9" in json.dumps(changed["harbor"]["sources"]) + json.dumps(changed["valley"]["sources"])

    # rolled back as docs/operations.md writes it: the snapshot the rollout printed, by its path under build/
    snapshot_id = re.search(r"Snapshot (\d{8}T\d{6}Z): ", change.stdout).group(1)
    assert os.path.isdir(os.path.join(ROOT, "build", "snapshots", "impax-lab", snapshot_id))
    rollback, unused = playbook("playbooks/rollback.yml", "-e", "impax_snapshot=build/snapshots/impax-lab/%s" % snapshot_id)
    assert rollback.returncode == 0, rollback.stdout[-3000:]
    said = " ".join(rollback.stdout.split())  # the callback may fold long lines
    assert "Restored from %s/build/snapshots/impax-lab/%s" % (ROOT, snapshot_id) in said
    assert re.search(r"harbor: hosts \d+/\d+ nodes changed; Network Management [^;]*; Source Manager \d+ (create|delete|update)",
                     said), rollback.stdout[-3000:]
    assert "The inventory still describes the change that was rolled back: revert it too" in said
    shutil.rmtree(os.path.join(ROOT, "build", "snapshots", "impax-lab", snapshot_id))
    after = snapshot(folder, "after")
    assert after == before


def test_rollback_refuses_a_missing_snapshot(lab, tmp_path):
    result, unused = playbook("playbooks/rollback.yml", "-e", "impax_snapshot=%s" % (tmp_path / "nothing"))
    assert result.returncode != 0
    assert "no snapshot of cluster harbor" in result.stdout
    assert all(counts["changed"] == 0 for counts in recap(result.stdout).values())


def test_rollout_outside_a_window_is_refused_and_a_forced_one_recorded(lab, tmp_path):
    inventory = windowed_inventory(tmp_path)
    tuesday = "2026-11-24T10:00:00+01:00"
    refused, unused = playbook("link-clusters.yml", "-e", "impax_now=%s" % tuesday, inventory=str(inventory),
                               IMPAX_PROJECT_DIR=ROOT)
    assert refused.returncode != 0
    assert "outside the change window, nothing was changed: cluster summit" in refused.stdout
    assert "impax_force_reason" in refused.stdout
    assert set(recap(refused.stdout)) == {"localhost"}  # no node was touched

    # forced, but another run holds summit's estate lock: summit does not go ahead, so nothing is recorded (#33)
    from test_faults import AWX, lock
    record = tmp_path / "forced.jsonl"
    assert lock(AWX, "summit")["outcome"] == "taken"
    try:
        held, unused = playbook("link-clusters.yml", "-e", "impax_now=%s" % tuesday, "-e", "impax_force_reason='CHG0041 early'",
                                "-e", "impax_change_record=%s" % record, inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
        assert held.returncode != 0 and "the estate lock of summit is held by run awx-run-7" in held.stdout + held.stderr, \
            held.stdout[-3000:]
    finally:
        assert lock(dict(state="released", run_id="awx-run-7"), "summit")["outcome"] == "released"
    assert not record.exists(), "a forced change that did not go ahead was recorded: %s" % record.read_text()

    forced, unused = playbook("link-clusters.yml", "-e", "impax_now=%s" % tuesday,
                              "-e", "impax_force_reason='CHG0042 replaced CM'", "-e", "impax_change_record=%s" % record,
                              inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert forced.returncode == 0, forced.stdout[-3000:]
    assert "Snapshot " in forced.stdout  # a change-window deployment snapshots every cluster first
    entry = json.loads(record.read_text().splitlines()[-1])
    assert entry["clusters"] == ["summit"] and entry["reason"] == "CHG0042 replaced CM"
    assert entry["playbook"] == "link_clusters.yml" and entry["mode"] == "rollout"
    assert entry["time"].startswith("2026-11-24T09:00:00")

    inside, unused = playbook("link-clusters.yml", "-e", "impax_now=2026-11-28T23:30:00+01:00",
                              "-e", "impax_change_record=%s" % record, inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert inside.returncode == 0, inside.stdout[-3000:]
    assert len(record.read_text().splitlines()) == 1  # inside the window: nothing to record

    # a correcting drift check under summit's window policy: held back outside the window - the report says which
    # policy and how to apply it - and a forced correction is recorded like a forced rollout (#33)
    cluster = inventory / "group_vars" / "summit" / "cluster.yml"
    data = yaml.safe_load(cluster.read_text())
    data["impax_cluster"]["drift_policy"] = {"dicom": "window"}
    cluster.write_text(yaml.safe_dump(data))
    gone = adhoc("summit-cm01", "ansible.builtin.uri", "url=http://summit-cm01:8042/modalities/HBR_CM method=DELETE "
                 "url_username=impax url_password=lab-gateway-secret force_basic_auth=true")
    assert gone.returncode == 0, gone.stdout
    reports = tmp_path / "reports"
    for force in ([], ["-e", "impax_force_reason='CHG0043 gateway fix'"]):
        check, unused = playbook("playbooks/drift_check.yml", "-e", "impax_now=%s" % tuesday, "-e", "impax_drift_correct=true",
                                 "-e", "impax_report_dir=%s" % reports, "-e", "impax_change_record=%s" % record, *force,
                                 inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
        dicom = json.loads((reports / "drift-impax-lab.json").read_text())["clusters"]["summit"]["resources"]["dicom"]
        if not force:
            assert check.returncode != 0 and dicom["status"] == "drift", check.stdout[-3000:]
            assert dicom["targets"][0]["message"].startswith("not corrected: drift_policy window and no change window of "
                                                             "summit is open now"), dicom
            assert len(record.read_text().splitlines()) == 1
    assert check.returncode == 0 and dicom["status"] == "corrected", check.stdout[-3000:]
    entry = json.loads(record.read_text().splitlines()[-1])
    # the reason lifts the window policy wherever it holds a correction back: harbor and valley declare no window,
    # so their "window" resources (the lab's mappings) would be corrected too - each is recorded
    assert (entry["clusters"], entry["reason"], entry["playbook"], entry["mode"]) == (
        ["harbor", "summit", "valley"], "CHG0043 gateway fix", "drift_check.yml", "drift")


def test_outside_window_skip_changes_only_the_clusters_inside_their_windows(lab, tmp_path):
    """-e impax_outside_window=skip: each site in its own window - the others change, the one outside is left as it was."""
    inventory = windowed_inventory(tmp_path)
    converge, unused = playbook("link-clusters.yml", "-e", "impax_now=2026-11-28T23:30:00+01:00", inventory=str(inventory),
                                IMPAX_PROJECT_DIR=ROOT)
    assert converge.returncode == 0, converge.stdout[-3000:]
    add_harbor_station(inventory, "MR8", "10.201.0.98")
    before = hosts_digests()

    tuesday, unused = playbook("link-clusters.yml", "-e", "impax_now=2026-11-24T10:00:00+01:00",
                               "-e", "impax_outside_window=skip", inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert tuesday.returncode == 0, tuesday.stdout[-3000:]
    warnings = " ".join(tuesday.stderr.split())  # Ansible's warnings go to stderr
    assert "left out of this run, outside the change window: cluster summit" in warnings, warnings
    assert "summit: skipped - outside its change window" in tuesday.stdout
    after = hosts_digests()
    summit = [n for n in NODES if n.startswith("summit-")]
    assert summit and all(after[n] == before[n] for n in summit), "summit was left as it was"
    assert all(after[n] != before[n] for n in NODES if n not in summit), "every other node got the new station"
    changed = dict((h, r["changed"]) for h, r in recap(tuesday.stdout).items() if r["changed"])
    assert changed and not any(h.startswith("summit-") for h in changed), changed

    saturday, unused = playbook("link-clusters.yml", "-e", "impax_now=2026-11-28T23:30:00+01:00",
                                "-e", "impax_outside_window=skip", inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert saturday.returncode == 0, saturday.stdout[-3000:]
    assert "skipped" not in " ".join(line for line in saturday.stdout.splitlines() if line.strip().startswith("- summit"))
    changed = dict((h, r["changed"]) for h, r in recap(saturday.stdout).items() if r["changed"])
    assert changed and all(h.startswith("summit-") for h in changed), "in its window summit catches up, the rest is in sync"
    final = hosts_digests()
    assert all(final[n] != before[n] for n in summit), "summit's nodes now have the new station too"


def test_scheduled_runner_exit_statuses(lab, tmp_path):
    """The drift_schedule role applied as docs/operations.md shows, then its unit's command run as systemd runs it:
    the unit's environment only (no shell profile), in its working directory (issue #33)."""
    import pwd
    import shlex
    import subprocess

    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    root = tmp_path / "root"
    schedule = tmp_path / "schedule.yml"
    schedule.write_text(yaml.safe_dump([{
        "name": "Schedule the drift check", "hosts": "localhost", "gather_facts": False, "connection": "local",
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "roles": [{"role": "impax.cluster_link.drift_schedule", "drift_schedule_name": "impax-lab",
                   "drift_schedule_project_dir": ROOT, "drift_schedule_inventory": "inventories/lab",
                   "drift_schedule_root": str(root), "drift_schedule_manage_service": False,
                   "drift_schedule_lock_file": str(tmp_path / "drift.lock")}]}]))
    # applied from the checkout as a user does: ansible.cfg names the collections path, the environment does not
    env = dict((k, v) for k, v in os.environ.items() if k != "ANSIBLE_COLLECTIONS_PATH")
    applied = subprocess.run([os.path.join(BIN, "ansible-playbook"), str(schedule), "-i", "localhost,"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-2000:]
    unit = (root / "etc/systemd/system/impax-drift-check-impax-lab.service").read_text().splitlines()
    workdir = next(line.split("=", 1)[1] for line in unit if line.startswith("WorkingDirectory="))
    command = shlex.split(next(line.split("=", 1)[1] for line in unit if line.startswith("ExecStart=")))
    # installed under drift_schedule_root here, not under /: the same file the unit names
    command = [str(root) + part if part.startswith("/usr/local/lib/impax-cluster-link/") else part for part in command]
    user = pwd.getpwuid(os.getuid())
    # what systemd gives a system service: its PATH, the user's HOME/USER/LOGNAME/SHELL, and the unit's Environment=
    systemd_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "HOME": user.pw_dir,
                   "USER": user.pw_name, "LOGNAME": user.pw_name, "SHELL": user.pw_shell}
    systemd_env.update(line.split("=", 1)[1].split("=", 1) for line in unit if line.startswith("Environment="))
    assert systemd_env["ANSIBLE_COLLECTIONS_PATH"], "the unit must name where the collection is"

    def run_unit(**override):
        return subprocess.run(command, cwd=workdir, env=dict(systemd_env, **override), capture_output=True, text=True,
                              timeout=600, check=False)

    in_sync = run_unit()
    assert in_sync.returncode == 0, in_sync.stdout[-3000:] + in_sync.stderr[-2000:]
    assert "estate impax-lab in_sync" in in_sync.stdout
    # a modality deleted behind the collection's back: drift (2); the policy lets a correcting run fix it (0)
    gone = adhoc("summit-cm01", "ansible.builtin.uri",
                 "url=http://summit-cm01:8042/modalities/HBR_CM method=DELETE url_username=impax "
                 "url_password=lab-gateway-secret force_basic_auth=true")
    assert gone.returncode == 0, gone.stdout
    drift = run_unit()
    assert drift.returncode == 2 and "estate impax-lab drift" in drift.stdout, drift.stdout[-3000:]
    # the playbook cannot be found (the unit of issue #33 had an empty collections path): 1, never the last report
    lost = run_unit(ANSIBLE_COLLECTIONS_PATH="")
    assert lost.returncode == 1, lost.stdout[-3000:]
    assert "wrote no report of this run" in lost.stdout and "estate impax-lab" not in lost.stdout, lost.stdout[-3000:]
    corrected = subprocess.run(command + ["--correct"], cwd=workdir, env=systemd_env, capture_output=True, text=True,
                               timeout=600, check=False)
    assert corrected.returncode == 0 and "estate impax-lab corrected" in corrected.stdout, corrected.stdout[-3000:]
    assert run_unit().returncode == 0


def test_drift_check_names_an_unreachable_gateway(lab, tmp_path):
    import subprocess
    import sys

    from labutil import environ
    from test_rollout import _stop_recorded

    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    _stop_recorded("orthanc-valley-cm01")
    try:
        reports = tmp_path / "reports"
        runner = subprocess.run([sys.executable, os.path.join(ROOT, "roles", "drift_schedule", "files", "impax_drift_check.py"),
                                 "--project-dir", ROOT, "--inventory", "inventories/lab", "--playbook",
                                 "playbooks/drift_check.yml", "--report-dir", str(reports), "--lock-file", str(tmp_path / "lock")],
                                cwd=ROOT, env=environ(IMPAX_PROJECT_DIR=ROOT), capture_output=True, text=True, timeout=600,
                                check=False)
        assert runner.returncode == 3, runner.stdout[-3000:]
        with open(reports / "drift-impax-lab.json") as handle:
            report = json.load(handle)
        dicom = report["clusters"]["valley"]["resources"]["dicom"]
        assert dicom["status"] == "unreachable" and "cannot reach http://valley-cm01:8042" in dicom["targets"][0]["message"]
        others = [(n, r) for n, c in report["clusters"].items() for r, e in c["resources"].items()
                  if e["status"] != "in_sync" and (n, r) != ("valley", "dicom")]
        assert others == [] and report["status"] == "unreachable"
    finally:
        up, unused = playbook("playbooks/lab_up.yml")  # starts the stopped Orthanc again
        assert up.returncode == 0


def test_one_cluster_at_a_time_stops_at_the_first_failing_cluster(lab, tmp_path):
    from test_rollout import LAB_DIR

    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    # a change for every cluster (narrower links everywhere), and harbor's database - the first cluster - away
    inventory = tmp_path / "lab"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    estate = inventory / "group_vars" / "all" / "estate.yml"
    data = yaml.safe_load(estate.read_text())
    data["impax_estate"]["linking"]["link_prefetching"] = False
    estate.write_text(yaml.safe_dump(data))
    db = os.path.join(LAB_DIR, "db", "harbor.sqlite")
    os.rename(db, db + ".away")
    try:
        result, unused = playbook("link-clusters.yml", "-e", "impax_rollout_serial=1", inventory=str(inventory),
                                  IMPAX_PROJECT_DIR=ROOT)
    finally:
        os.rename(db + ".away", db)
    assert result.returncode != 0
    counts = recap(result.stdout)
    assert counts["harbor-db01"]["failed"] == 1
    # the rollout stopped there: no other cluster's database, and no gateway, was changed
    assert counts.get("summit-db01", {}).get("changed", 0) == 0 and counts.get("valley-db01", {}).get("changed", 0) == 0
    assert all(counts.get(node, {}).get("changed", 0) == 0 for node in ("harbor-cm01", "summit-cm01", "valley-cm01"))
    assert "TASK [impax.cluster_link.dicom_gateway" not in result.stdout


def leaving_inventory(tmp_path, cluster):
    """The lab estate where ``cluster`` leaves the linked estate."""
    inventory = tmp_path / "leaving"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    path = inventory / "group_vars" / cluster / "cluster.yml"
    data = yaml.safe_load(path.read_text())
    data["impax_cluster"]["membership"] = "leaving"
    path.write_text(yaml.safe_dump(data))
    return inventory


def names_in(state):
    """Every AE title and host name a cluster's state refers to."""
    aes = set(e["ae_title"] for key in ("network_management", "sources") for e in state[key])
    aes |= set(m["ae_title"] for gateway in state["gateways"].values() for m in gateway["modalities"])
    hosts = set(e["hostname"] for entries in state["hosts"].values() for e in entries)
    return aes, hosts


def test_a_cluster_leaves_the_estate_and_rejoins(lab, tmp_path):
    """membership: leaving unlinks valley on both sides; idempotent; back to linked restores the estate exactly."""
    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    folder = str(tmp_path / "snapshots")
    linked = snapshot(folder, "linked")
    valley_aes = set(e["ae_title"] for e in linked["valley"]["network_management"] if e["ae_title"].startswith("VLY_"))
    valley_hosts = set(n for n in NODES if n.startswith("valley-")) | {"vly-ct1", "vly-cr1"}
    assert valley_aes and valley_hosts <= names_in(linked["harbor"])[1], "before: harbor knows valley"

    inventory = leaving_inventory(tmp_path, "valley")
    predicted_report, converged_report = tmp_path / "predicted.json", tmp_path / "converged.json"
    check, unused = playbook("link-clusters.yml", "--check", "-e", "impax_rollout_report=%s" % predicted_report,
                             inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert check.returncode == 0, check.stdout[-3000:]
    assert snapshot(folder, "checked") == linked, "check mode changes nothing"
    leave, unused = playbook("link-clusters.yml", "-e", "impax_rollout_report=%s" % converged_report,
                             inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert leave.returncode == 0, leave.stdout[-3000:]
    predicted, converged = (json.loads(path.read_text()) for path in (predicted_report, converged_report))
    for report in (predicted, converged):
        for cluster in report.values():
            cluster.pop("verify", None)  # links are checked in a real run only
    assert predicted == converged, "the unlinking did exactly what check mode predicted"
    assert converged["harbor"]["network_management"]["changed"] and converged["valley"]["source_manager"]["changed"]
    assert "valley (leaving the estate: unlinked, on its own)" in leave.stdout
    assert "identical on 7 nodes of linked estate" in leave.stdout and "identical on 3 nodes of valley" in leave.stdout
    alone = snapshot(folder, "leaving")
    for name in ("harbor", "summit"):
        aes, hosts = names_in(alone[name])
        assert not aes & valley_aes and not hosts & valley_hosts, (name, aes & valley_aes, hosts & valley_hosts)
        assert alone[name]["mappings"] != linked[name]["mappings"], "valley's rows left the superset"
    aes, hosts = names_in(alone["valley"])
    assert aes == valley_aes, "valley keeps only its own CM and modalities"
    assert hosts == valley_hosts, "valley's hosts block holds only its own nodes and modalities"
    assert not any(e["cluster_linking"] for e in alone["valley"]["network_management"])
    own = yaml.safe_load((inventory / "group_vars" / "valley" / "mappings.yml").read_text())["impax_mappings"]
    assert sorted((r["pattern"], r["label"]) for r in alone["valley"]["mappings"]["body_part"]) == \
        sorted((r["pattern"], r["label"]) for r in own["body_part"]), "valley is back to its own table"
    assert os.path.exists(os.path.join(ROOT, "build", "hosts", "valley", "hosts"))

    again, unused = playbook("link-clusters.yml", inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert again.returncode == 0, again.stdout[-3000:]
    assert not [h for h, r in recap(again.stdout).items() if r["changed"]], "leaving is idempotent"
    reports = tmp_path / "drift"
    drift, unused = playbook("playbooks/drift_check.yml", "-e", "impax_report_dir=%s" % reports, inventory=str(inventory),
                             IMPAX_PROJECT_DIR=ROOT)
    assert drift.returncode == 0, drift.stdout[-3000:]
    with open(reports / "drift-impax-lab.json") as handle:
        report = json.load(handle)
    assert report["status"] == "in_sync" and sorted(report["clusters"]) == ["harbor", "summit", "valley"]

    rejoin, unused = playbook("link-clusters.yml")
    assert rejoin.returncode == 0, rejoin.stdout[-3000:]
    assert snapshot(folder, "rejoined") == linked, "rejoining restores every cluster exactly"
    assert not os.path.exists(os.path.join(ROOT, "build", "hosts", "valley")), "its hosts files went with it"


RESEARCH = "HBR_RESEARCH"


def add_research_workstation_by_hand():
    """What a site's team makes in Administration Tools and the gateway without the inventory: a research workstation."""
    from labutil import LAB_DIR, run_task

    database = {"engine": "sqlite", "path": os.path.join(LAB_DIR, "db", "harbor.sqlite")}
    rows = {"network_management": {"config": [{"ae_title": RESEARCH, "station_name": "RESEARCH", "host": "hbr-research",
                                               "station_type": "Review Station"}]},
            "sources": {"config": [{"ae_title": RESEARCH, "station_name": "RESEARCH", "institution": "Harbor General Hospital",
                                    "department": "Research", "home_cm": "HBR_CM"}]}}
    result = run_task("harbor-db01", "impax.cluster_link.config_database", dict(rows, state="merged"), database=database)
    assert result["changed"] and not result.get("failed"), result
    result = run_task("harbor-cm01", "impax.cluster_link.dicom_nodes",
                      {"url": "http://harbor-cm01:8042", "username": "impax", "password": "lab-gateway-secret",
                       "state": "merged", "modalities": [{"name": RESEARCH, "ae_title": RESEARCH, "host": "hbr-research"}]})
    assert result["changed"] and not result.get("failed"), result


def research_in(state):
    """Where harbor's state holds the research workstation."""
    return sorted(where for where, items in (("network_management", state["network_management"]),
                                             ("sources", state["sources"]),
                                             ("dicom", state["gateways"]["harbor-cm01"]["modalities"]))
                  if any(item["ae_title"] == RESEARCH for item in items))


def test_objects_kept_by_hand_survive_and_a_deletion_limit_stops_before_changing(lab, tmp_path):
    """impax_cluster.keep: the rollout leaves what a site made by hand; max_deletions refuses a larger delete untouched."""
    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    add_research_workstation_by_hand()
    folder = str(tmp_path / "snapshots")
    before = snapshot(folder, "by-hand")
    assert research_in(before["harbor"]) == ["dicom", "network_management", "sources"]

    # kept: the rollout (under the strictest limit, no deletion at all) and the drift check leave it alone
    inventory = tmp_path / "kept"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    cluster = inventory / "group_vars" / "harbor" / "cluster.yml"
    data = yaml.safe_load(cluster.read_text())
    data["impax_cluster"]["keep"] = {"network_management": [RESEARCH], "sources": [RESEARCH], "dicom": [RESEARCH]}
    data["impax_cluster"]["max_deletions"] = 0
    cluster.write_text(yaml.safe_dump(data))
    kept, unused = playbook("link-clusters.yml", inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert kept.returncode == 0, kept.stdout[-3000:]
    assert not [h for h, r in recap(kept.stdout).items() if r["changed"]], "nothing to do: the kept objects stay"
    reports = tmp_path / "drift"
    drift, unused = playbook("playbooks/drift_check.yml", "-e", "impax_report_dir=%s" % reports,
                             inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert drift.returncode == 0, drift.stdout[-3000:]
    with open(reports / "drift-impax-lab.json") as handle:
        assert json.load(handle)["status"] == "in_sync"
    assert snapshot(folder, "kept") == before

    # not kept, under a limit of 0: the real run stops before the first write anywhere, naming every refusal;
    # --check shows every stage and the summary, marking what the real run refuses (issue #33)
    preview, unused = playbook("link-clusters.yml", "-e", "impax_max_deletions=0", "--check")
    assert preview.returncode == 0, preview.stdout[-3000:]
    assert "REFUSED in a real run" in preview.stdout and RESEARCH in preview.stdout, preview.stdout[-3000:]
    hosts_before = hosts_digests()
    refused, unused = playbook("link-clusters.yml", "-e", "impax_max_deletions=0")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output[-3000:]
    counts = recap(refused.stdout)
    # (the guard pass runs in check mode: its recap counts the changes it predicts; nothing below was written)
    assert [h for h, r in counts.items() if r["failed"]] == ["localhost"], counts
    assert hosts_digests() == hosts_before
    assert "a guard refuses, nothing was written anywhere" in output
    for resource in ("network_management", "sources", "modalities"):
        assert re.search(r"cluster harbor, harbor-(db|cm)01: %s: the plan deletes 1 object, more than max_deletions=0 "
                         r"\(.*%s" % (resource, re.escape(RESEARCH)), output), (resource, output[-3000:])
    assert snapshot(folder, "refused") == before

    # one station taken out of the inventory under a limit of 0: the hosts tables stay as they are too (they were
    # rewritten before the database refused, issue #33)
    removed = tmp_path / "removed"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), removed)
    stations = removed / "group_vars" / "harbor" / "stations.yml"
    data = yaml.safe_load(stations.read_text())
    data["impax_stations"] = [s for s in data["impax_stations"] if s["station_name"] != "READ1"]
    stations.write_text(yaml.safe_dump(data))
    refused, unused = playbook("link-clusters.yml", "-e", "impax_max_deletions=0", inventory=str(removed),
                               IMPAX_PROJECT_DIR=ROOT)
    assert refused.returncode != 0 and "a guard refuses, nothing was written anywhere" in refused.stdout, refused.stdout[-3000:]
    assert re.search(r"harbor-cm01: /etc/hosts: the managed block loses 1 entry, more than max_deletions=0 \(hbr-read1\)",
                     refused.stdout), refused.stdout[-3000:]
    assert hosts_digests() == hosts_before
    assert snapshot(folder, "refused-again") == before

    # the plan for approval says so before anyone runs it
    plans = tmp_path / "plans"
    approval, unused = playbook("playbooks/change_plan.yml", "-e", "impax_max_deletions=0", "-e",
                                "impax_report_dir=%s" % plans)
    assert approval.returncode == 0, approval.stdout[-3000:]
    with open(plans / "plan-impax-lab.json") as handle:
        harbor = json.load(handle)["clusters"]["harbor"]["resources"]
    for resource in ("network_management", "sources", "dicom"):
        message = harbor[resource]["targets"][0]["message"]
        assert message.startswith("1 deletion, more than max_deletions=0: a rollout stops here"), (resource, message)

    # without keep or limit the inventory is the whole truth: the next rollout removes it everywhere
    cleaned, unused = playbook("link-clusters.yml")
    assert cleaned.returncode == 0, cleaned.stdout[-3000:]
    after = snapshot(folder, "cleaned")
    assert research_in(after["harbor"]) == []
    assert after["summit"] == before["summit"] and after["valley"] == before["valley"]


def test_export_reads_each_live_cluster_back_in_the_inventorys_shape(lab, tmp_path):
    """playbooks/export.yml against the real databases: each cluster's own CMs, sources and tables come back."""
    converge, unused = playbook("link-clusters.yml")
    assert converge.returncode == 0, converge.stdout[-3000:]
    with open(os.path.join(ROOT, "build", "plan-lab.json")) as handle:  # written by that rollout
        plan = json.load(handle)
    folder = tmp_path / "export"
    exported, unused = playbook("playbooks/export.yml", "-e", "impax_export_dir=%s" % folder)
    assert exported.returncode == 0, exported.stdout[-3000:]
    counts = recap(exported.stdout)
    assert sorted(h for h, r in counts.items() if r["changed"]) == ["harbor-db01", "summit-db01", "valley-db01"], \
        "only the files written on the controller for each database node (delegated) count as changes"
    for cluster in ("harbor", "summit", "valley"):
        live = yaml.safe_load((folder / cluster / "live.yml").read_text())
        group_vars = os.path.join(ROOT, "inventories", "lab", "group_vars", cluster)
        with open(os.path.join(group_vars, "connectivity_managers.yml")) as handle:
            cms = yaml.safe_load(handle)["impax_connectivity_managers"]
        with open(os.path.join(group_vars, "stations.yml")) as handle:
            stations = yaml.safe_load(handle)["impax_stations"]
        assert live["impax_connectivity_managers"] == [dict((k, v) for k, v in cm.items() if k != "port") for cm in cms]
        # the sources (acquisition stations) without what the database does not hold: IP (hosts tables), modality
        sources = [dict((k, v) for k, v in st.items() if k not in ("ip", "modality")) for st in stations
                   if st.get("station_type", "Acquisition Station") == "Acquisition Station"]
        assert sorted(live["impax_stations"], key=lambda s: s["ae_title"]) == sorted(sources, key=lambda s: s["ae_title"])
        # harbor's review station is in every cluster's Network Management; the database does not say whose it is
        assert [st["ae_title"] for st in live["network_management_only"]] == ["HBR_READ1"], cluster
        for table, rows in plan["clusters"][cluster]["mappings"].items():
            assert live["impax_mappings"][table] == sorted(rows, key=lambda r: (r["rule"], r["pattern"])), (cluster, table)

    # docs/getting-started.md, step 2: the exported lists and tables - with the IPs the database does not hold, and
    # the review station placed at harbor - describe the live databases exactly: a rollout from them changes nothing
    inventory = tmp_path / "from-export"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    ips = {}
    for cluster in ("harbor", "summit", "valley"):
        with open(os.path.join(ROOT, "inventories", "lab", "group_vars", cluster, "stations.yml")) as handle:
            ips.update((st["ae_title"], st["ip"]) for st in yaml.safe_load(handle)["impax_stations"] if st.get("ip"))
    for cluster in ("harbor", "summit", "valley"):
        live = yaml.safe_load((folder / cluster / "live.yml").read_text())
        stations = live["impax_stations"] + (live["network_management_only"] if cluster == "harbor" else [])
        group_vars = inventory / "group_vars" / cluster
        (group_vars / "stations.yml").write_text(yaml.safe_dump(
            {"impax_stations": [dict(st, ip=ips[st["ae_title"]]) if st["ae_title"] in ips else st for st in stations]}))
        (group_vars / "connectivity_managers.yml").write_text(yaml.safe_dump(
            {"impax_connectivity_managers": live["impax_connectivity_managers"]}))
        # each cluster's tables hold the superset: read back as every site's own rows, they make the same superset
        mappings = yaml.safe_load((group_vars / "mappings.yml").read_text())
        assert live["impax_mappings"] != mappings["impax_mappings"], "the test would prove nothing"
        mappings["impax_mappings"] = live["impax_mappings"]
        (group_vars / "mappings.yml").write_text(yaml.safe_dump(mappings))
    from_export, unused = playbook("link-clusters.yml", "--check", "--tags", "config_db,gateway",
                                   inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
    assert from_export.returncode == 0, from_export.stdout[-3000:]
    assert not [h for h, r in recap(from_export.stdout).items() if r["changed"]], from_export.stdout[-3000:]
