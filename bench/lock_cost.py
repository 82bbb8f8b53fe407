"""Benchmark: what the estate lock costs a converged rollout on the lab.

``link-clusters.yml`` as shipped (it takes each cluster's lock before the first write and gives it up after the
last) against the same playbook with the two lock imports taken out (written beside it for the run, then removed),
alternating, several rounds each, on the converged lab. Reports min / median wall time of each and the difference.
A benchmark, not a test: it prints figures.
"""

import argparse
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests", "lab")]
from labutil import lab_is_up, playbook, report_figures  # noqa: E402

UNLOCKED = os.path.join(ROOT, "playbooks", ".bench_unlocked.yml")


def without_lock():
    """link_clusters.yml with its estate_lock.yml imports (and the writers' lock checks) taken out."""
    with open(os.path.join(ROOT, "playbooks", "link_clusters.yml")) as handle:
        text = handle.read()
    plays = text.split("\n- name: ")
    kept = [play for play in plays if "import_playbook: estate_lock.yml" not in play]
    assert len(plays) - len(kept) == 2, "expected the two lock imports"
    return re.sub(r"\n    impax\.cluster_link\.config_database:\n      lock: \{\}\n", "\n", "\n- name: ".join(kept))


def run(path):
    result, seconds = playbook(path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "changed=0" in result.stdout.split("PLAY RECAP")[-1], "not converged"
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    started = not lab_is_up()
    if started:
        result, _seconds = playbook("playbooks/lab_up.yml")
        assert result.returncode == 0, result.stdout[-3000:]
    with open(UNLOCKED, "w") as handle:
        handle.write(without_lock())
    try:
        run("link-clusters.yml")  # converge first
        locked, unlocked = [], []
        for _round in range(args.rounds):
            locked.append(run("link-clusters.yml"))
            unlocked.append(run(UNLOCKED))
    finally:
        os.unlink(UNLOCKED)
        if started:
            playbook("playbooks/lab_down.yml")
    figures = {"rounds": args.rounds,
               "with_lock_s": {"min": round(min(locked), 2), "median": round(statistics.median(locked), 2)},
               "without_lock_s": {"min": round(min(unlocked), 2), "median": round(statistics.median(unlocked), 2)}}
    figures["lock_cost_s"] = round(statistics.median(locked) - statistics.median(unlocked), 2)
    figures["lock_cost_share"] = round(figures["lock_cost_s"] / statistics.median(locked), 3)
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
