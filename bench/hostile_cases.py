"""Benchmark: every hostile estate (tests/estates/hostile/cases.yml) planned the way a user plans it.

Each case runs ``ansible-playbook playbooks/plan.yml -i <its inventory>`` on its own, beside the unmodified
example estate run the same way (the baseline, before and after the cases). Reports each run's wall time and the
peak memory of its whole process tree (the planner runs in a forked worker), the slowest cases and the largest,
and the ratio of the slowest case to the baseline. Issue #27's target: every case in under 5 s and 500 MB.
A benchmark, not a test: it prints figures.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "unit"), os.path.join(ROOT, "tests", "lab")]
import conftest  # noqa: E402  (makes ansible_collections.impax.cluster_link importable)
from labutil import report_figures  # noqa: E402
from test_hostile_estates import CASES, hostile_copy  # noqa: E402

# runs one command and prints its wall time and the largest resident set of any process it waited for
MEASURE = ("import resource, subprocess, sys, time\n"
           "start = time.monotonic()\n"
           "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
           "print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n")


assert conftest.COLLECTIONS in sys.path


def measure(inventory, plan_file):
    command = [sys.executable, "-c", MEASURE, os.path.join(ROOT, ".venv", "bin", "ansible-playbook"),
               "playbooks/plan.yml", "-i", inventory, "-e", "impax_plan_file=%s" % plan_file]
    wall, rss_kb, code = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    return {"seconds": round(float(wall), 2), "peak_mb": round(int(rss_kb) / 1024.0, 1), "exit": int(code)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run the cases whose id contains this text")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    cases = [case for case in CASES if not args.only or args.only in case["id"]]
    folder = tempfile.mkdtemp(prefix="impax-hostile-bench-")
    try:
        clean = os.path.join(ROOT, "inventories", "example")
        baseline = [measure(clean, os.path.join(folder, "baseline.json"))]
        runs = {}
        for case in cases:
            where = os.path.join(folder, case["id"])
            os.makedirs(where)
            runs[case["id"]] = measure(hostile_copy(case, where, os.path.join(where, "marker")),
                                       os.path.join(where, "plan.json"))
            shutil.rmtree(where)
        baseline.append(measure(clean, os.path.join(folder, "baseline.json")))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = min(run["seconds"] for run in baseline)
    slowest = sorted(runs.items(), key=lambda item: -item[1]["seconds"])
    largest = sorted(runs.items(), key=lambda item: -item[1]["peak_mb"])
    report_figures({
        "cases": len(runs),
        "baseline_example_estate": baseline,
        "max_seconds": slowest[0][1]["seconds"],
        "median_seconds": sorted(run["seconds"] for run in runs.values())[len(runs) // 2],
        "max_peak_mb": largest[0][1]["peak_mb"],
        "slowest_to_baseline": round(slowest[0][1]["seconds"] / base, 2),
        "slowest": dict(slowest[:5]),
        "largest": dict(largest[:5]),
        "within_5s_and_500mb": all(run["seconds"] < 5 and run["peak_mb"] < 500 for run in runs.values()),
    }, args.json)


if __name__ == "__main__":
    main()
