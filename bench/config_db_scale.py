"""Benchmark: one config_database call reconciling a mapping table of 10,000 rows on the lab's PostgreSQL, against a plain psycopg script.

Measured side by side in one run, each as its own Python process (the module run directly, as Ansible runs
it on the node, and the script of bench/baseline_psycopg.py): a converged no-op, and a run where 1 % of the rows
differ. The module is fed its rows as the rollout feeds it (the plan slice, ``from_plan.content``) and, for the
no-op, also as a task's own list (checked by ansible-core's argument spec). Also reports the statements each
executed and the wall time of the same task through ansible-playbook.
Brings the PostgreSQL lab up if it is down, and down again afterwards.

    .venv/bin/python bench/config_db_scale.py [--rows 10000] [--json build/bench-config-db.json]
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
from labutil import lab_is_up, playbook, run_task, report_figures  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import packed  # noqa: E402

import psycopg  # noqa: E402

CONNECTION = dict(host="10.201.0.13", dbname="impax_harbor", user="impax", password="lab-database-secret")
DATABASE = {"engine": "postgresql", "host": "10.201.0.13", "name": "impax_harbor", "user": "impax",
            "password": "lab-database-secret", "sslmode": "disable"}
MODULE = os.path.join(ROOT, "plugins", "modules", "config_database.py")


def run_module(rows, feed="plan_slice"):
    """The module as Ansible runs it on a node: one Python process reading its arguments - the rows as the action
    plugin sends a plan slice, or (``feed="task_list"``) as a task's own list."""
    args = os.path.join(ROOT, "build", "bench-module-args.json")
    if feed == "plan_slice":
        data = json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()
        part = {"from_plan": {"specialty": {"file": "bench-specialty.json", "sha256": hashlib.sha256(data).hexdigest(),
                                            "content": packed(data)}}}
    else:
        part = {"config": {"specialty": rows}}
    with open(args, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": {"state": "overridden", "mappings": part, "database": DATABASE}}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, MODULE, args], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    result = json.loads(out.stdout)
    assert not result.get("failed"), result
    return seconds, result["statements_executed"], len(result["mappings"]["tables"]["specialty"]["commands"])


def run_script(rows):
    job = os.path.join(ROOT, "build", "bench-baseline.json")
    with open(job, "w") as handle:
        json.dump({"rows": rows, "connection": CONNECTION}, handle)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "baseline_psycopg.py"), job], capture_output=True,
                         text=True, check=True)
    return time.perf_counter() - start, json.loads(out.stdout)["statements"]


def drift(rows, share):
    """Change ``share`` of the rows behind the module's back."""
    step = int(1 / share)
    with psycopg.connect(**CONNECTION) as conn:
        for row in rows[::step]:
            conn.execute("UPDATE specialty_mapping SET rule_number = rule_number + 1 WHERE source_pattern = %s",
                         (row["pattern"],))
    return len(rows[::step])


def best(function, *args, repeat=3):
    runs = [function(*args) for unused in range(repeat)]
    return min(runs, key=lambda r: r[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = [{"pattern": "%%CODE%05d%%" % i, "rule": 10 * (i + 1), "label": "L%d" % (i % 7)} for i in range(args.rows)]
    started = not lab_is_up()
    if started:
        result, _seconds = playbook("playbooks/lab_up.yml", "-e", "impax_lab_database=postgresql")
        assert result.returncode == 0, result.stdout
    try:
        first, first_statements, _ops = run_module(rows)
        noop_module = best(run_module, rows)
        noop_task_list = best(run_module, rows, "task_list")
        noop_script = best(run_script, rows)
        changed = drift(rows, 0.01)
        drift_module = run_module(rows)
        drift(rows, 0.01)
        drift_script = run_script(rows)
        start = time.perf_counter()
        through_ansible = run_task("harbor-db01", "impax.cluster_link.config_database",
                                   dict(state="overridden", mappings={"config": {"specialty": rows}}), database=DATABASE)
        ansible_seconds = time.perf_counter() - start
        assert not through_ansible["changed"]
    finally:
        if started:
            playbook("playbooks/lab_down.yml", "-e", "impax_lab_database=postgresql")
    figures = {
        "rows": args.rows,
        "first_push": {"module_seconds": round(first, 3), "statements": first_statements},
        "converged_noop": {"module_seconds": round(noop_module[0], 3), "module_statements": noop_module[1],
                           "script_seconds": round(noop_script[0], 3), "script_statements": noop_script[1],
                           "ratio": round(noop_module[0] / noop_script[0], 2),
                           "module_task_list_seconds": round(noop_task_list[0], 3),
                           "task_list_ratio": round(noop_task_list[0] / noop_script[0], 2)},
        "one_percent_differs": {"rows_changed": changed, "module_seconds": round(drift_module[0], 3),
                                "module_statements": drift_module[1], "module_operations": drift_module[2],
                                "script_seconds": round(drift_script[0], 3), "script_statements": drift_script[1],
                                "ratio": round(drift_module[0] / drift_script[0], 2)},
        "noop_through_ansible_playbook_seconds": round(ansible_seconds, 2),
    }
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
