"""Benchmark: loading a grown estate's inventory - fast_host_group_vars against Ansible's own host_group_vars.

The lab inventory grown as bench/rollout_scale.py grows it (N more stations and 3 mapping tables of M more rows
per cluster), its grown files as YAML and as JSON. Measured side by side in one run, min of --repeat each:
  - one grown stations file read by each plugin's way (Ansible's DataLoader; the plugin's load_plain_data);
  - an ansible-playbook run that only loads the inventory for the 9 nodes (one meta: noop), with each plugin
    enabled (ANSIBLE_VARS_ENABLED), alternating; the plugin both without and with its cache_dir (the parsed form
    of each large YAML file kept by an earlier run);
  - that all three give the same variables (ansible-inventory --list, compared).
Needs no lab.

    .venv/bin/python bench/group_vars_scale.py [--stations 2000] [--rows 1000] [--repeat 3] [--json FILE]
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rollout_scale import BIN, ROOT, environ, grown_estate_parser, grown_inventory, report_figures  # noqa: E402

FAST = "impax.cluster_link.fast_host_group_vars"
CORE = "host_group_vars"


def file_seconds(path, repeat):
    """(Ansible's DataLoader, the plugin's load_plain_data) on one file, in this process, min of ``repeat``."""
    sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
    from ansible.parsing.dataloader import DataLoader
    from ansible_collections.impax.cluster_link.plugins.vars.fast_host_group_vars import load_plain_data
    core, fast = [], []
    for unused in range(repeat):
        start = time.perf_counter()
        DataLoader().load_from_file(path, cache="none", unsafe=True, trusted_as_template=True)
        core.append(time.perf_counter() - start)
        start = time.perf_counter()
        load_plain_data(path, 0)
        fast.append(time.perf_counter() - start)
    return min(core), min(fast)


CACHE_DIR = os.path.join(ROOT, "build", "bench-vars-cache")
# how each run reads the inventory: (vars plugin, its cache_dir - empty: none)
WAYS = {"host_group_vars": (CORE, ""), "fast": (FAST, ""), "fast_cache_dir": (FAST, CACHE_DIR)}


def floor(inventory, way):
    """Seconds of an ansible-playbook run that only loads the inventory for every node."""
    book = os.path.join(ROOT, "build", "bench-group-vars-floor.yml")
    with open(book, "w") as handle:
        json.dump([{"name": "Nothing but loading the estate", "hosts": "impax_clusters", "gather_facts": False,
                    "tasks": [{"name": "Nothing to do", "ansible.builtin.meta": "noop"}]}], handle)
    start = time.perf_counter()
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), book, "-i", inventory], cwd=ROOT,
                            env=way_environ(way), capture_output=True, text=True, timeout=600, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    return seconds


def way_environ(way):
    plugin, cache_dir = WAYS[way]
    return environ(ANSIBLE_VARS_ENABLED=plugin, IMPAX_FAST_VARS_CACHE_DIR=cache_dir)


def listed(inventory, way):
    result = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"], cwd=ROOT,
                            env=way_environ(way), capture_output=True, text=True, timeout=600, check=True)
    return json.loads(result.stdout)


def main():
    parser = grown_estate_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = {"estate": "lab + %d stations and 3 x %d mapping rows per cluster" % (args.stations, args.rows)}
    for kind, json_lists in (("yaml", False), ("json", True)):
        inventory = grown_inventory(args.stations, args.rows, json_lists=json_lists,
                                    target="bench-group-vars-" + kind)
        stations = os.path.join(inventory, "group_vars", "harbor", "stations." + ("json" if json_lists else "yml"))
        core, fast = file_seconds(stations, args.repeat)
        figures["%s_stations_file_host_group_vars_seconds" % kind] = round(core, 3)
        figures["%s_stations_file_fast_seconds" % kind] = round(fast, 3)
        core = listed(inventory, "host_group_vars")
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
        # with cache_dir twice: the first parses and keeps (as an earlier run would), the second reads what it kept
        figures["%s_same_variables" % kind] = all(listed(inventory, way) == core
                                                  for way in ("fast", "fast_cache_dir", "fast_cache_dir"))
        runs = {}
        for unused in range(args.repeat):  # alternating, so that all see the same machine
            for way in WAYS:
                runs.setdefault(way, []).append(floor(inventory, way))
        for way in WAYS:
            figures["%s_inventory_load_%s_seconds" % (kind, way)] = round(min(runs[way]), 2)
        figures["%s_inventory_load_speedup" % kind] = round(min(runs["host_group_vars"]) / min(runs["fast"]), 2)
        figures["%s_inventory_load_speedup_cache_dir" % kind] = round(
            min(runs["host_group_vars"]) / min(runs["fast_cache_dir"]), 2)
    report_figures(figures, args.json)
    if not all(value for key, value in figures.items() if key.endswith("same_variables")):
        raise SystemExit("the ways of reading the inventory gave different variables")


if __name__ == "__main__":
    main()
