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
