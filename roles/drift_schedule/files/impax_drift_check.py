# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the drift check once, never two at a time, and exit with a status a scheduler can act on.

    python impax_drift_check.py --project-dir DIR --inventory inventories/site [--correct] [--report-dir DIR]

Exit status (docs/operations.md): 0 in sync (or every drift corrected), 2 drift remains,
3 a target was unreachable, 1 an error (including a run that wrote no report of its own),
75 another drift check holds the lock (nothing was run).

Only the report this run wrote counts: the run passes its own id (impax_run_id) to the playbook, which writes it
into the report; a report left by an earlier run is never read as this run's result.
"""

import argparse
import fcntl
import json
import os
import subprocess
import sys
import uuid

LOCKED = 75  # EX_TEMPFAIL: try again later


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project-dir", required=True, help="where the inventory (and the checkout) live")
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--playbook", default="impax.cluster_link.drift_check")
    parser.add_argument("--ansible-playbook", default=os.path.join(os.path.dirname(sys.executable), "ansible-playbook"))
    parser.add_argument("--report-dir", default="build/reports")
    parser.add_argument("--lock-file", default="/run/lock/impax-drift-check.lock")
    parser.add_argument("--correct", action="store_true", help="correct what each cluster's drift_policy allows")
    parser.add_argument("--extra-vars", action="append", default=[], help="passed to ansible-playbook -e")
    args = parser.parse_args(argv)

    os.makedirs(os.path.dirname(os.path.abspath(args.lock_file)), exist_ok=True)
    with open(args.lock_file, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("impax-drift-check: another drift check is running (%s); nothing was run" % args.lock_file)
            return LOCKED
        report_dir = os.path.join(args.project_dir, args.report_dir)
        run_id = uuid.uuid4().hex
        command = [args.ansible_playbook, args.playbook, "-i", args.inventory, "-e", json.dumps(
            {"impax_report_dir": report_dir, "impax_drift_correct": args.correct, "impax_run_id": run_id})]
        for extra in args.extra_vars:
            command += ["-e", extra]
        try:
            done = subprocess.run(command, cwd=args.project_dir, check=False)
        except OSError as exc:
            print("impax-drift-check: cannot run %s: %s" % (args.ansible_playbook, exc))
            return 1
        report, path = own_report(report_dir, run_id)
        if report is None:
            print("impax-drift-check: ansible-playbook exited %d and wrote no report of this run in %s (%s); "
                  "its output above says why" % (done.returncode, report_dir, path))
            return 1
        print("impax-drift-check: estate %s %s (report %s)" % (report["estate"], report["status"], path))
        return int(report["exit_status"])


def own_report(report_dir, run_id):
    """(report, path) of the drift report that carries ``run_id``, or (None, what was found instead)."""
    names = sorted(name for name in os.listdir(report_dir) if name.startswith("drift-") and name.endswith(".json")) \
        if os.path.isdir(report_dir) else []
    for name in names:
        path = os.path.join(report_dir, name)
        try:
            with open(path) as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            continue
        if isinstance(report, dict) and report.get("run_id") == run_id:
            return report, path
    return None, ("reports of earlier runs only: %s" % ", ".join(names)) if names else "no report at all"


if __name__ == "__main__":
    sys.exit(main())
