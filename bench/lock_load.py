"""Benchmark: the estate lock under load - rollouts and a correcting drift check side by side on the grown lab.

On bench/rollout_scale.py's estate (the lab grown to --stations modalities and 3 mapping tables of --rows rows per
cluster), converged first:

  1. rollout A alone: the estate grown by --more modalities per cluster (timed), then back (not timed);
  2. side by side: A started again; as soon as A holds every cluster's estate lock, a correcting drift check
     (``impax_drift_correct=true``) and rollout B (A's estate plus --more modalities again per cluster, with
     ``impax_lock_wait``) are started beside it.

Expected, and checked: A finishes as fast as alone (within noise); the drift check does not wait - it checks every
cluster, corrects none (``locked_out``) and finishes; B waits for A's locks, then goes ahead; nothing is lost - a
re-run of B changes nothing and a drift check of B's estate is in sync. Prints the figures. Brings the lab up if
it is down, and down again afterwards (a lab that was up is rolled back to the lab estate instead).

    .venv/bin/python bench/lock_load.py [--stations 500] [--rows 300] [--more 100] [--json FILE]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests", "lab"), os.path.join(ROOT, "bench")]
from labutil import BIN, environ, lab_is_up, playbook, recap, report_figures  # noqa: E402
from rollout_scale import grown_inventory  # noqa: E402

MARKER = "PLAY [Stop before the first write when a guard refuses"  # the play after the estate lock is taken


def start(args, log):
    handle = open(log, "w")
    started = time.perf_counter()
    process = subprocess.Popen([os.path.join(BIN, "ansible-playbook")] + args, cwd=ROOT, env=environ(IMPAX_PROJECT_DIR=ROOT),
                               stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    return process, started, handle


def finish(run, log):
    process, started, handle = run
    code = process.wait(timeout=3600)
    seconds = time.perf_counter() - started
    handle.close()
    with open(log) as text:
        return code, seconds, text.read()


def rollout(inventory, *extra):
    result, seconds = playbook("link-clusters.yml", "--skip-tags", "verify", *extra, inventory=inventory, IMPAX_PROJECT_DIR=ROOT)
    if result.returncode != 0:
        raise SystemExit(result.stdout[-5000:] + result.stderr[-3000:])
    return seconds, sum(r["changed"] for r in recap(result.stdout).values())


def wait_for(log, marker, process, timeout=1800):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log) as handle:
            if marker in handle.read():
                return
        if process.poll() is not None:
            raise SystemExit("the run ended before %r:\n%s" % (marker, open(log).read()[-4000:]))
        time.sleep(0.1)
    raise SystemExit("no %r after %d s" % (marker, timeout))


def waited(log):
    """True when the run took its locks one cluster at a time, waiting for another run (the role's contended path)."""
    head = "TASK [impax.cluster_link.estate_lock : Take the estate locks one cluster at a time"
    if head not in log:
        return False
    block = log.split(head, 1)[1].split("TASK [", 1)[0]
    return "changed:" in block or "ok:" in block


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--more", type=int, default=100)
    parser.add_argument("--json")
    args = parser.parse_args()
    started_lab = not lab_is_up()
    if started_lab:
        result, _seconds = playbook("playbooks/lab_up.yml")
        assert result.returncode == 0, result.stdout[-3000:]
    work = tempfile.mkdtemp(prefix="lock-load-", dir=os.path.join(ROOT, "build"))
    try:
        base = grown_inventory(args.stations, args.rows, target="bench-load-base")
        change_a = grown_inventory(args.stations + args.more, args.rows, target="bench-load-a")
        change_b = grown_inventory(args.stations + 2 * args.more, args.rows, target="bench-load-b")
        first, _changed = rollout(base)
        alone, changed_alone = rollout(change_a)
        rollout(base)

        a = start(["link-clusters.yml", "-i", change_a, "--skip-tags", "verify"], os.path.join(work, "a.log"))
        wait_for(os.path.join(work, "a.log"), MARKER, a[0])
        holding = time.perf_counter() - a[1]
        reports = os.path.join(work, "reports")
        drift = start(["playbooks/drift_check.yml", "-i", change_a, "-e", "impax_drift_correct=true",
                       "-e", "impax_report_dir=%s" % reports], os.path.join(work, "drift.log"))
        b = start(["link-clusters.yml", "-i", change_b, "--skip-tags", "verify", "-e", "impax_lock_wait=1800"],
                  os.path.join(work, "b.log"))
        code_a, seconds_a, log_a = finish(a, os.path.join(work, "a.log"))
        a_done = time.perf_counter()
        code_drift, seconds_drift, log_drift = finish(drift, os.path.join(work, "drift.log"))
        code_b, seconds_b, log_b = finish(b, os.path.join(work, "b.log"))
        b_after_a = b[1] + seconds_b - a_done  # B's end, counted from A's end
        assert code_a == 0, log_a[-4000:]
        assert code_b == 0, log_b[-4000:]
        with open(os.path.join(reports, "drift-impax-lab.json")) as handle:
            report = json.load(handle)
        locked_out = sorted(name for name, cluster in report["clusters"].items() if cluster["locked_out"])
        corrected = sorted("%s/%s" % (n, r) for n, c in report["clusters"].items() for r, e in c["resources"].items()
                           if e["status"] == "corrected")
        assert code_drift != 0 and locked_out == ["harbor", "summit", "valley"] and not corrected, log_drift[-4000:]
        again, changed_again = rollout(change_b)
        assert changed_again == 0, "B's estate is not converged: something was lost"
        check, _seconds = playbook("playbooks/drift_check.yml", "-e", "impax_report_dir=%s" % reports,
                                   inventory=change_b, IMPAX_PROJECT_DIR=ROOT)
        assert check.returncode == 0, check.stdout[-3000:]
        figures = {"stations_per_cluster": args.stations, "rows_per_table": args.rows, "more_per_change": args.more,
                   "first_rollout_s": round(first, 2),
                   "a_alone_s": round(alone, 2), "a_alone_changed_hosts": changed_alone,
                   "a_side_by_side_s": round(seconds_a, 2), "a_held_every_lock_after_s": round(holding, 2),
                   "drift_check_s": round(seconds_drift, 2), "drift_locked_out": locked_out, "drift_corrected": corrected,
                   "b_total_s": round(seconds_b, 2), "b_finished_after_a_s": round(b_after_a, 2),
                   "b_waited": waited(log_b), "b_rerun_changed": changed_again, "b_rerun_s": round(again, 2)}
        report_figures(figures, args.json)  # before the clean-up: a slow clean-up never loses them
        if not started_lab:
            rollout("inventories/lab")  # the lab was up before: leave it as it was (else it goes down below)
    finally:
        if started_lab:
            playbook("playbooks/lab_down.yml")


if __name__ == "__main__":
    main()
