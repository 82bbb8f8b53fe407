"""Benchmark: the hosts tables on the lab's nine nodes, with the lab's table and with a 5,000-entry table.

Shows that the cost in tasks per node does not depend on the number of entries (one module call per node),
and reports wall times for a first apply and a converged re-run of each. Brings the lab up if it is down
and takes it down again afterwards.

    .venv/bin/python bench/hosts_scale.py [--entries 5000] [--json build/bench-hosts.json]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "lab"))
from labutil import NODES, ROOT, lab_is_up, playbook, recap, report_figures  # noqa: E402


def tasks_per_node(output):
    table = recap(output)
    return sorted(set(row["ok"] + row["failed"] + row["skipped"] for host, row in table.items() if host in NODES))


def run(label, extra):
    figures = {}
    for phase in ("first apply", "converged re-run"):
        result, seconds = playbook("link-clusters.yml", "--tags", "hosts", *extra)
        if result.returncode != 0:
            raise SystemExit(result.stdout + result.stderr)
        changed = sum(row["changed"] for host, row in recap(result.stdout).items() if host in NODES)
        figures[phase] = {"seconds": round(seconds, 2), "tasks_per_node": tasks_per_node(result.stdout),
                          "nodes_changed": changed}
    return {label: figures}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--json")
    args = parser.parse_args()
    started = not lab_is_up()
    if started:
        result, _seconds = playbook("playbooks/lab_up.yml")
        assert result.returncode == 0, result.stdout
    try:
        figures = run("lab table (17 entries)", [])
        big = [{"ip": "10.%d.%d.%d" % (100 + i // 65536, i // 256 % 256, i % 256), "hostname": "station-%05d" % i,
                "aliases": [], "comment": "synthetic station %d" % i} for i in range(args.entries)]
        path = os.path.join(ROOT, "build", "bench-hosts-entries.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(os.path.join(ROOT, "build", "plan-lab.json")) as handle:
            real = json.load(handle)["hosts_table"]
        with open(path, "w") as handle:
            # the rollout hands the role the plan's table by reference; null it so the big list is used
            json.dump({"hosts_file_entries": real + big, "hosts_file_entries_from_plan": None}, handle)
        figures.update(run("%d-entry table" % (len(real) + len(big)), ["-e", "@" + path]))
        figures.update(run("lab table again (shrinks back)", []))
    finally:
        if started:
            playbook("playbooks/lab_down.yml")
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
