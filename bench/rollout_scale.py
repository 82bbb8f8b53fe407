"""Benchmark: the whole rollout on the lab estate grown to N stations and 3 mapping tables of M rows per cluster.

Measured in one run, on the lab:
  - link-clusters.yml: first rollout, and converged re-runs (min and median of 3; each takes the plan the run
    before kept), and one with -e impax_plan_cache=false (planning again); the converged re-runs again with the
    grown station and mapping files as JSON instead of YAML (the same estate: Ansible's YAML loader is most of
    loading it), after one run that plans that inventory;
  - the floor of any ansible-playbook run of this estate: one that only loads the inventory for every node
    (YAML and JSON), min of 3;
  - a direct Python script doing the converged re-run's reads (every hosts file over SSH, every configuration
    database table, every Orthanc registry); reported also with the estate's own files read (C YAML loader), the
    desired state such a script would need to compare with;
  - the way people do it without this collection, one task iteration per item: ansible.builtin.lineinfile
    per hosts entry and ansible.builtin.uri per Orthanc modality, timed on a sample of --sample items and
    extrapolated to every item of the estate (said so in the output).
Brings the lab up if it is down, and down again afterwards.

    .venv/bin/python bench/rollout_scale.py [--stations 2000] [--rows 1000] [--sample 100] [--json FILE]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
from labutil import BIN, LAB_DIR, NODES, environ, lab_is_up, playbook, recap, report_figures  # noqa: E402

CLUSTERS = {"harbor": (1, "HBR", "Harbor General Hospital"), "valley": (2, "VLY", "Valley Medical Centre"),
            "summit": (3, "SMT", "Summit Imaging Clinic")}
ADDRESSES = {"harbor-cm01": "10.201.0.11", "valley-cm01": "10.201.0.21", "summit-cm01": "10.201.0.31"}


def grown_inventory(stations, rows, json_lists=False, target=None):
    """A copy of the lab inventory with ``stations`` more modalities and ``rows`` rows per mapping table per cluster
    (the two grown files as JSON with ``json_lists``: the same variables, read faster by Ansible), in build/
    ``target``."""
    target = os.path.join(ROOT, "build", target or ("bench-estate-json" if json_lists else "bench-estate"))
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), target)
    for cluster, (number, prefix, institution) in CLUSTERS.items():
        path = os.path.join(target, "group_vars", cluster, "stations.yml")
        with open(path) as handle:
            data = yaml.safe_load(handle)
        for i in range(stations):
            data["impax_stations"].append({
                "station_name": "%s_MOD%05d" % (prefix, i), "ae_title": "%s%05d" % (prefix, i),
                "host": "%s-mod%05d" % (prefix.lower(), i), "ip": "10.%d.%d.%d" % (210 + number, i // 250, 1 + i % 250),
                "institution": institution, "department": "Radiology", "home_cm": "%s_CM" % prefix})
        write_vars(path, data, json_lists)
        path = os.path.join(target, "group_vars", cluster, "mappings.yml")
        with open(path) as handle:
            data = yaml.safe_load(handle)
        for table, label in (("body_part", "HEAD"), ("specialty", "NEURO"), ("patient_location", "SITE")):
            extra = [{"pattern": "%s%%%05d%%" % (prefix, i), "rule": 2000 + 10 * i, "label": label} for i in range(rows)]
            data["impax_mappings"].setdefault(table, [])
            data["impax_mappings"][table] = data["impax_mappings"][table][:-1] + extra + data["impax_mappings"][table][-1:]
        write_vars(path, data, json_lists)
    return target


def write_vars(path, data, json_lists):
    if json_lists:
        os.remove(path)
        path = path[:-len(".yml")] + ".json"
    with open(path, "w") as handle:
        if json_lists:
            json.dump(data, handle, indent=1)
        else:
            yaml.safe_dump(data, handle)


def rollout(inventory, *extra):
    start = time.perf_counter()
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "link-clusters.yml", "-i", inventory,
                             "--skip-tags", "verify"] + list(extra), cwd=ROOT, env=environ(IMPAX_PROJECT_DIR=ROOT),
                            capture_output=True, text=True, timeout=3600, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-5000:] + result.stderr[-3000:])
    return seconds, sum(r["changed"] for r in recap(result.stdout).values())


def ansible_floor(inventory):
    """Seconds of an ansible-playbook run that does nothing on the estate's nodes: starting Ansible and loading
    the inventory's variables for every node, the part of any run of this estate that comes before its work."""
    book = os.path.join(ROOT, "build", "bench-floor.yml")
    with open(book, "w") as handle:
        json.dump([{"name": "Nothing but loading the estate", "hosts": "impax_clusters", "gather_facts": False,
                    "tasks": [{"name": "Nothing to do", "ansible.builtin.meta": "noop"}]}], handle)
    start = time.perf_counter()
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), book, "-i", inventory], cwd=ROOT, env=environ(),
                            capture_output=True, text=True, timeout=600, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    return seconds


def direct_reads():
    """What a converged re-run must read, done by a plain script: 9 hosts files, 3 databases, 3 registries."""
    import base64
    import http.client
    import sqlite3
    start = time.perf_counter()
    config = os.path.join(LAB_DIR, "ssh", "config")
    for node in NODES:
        subprocess.run(["ssh", "-F", config, node, "cat /etc/hosts"], capture_output=True, check=True)
    for cluster in CLUSTERS:
        db = sqlite3.connect(os.path.join(LAB_DIR, "db", "%s.sqlite" % cluster))
        for table in ("network_station", "source_station", "body_part_mapping", "specialty_mapping", "patient_location_mapping"):
            db.execute("SELECT * FROM %s" % table).fetchall()
        db.close()
    auth = "Basic " + base64.b64encode(b"impax:lab-gateway-secret").decode()
    for ip in ADDRESSES.values():
        conn = http.client.HTTPConnection(ip, 8042)
        for path in ("/modalities?expand", "/peers?expand"):
            conn.request("GET", path, headers={"Authorization": auth})
            conn.getresponse().read()
        conn.close()
    return time.perf_counter() - start


def estate_reads(inventory):
    """What a direct script also reads to know the desired state: the estate's own files (C YAML loader)."""
    start = time.perf_counter()
    for folder, unused, files in os.walk(inventory):
        for name in sorted(files):
            with open(os.path.join(folder, name)) as handle:
                if name.endswith(".json"):
                    json.load(handle)
                elif name.endswith((".yml", ".yaml")):
                    yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return time.perf_counter() - start


def per_item_sample(sample):
    """Seconds per item the per-item way: lineinfile per hosts entry, uri PUT per Orthanc modality."""
    work = os.path.join(ROOT, "build", "bench-per-item")
    os.makedirs(work, exist_ok=True)
    hosts = os.path.join(work, "hosts")
    with open(hosts, "w") as handle:
        handle.write("127.0.0.1 localhost\n")
    items = [{"ip": "10.99.%d.%d" % (i // 250, 1 + i % 250), "name": "item%05d" % i} for i in range(sample)]
    play = [{"hosts": "harbor-cm01", "gather_facts": False, "vars": {"items": items}, "tasks": [
        {"name": "lineinfile per hosts entry", "ansible.builtin.lineinfile": {
            "path": hosts, "line": "{{ item.ip }}\t{{ item.name }}", "regexp": "\\s{{ item.name }}$"},
         "loop": "{{ items }}", "delegate_to": "localhost"},
        {"name": "uri per modality", "ansible.builtin.uri": {
            "url": "http://harbor-cm01:8042/modalities/{{ item.name }}", "method": "PUT", "url_username": "impax",
            "url_password": "lab-gateway-secret", "force_basic_auth": True, "body_format": "json",
            "body": {"AET": "{{ item.name }}", "Host": "{{ item.name }}", "Port": 104}}, "loop": "{{ items }}"},
        {"name": "uri cleanup", "ansible.builtin.uri": {
            "url": "http://harbor-cm01:8042/modalities/{{ item.name }}", "method": "DELETE", "url_username": "impax",
            "url_password": "lab-gateway-secret", "force_basic_auth": True}, "loop": "{{ items }}"}]}]
    book = os.path.join(work, "per_item.yml")
    with open(book, "w") as handle:
        json.dump(play, handle)
    start = time.perf_counter()
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "inventories/lab", book, "-e",
                             "ansible_python_interpreter=%s" % sys.executable], cwd=ROOT, env=environ(),
                            capture_output=True, text=True, timeout=3600, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:])
    return seconds / (3 * sample)  # three loops of ``sample`` items


def grown_estate_parser(description):
    """The options of a benchmark on the grown estate (grown_inventory) and where its figures go."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--json")
    return parser


def main():
    parser = grown_estate_parser(__doc__)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    inventory = grown_inventory(args.stations, args.rows)
    started = not lab_is_up()
    if not started:
        playbook("playbooks/lab_down.yml")
    result, _seconds = playbook("playbooks/lab_up.yml")
    assert result.returncode == 0, result.stdout
    try:
        first, first_changed = rollout(inventory)
        # converged re-runs, three of each, measured as the direct reads are (the fastest; the median too)
        runs = [rollout(inventory) for unused in range(3)]
        again, again_changed = min(s for s, c in runs), max(c for s, c in runs)  # any change in any re-run shows
        # the same without the kept plan: what a re-run costs after any change to the inventory
        replanning, unused = rollout(inventory, "-e", "impax_plan_cache=false")
        # the same estate with the two grown files as JSON: nothing to change, only the inventory reads faster. One
        # run first, so that the re-runs take the plan it kept, as the YAML ones do
        json_inventory = grown_inventory(args.stations, args.rows, json_lists=True)
        rollout(json_inventory)
        runs_json = [rollout(json_inventory) for unused in range(3)]
        again_json, again_json_changed = min(s for s, c in runs_json), max(c for s, c in runs_json)
        floor = min(ansible_floor(inventory) for unused in range(3))
        floor_json = min(ansible_floor(json_inventory) for unused in range(3))
        reads = min(direct_reads() for unused in range(3))
        estate = min(estate_reads(inventory) for unused in range(3))
        per_item = per_item_sample(args.sample)
    finally:
        playbook("playbooks/lab_down.yml")
    with open(os.path.join(ROOT, "build", "plan-bench-estate.json")) as handle:
        plan = json.load(handle)
    items = len(plan["hosts_table"]) * len(NODES)
    for cluster in plan["clusters"].values():
        items += len(cluster["network_management"]) + len(cluster["sources"]) + len(cluster["gateway_modalities"])
        items += sum(len(rows) for rows in cluster["mappings"].values())
    figures = {
        "estate": "3 clusters, %d more stations each, %d more rows per mapping table per cluster" % (args.stations, args.rows),
        "items_managed": items,
        "first_rollout_seconds": round(first, 1), "first_rollout_changed_tasks": first_changed,
        "converged_rerun_seconds": round(again, 2), "converged_rerun_changed_tasks": again_changed,
        "converged_rerun_median_seconds": round(sorted(s for s, c in runs)[1], 2),
        "converged_rerun_json_lists_seconds": round(again_json, 2),
        "converged_rerun_json_lists_changed_tasks": again_json_changed,
        "converged_rerun_json_lists_median_seconds": round(sorted(s for s, c in runs_json)[1], 2),
        "converged_rerun_planning_again_seconds": round(replanning, 2),
        "direct_script_reads_seconds": round(reads, 2),
        "converged_vs_direct_reads": round(again / reads, 2),
        "converged_json_lists_vs_direct_reads": round(again_json / reads, 2),
        # any ansible-playbook run of this estate starts with this much: Ansible and the inventory, no work
        "ansible_floor_seconds": round(floor, 2),
        "ansible_floor_json_lists_seconds": round(floor_json, 2),
        "ansible_floor_vs_direct_reads": round(floor / reads, 2),
        # the same script when it also reads the estate's files (the desired state it would compare with)
        "direct_script_reads_and_estate_files_seconds": round(reads + estate, 2),
        "converged_vs_direct_reads_and_estate_files": round(again / (reads + estate), 1),
        "per_item_seconds_per_item (sampled on %d items x 3 loops)" % args.sample: round(per_item, 4),
        "per_item_extrapolated_seconds": round(per_item * items),
        "speedup_converged_vs_per_item": round(per_item * items / again),
        "speedup_first_vs_per_item": round(per_item * items / first),
    }
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
