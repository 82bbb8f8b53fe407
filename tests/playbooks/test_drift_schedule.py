"""The drift schedule role installs a timer/service (or cron entry) that systemd accepts, and the runner's lock holds."""

import fcntl
import os
import shutil
import subprocess
import sys

from test_plan_playbooks import ROOT, run

RUNNER = os.path.join(ROOT, "roles", "drift_schedule", "files", "impax_drift_check.py")


def apply_role(tmp_path, method, **extra):
    play = tmp_path / "schedule.yml"
    play.write_text("""---
- name: Schedule
  hosts: localhost
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: impax.cluster_link.drift_schedule
      drift_schedule_method: %s
      drift_schedule_name: riverside
      drift_schedule_project_dir: /srv/impax estate
      drift_schedule_inventory: inventories/riverside
      drift_schedule_correct: true
      drift_schedule_root: %s
      drift_schedule_manage_service: false
""" % (method, tmp_path / "root"))
    return run(str(play), "-i", "localhost,", *extra)


def test_systemd_units_are_valid_and_run_the_locked_runner(tmp_path):
    result = apply_role(tmp_path, "systemd")
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "root"
    service = (root / "etc/systemd/system/impax-drift-check-riverside.service").read_text()
    timer = (root / "etc/systemd/system/impax-drift-check-riverside.timer").read_text()
    assert 'WorkingDirectory=/srv/impax estate' in service
    assert ('"/usr/local/lib/impax-cluster-link/impax_drift_check.py" "--project-dir" "/srv/impax estate" '
            '"--inventory" "inventories/riverside"') in service
    assert '"--lock-file" "/run/lock/impax-drift-check-riverside.lock" "--correct"' in service
    assert "OnCalendar=*-*-* 02:30:00" in timer and "WantedBy=timers.target" in timer
    # the collections path the role was applied with, absolute: the scheduled run finds the collection there
    paths = [line.split("=", 2)[2] for line in service.splitlines() if line.startswith("Environment=ANSIBLE_COLLECTIONS_PATH=")]
    assert paths and paths[0] and all(os.path.isabs(path) for path in paths[0].split(":")), service
    assert any(os.path.isdir(os.path.join(path, "ansible_collections", "impax", "cluster_link")) for path in paths[0].split(":"))
    assert (root / "usr/local/lib/impax-cluster-link/impax_drift_check.py").read_text() == open(RUNNER).read()
    if shutil.which("systemd-analyze"):
        # systemd's own parser on the unit files (dependencies resolved against this machine's units)
        units = root / "etc/systemd/system"
        verify = subprocess.run(["systemd-analyze", "verify", str(units / "impax-drift-check-riverside.service"),
                                 str(units / "impax-drift-check-riverside.timer")],
                                capture_output=True, text=True, check=False)
        assert verify.returncode == 0 and "impax-drift-check" not in verify.stdout + verify.stderr, \
            verify.stdout + verify.stderr
    again = apply_role(tmp_path, "systemd")
    assert "changed=0" in again.stdout.split("PLAY RECAP")[-1], again.stdout


def test_cron_alternative(tmp_path):
    result = apply_role(tmp_path, "cron")
    assert result.returncode == 0, result.stdout + result.stderr
    cron = (tmp_path / "root/etc/cron.d/impax-drift-check-riverside").read_text()
    assert "30 2 * * * root cd '/srv/impax estate' && " in cron
    assert "impax_drift_check.py --project-dir '/srv/impax estate' --inventory inventories/riverside" in cron
    assert "--correct" in cron


def test_runner_refuses_to_overlap_and_runs_nothing(tmp_path):
    lock = tmp_path / "drift.lock"
    marker = tmp_path / "ran"
    fake_playbook = tmp_path / "ansible-playbook"
    fake_playbook.write_text("#!/bin/sh\ntouch %s\n" % marker)
    fake_playbook.chmod(0o755)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = subprocess.run([sys.executable, RUNNER, "--project-dir", str(tmp_path), "--inventory", "x",
                               "--lock-file", str(lock), "--ansible-playbook", str(fake_playbook)],
                              capture_output=True, text=True, check=False)
    assert done.returncode == 75 and "another drift check is running" in done.stdout
    assert not marker.exists()
    # without the lock held it runs; a run that writes no report is an error (1)
    done = subprocess.run([sys.executable, RUNNER, "--project-dir", str(tmp_path), "--inventory", "x",
                           "--lock-file", str(lock), "--ansible-playbook", str(fake_playbook)],
                          capture_output=True, text=True, check=False)
    assert marker.exists() and done.returncode == 1 and "wrote no report" in done.stdout


def test_runner_trusts_only_the_report_of_its_own_run(tmp_path):
    """A report an earlier run left is never this run's result (issue #33): exit 1, naming why."""
    reports = tmp_path / "build" / "reports"
    reports.mkdir(parents=True)
    (reports / "drift-riverside.json").write_text('{"estate": "riverside", "status": "drift", "exit_status": 2}')
    fake_playbook = tmp_path / "ansible-playbook"
    # writes a report with the run id it was given, when told to (WRITE=1), like drift_check.yml
    fake_playbook.write_text("""#!%s
import json, os, sys
extra = json.loads(sys.argv[sys.argv.index("-e") + 1])
if os.environ.get("WRITE") == "1":
    with open(os.path.join(extra["impax_report_dir"], "drift-riverside.json"), "w") as handle:
        json.dump({"estate": "riverside", "status": "in_sync", "exit_status": 0, "run_id": extra["impax_run_id"]}, handle)
sys.exit(0 if os.environ.get("WRITE") == "1" else 4)
""" % sys.executable)
    fake_playbook.chmod(0o755)
    command = [sys.executable, RUNNER, "--project-dir", str(tmp_path), "--inventory", "x", "--lock-file",
               str(tmp_path / "lock"), "--ansible-playbook", str(fake_playbook)]
    stale = subprocess.run(command, capture_output=True, text=True, check=False, env=dict(os.environ, WRITE="0"))
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert ("ansible-playbook exited 4 and wrote no report of this run" in stale.stdout
            and "reports of earlier runs only: drift-riverside.json" in stale.stdout), stale.stdout
    own = subprocess.run(command, capture_output=True, text=True, check=False, env=dict(os.environ, WRITE="1"))
    assert own.returncode == 0 and "estate riverside in_sync" in own.stdout, own.stdout + own.stderr
    missing = subprocess.run(command[:-1] + [str(tmp_path / "no-such-ansible-playbook")], capture_output=True,
                             text=True, check=False)
    assert missing.returncode == 1 and "cannot run" in missing.stdout, missing.stdout
