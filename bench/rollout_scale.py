"""Benchmark: the whole rollout on the lab estate grown to N stations and 3 mapping tables of M rows per cluster.

Measured in one run, on the lab:
  - link-clusters.yml: first rollout, and converged re-runs (min and median of 3), each both as a run on its own
    (making its SSH connections to the nodes) and right after another run (through the connections Ansible keeps
    open a minute); the converged re-runs again with the grown station and mapping files as JSON instead of YAML
    (the same estate: Ansible's YAML loader is most of loading it);
  - the floor of any ansible-playbook run of this estate: one that only loads the inventory for every node
    (YAML and JSON), min of 3;
  - a direct Python script doing the converged re-run's reads, node after node (every hosts file and every table
    of each cluster's SQLite database over SSH, one session per node; every Orthanc registry over HTTP), in the
    same rounds as the re-runs and like them both making its SSH connections and through the open ones; reported
    also with the estate's own files read (C YAML loader), the desired state such a script would compare with;
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


def rollout(inventory, *extra, **env):
    start = time.perf_counter()
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "link-clusters.yml", "-i", inventory,
                             "--skip-tags", "verify"] + list(extra), cwd=ROOT, env=environ(IMPAX_PROJECT_DIR=ROOT, **env),
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


# The direct script's read on a node, in one SSH session: its hosts file and, on a cluster's database node, every
# table of the embedded SQLite database (a controller reaches a cluster's SQLite file only through its node, as
# the config_database module does)
NODE_READ = """
import json, sqlite3, sys
sys.stdout.write(open("/etc/hosts").read())
if len(sys.argv) > 1:
    db = sqlite3.connect(sys.argv[1])
    for table in ("network_station", "source_station", "body_part_mapping", "specialty_mapping",
                  "patient_location_mapping"):
        json.dump(db.execute("SELECT * FROM %s" % table).fetchall(), sys.stdout)
"""
# Ansible's connections to the lab nodes, as inventories/lab/group_vars/impax_clusters/connection.yml opens them
ANSIBLE_MASTERS = ["-o", "ControlMaster=auto", "-o", "ControlPersist=60s", "-o", "ControlPath=%s/cp/%%h" % LAB_DIR]


def close_connections():
    """End the SSH connections Ansible keeps open to the lab nodes (ControlPersist): the next run opens them again,
    as a run that does not follow another within a minute - a scheduled drift check, a script run - does."""
    folder = os.path.join(LAB_DIR, "cp")
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(folder, name), "-O", "exit", name],
                       capture_output=True, check=False)


def direct_reads(open_connections=False):
    """What a converged re-run must read, done by a plain script, node after node: 9 hosts files and 3 databases over
    SSH (one session per node), 3 gateway registries over HTTP. With ``open_connections`` through the connections
    Ansible keeps open (a script run right after ansible-playbook), else each node's SSH connection is made anew."""
    import base64
    import http.client
    start = time.perf_counter()
    config = ["-F", os.path.join(LAB_DIR, "ssh", "config")] + (ANSIBLE_MASTERS if open_connections else [])
    for node in NODES:
        database = [os.path.join(LAB_DIR, "db", "%s.sqlite" % node.split("-", maxsplit=1)[0])] if node.endswith("-db01") else []
        subprocess.run(["ssh"] + config + [node, sys.executable, "-"] + database, input=NODE_READ.encode(),
                       capture_output=True, check=True)
    auth = "Basic " + base64.b64encode(b"impax:lab-gateway-secret").decode()
    for ip in ADDRESSES.values():
        conn = http.client.HTTPConnection(ip, 8042)
        for path in ("/modalities?expand", "/peers?expand"):
            conn.request("GET", path, headers={"Authorization": auth})
            conn.getresponse().read()
        conn.close()
    return time.perf_counter() - start


def converged_rounds(inventory, rounds):
    """Converged re-runs and the direct script's reads, in ``rounds`` rounds of: a run making its SSH connections, a
    run right after it (connections open), the script through those open connections, the script making its own.
    ({"new"/"open"/"reads"/"reads_open": [seconds of each round]}, changed tasks in any run)."""
    times = {"new": [], "open": [], "reads": [], "reads_open": []}
    changed = 0
    for unused in range(rounds):
        close_connections()
        for kind in ("new", "open"):
            seconds, count = rollout(inventory)
            times[kind].append(seconds)
            changed = max(changed, count)
        times["reads_open"].append(direct_reads(open_connections=True))
        close_connections()
        times["reads"].append(direct_reads())
    return times, changed


def min_median(values):
    return [round(min(values), 2), round(sorted(values)[len(values) // 2], 2)]


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
        # converged re-runs and the direct script, side by side in rounds: each as a run on its own (SSH
        # connections made anew) and right after a run (through the connections Ansible keeps open)
        yaml_runs, yaml_changed = converged_rounds(inventory, 3)
        # the same estate with the two grown files as JSON: nothing to change, only the inventory reads faster
        json_inventory = grown_inventory(args.stations, args.rows, json_lists=True)
        json_runs, json_changed = converged_rounds(json_inventory, 3)
        floor = min(ansible_floor(inventory) for unused in range(3))
        floor_json = min(ansible_floor(json_inventory) for unused in range(3))
        estate = min(estate_reads(inventory) for unused in range(3))
        per_item = per_item_sample(args.sample)
    finally:
        playbook("playbooks/lab_down.yml")
    with open(os.path.join(ROOT, "build", "plan-bench-estate.json")) as handle:
        plan = json.load(handle)
    items = len(plan["hosts_table"]) * len(NODES)
    for cluster in plan["clusters"].values():
        items += len(cluster["network_management"]) + len(cluster["sources"])
        items += sum(len(gateway["modalities"]) for gateway in cluster["gateways"].values())
        items += sum(len(rows) for rows in cluster["mappings"].values())
    # the script's reads do not depend on the inventory: its six rounds together
    reads = min(yaml_runs["reads"] + json_runs["reads"])
    reads_open = min(yaml_runs["reads_open"] + json_runs["reads_open"])
    again, again_open, again_json = min(yaml_runs["new"]), min(yaml_runs["open"]), min(json_runs["new"])
    figures = {
        "estate": "3 clusters, %d more stations each, %d more rows per mapping table per cluster" % (args.stations, args.rows),
        "items_managed": items,
        "first_rollout_seconds": round(first, 1), "first_rollout_changed_tasks": first_changed,
        # [min, median] of 3; a run on its own (making its SSH connections), and right after another (open ones)
        "converged_rerun_seconds": min_median(yaml_runs["new"]),
        "converged_rerun_open_connections_seconds": min_median(yaml_runs["open"]),
        "converged_rerun_changed_tasks": yaml_changed,
        "converged_rerun_json_lists_seconds": min_median(json_runs["new"]),
        "converged_rerun_json_lists_open_connections_seconds": min_median(json_runs["open"]),
        "converged_rerun_json_lists_changed_tasks": json_changed,
        # [min, median] of 6
        "direct_script_reads_seconds": min_median(yaml_runs["reads"] + json_runs["reads"]),
        "direct_script_reads_open_connections_seconds": min_median(yaml_runs["reads_open"] + json_runs["reads_open"]),
        # like for like, by the minimums: both making their SSH connections, or both through open ones
        "converged_vs_direct_reads": round(again / reads, 2),
        "converged_json_lists_vs_direct_reads": round(again_json / reads, 2),
        "converged_vs_direct_reads_open_connections": round(again_open / reads_open, 2),
        # the same, each against the script's reads of its own rounds only (the machine's speed drifts in a run)
        "converged_vs_direct_reads_same_rounds": round(again / min(yaml_runs["reads"]), 2),
        "converged_json_lists_vs_direct_reads_same_rounds": round(again_json / min(json_runs["reads"]), 2),
        # any ansible-playbook run of this estate starts with this much: Ansible and the inventory, no work
        "ansible_floor_seconds": round(floor, 2),
        "ansible_floor_json_lists_seconds": round(floor_json, 2),
        "ansible_floor_vs_direct_reads": round(floor / reads, 2),
        # the same script when it also reads the estate's files (the desired state it would compare with)
        "direct_script_reads_and_estate_files_seconds": round(reads + estate, 2),
        "converged_vs_direct_reads_and_estate_files": round(again / (reads + estate), 2),
        "per_item_seconds_per_item (sampled on %d items x 3 loops)" % args.sample: round(per_item, 4),
        "per_item_extrapolated_seconds": round(per_item * items),
        "speedup_converged_vs_per_item": round(per_item * items / again),
        "speedup_first_vs_per_item": round(per_item * items / first),
    }
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
