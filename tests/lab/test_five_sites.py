"""Five linked clusters in five shapes, built as a lab from their own inventory (tests/estates/five_sites):
a cluster with two Connectivity Managers, a one-node cluster, application and database on one node, the classic
three nodes, and a CM with its own HTTPS gateway; SQLite and PostgreSQL side by side.

link-clusters.yml rolls it out; the checks here read every target directly - each node's /etc/hosts over SSH, each
database with sqlite3 or psycopg, each gateway's REST API - never through the collection's code.
"""

import base64
import json
import os
import re
import sqlite3
import ssl
import subprocess
import urllib.request

import pytest

from labutil import ROOT, inventory_nodes, playbook, recap

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")

INVENTORY = "tests/estates/five_sites"
LAB_DIR = os.path.join(ROOT, ".build", "lab-five-sites")
NODES = inventory_nodes(INVENTORY)
# every CM node runs a gateway: node -> its CM's AE title
GATEWAYS = {"metro-cm01": "MET_CM", "metro-cm02": "MET_CM2", "coast-px01": "CST_CM", "ridge-cm01": "RDG_CM",
            "delta-cm01": "DLT_CM", "isle-cm01": "ISL_CM"}
DATABASES = {"metro": ("postgresql", "metro-db01"), "coast": ("sqlite", "coast-px01"),
             "ridge": ("postgresql", "ridge-ad01"), "delta": ("sqlite", "delta-db01"), "isle": ("sqlite", "isle-db01")}
STUDIES = {"metro": "2.25.205000000000000000000000000000000001", "coast": "2.25.205000000000000000000000000000000002",
           "ridge": "2.25.205000000000000000000000000000000003", "delta": "2.25.205000000000000000000000000000000004",
           "isle": "2.25.205000000000000000000000000000000005"}
AUTH = "Basic " + base64.b64encode(b"impax:five-sites-gateway-secret").decode()


def five(path, *extra):
    return playbook(path, *extra, inventory=INVENTORY)


@pytest.fixture(scope="module")
def estate():
    """The five-site lab, up for this module and down after it; the project's own lab may be up or not."""
    up, unused = five("playbooks/lab_up.yml")
    assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-2000:]
    rollout, seconds = five("link-clusters.yml")
    yield rollout, seconds
    down, unused = five("playbooks/lab_down.yml")
    assert down.returncode == 0, down.stdout[-4000:]
    leftovers = [line for line in subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout.splitlines()
                 if re.search(r": (impaxlab5|i5v\d+)[:@]", line)]
    namespaces = [ns for ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
                  if ns.startswith("i5-")]
    assert not leftovers and not namespaces and not os.path.exists(LAB_DIR), (leftovers, namespaces)


def cluster_of(node):
    return NODES[node]["cluster"]


def rest(node, method, path, body=None):
    """The gateway's REST API, as Orthanc documents it (isle's through its HTTPS endpoint, verified)."""
    if node == "isle-cm01":
        url, context = "https://%s:8443%s" % (node, path), ssl.create_default_context(cafile=os.path.join(LAB_DIR, "tls", "ca.pem"))
        # the name is the lab's hosts table's; the controller's own resolver does not know it
        url = url.replace("https://isle-cm01", "https://%s" % NODES[node]["ip"])
        context.check_hostname = False  # the address instead of the name; the certificate chain is still verified
    else:
        url, context = "http://%s:8042%s" % (NODES[node]["ip"], path), None
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Authorization": AUTH})
    with urllib.request.urlopen(request, timeout=60, context=context) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip() else None


def hosts_file(node):
    out = subprocess.run(["ssh", "-F", os.path.join(LAB_DIR, "ssh", "config"), node, "cat", "/etc/hosts"],
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


def stations(cluster):
    """(ae_title, host_name, station_type, cluster_linking) of Network Management, read from the database itself."""
    engine, node = DATABASES[cluster]
    query = "SELECT ae_title, host_name, station_type, cluster_linking FROM network_station"
    if engine == "sqlite":
        connection = sqlite3.connect(os.path.join(LAB_DIR, "db", "%s.sqlite" % cluster))
        rows = connection.execute(query).fetchall()
        connection.close()
    else:
        import psycopg
        with psycopg.connect(host=NODES[node]["ip"], dbname="impax_%s" % cluster, user="impax",
                             password="five-sites-database-secret") as connection:
            rows = connection.execute(query).fetchall()
    return dict((r[0], (r[1], r[2], bool(r[3]))) for r in rows)


def test_the_rollout_links_every_cm_and_verifies_every_pair(estate):
    rollout, seconds = estate
    assert rollout.returncode == 0, rollout.stdout[-6000:]
    every = sorted(GATEWAYS.values())
    for source in every:
        for target in every:
            if target != source:
                assert re.search(r"^\s*- '%s\s+-> %s\s+ok" % (source, target), rollout.stdout, re.M), (source, target)
    assert "Broken DICOM links" not in rollout.stdout
    print("five-site rollout: %.1f s" % seconds)


def test_every_node_resolves_every_cm_from_one_managed_block(estate):
    blocks = {}
    for node in NODES:
        text = hosts_file(node)
        block = text[text.index("# BEGIN impax.cluster_link managed block"):text.index("# END impax.cluster_link managed block")]
        blocks[node] = block
        for cm_node in GATEWAYS:
            assert re.search(r"^%s\s+%s\b" % (re.escape(NODES[cm_node]["ip"]), cm_node), block, re.M), (node, cm_node)
    assert len(set(blocks.values())) == 1, "the managed block is identical on every node"


def test_every_database_registers_every_cm_with_linking_towards_the_other_clusters(estate):
    for cluster in DATABASES:
        held = stations(cluster)
        for node, ae in GATEWAYS.items():
            assert held[ae][0] == node and held[ae][1] == "HIS/RIS", (cluster, ae, held.get(ae))
            # Cluster Linking on towards the other clusters' CMs, off for its own
            assert held[ae][2] == (cluster_of(node) != cluster), (cluster, ae)


def test_every_gateway_holds_every_other_cm_and_answers_them(estate):
    for node, me in GATEWAYS.items():
        registry = rest(node, "GET", "/modalities?expand")
        assert me not in registry
        for other, ae in GATEWAYS.items():
            if other == node:
                continue
            assert registry[ae]["Host"] == other, (node, ae)
            sibling = cluster_of(other) == cluster_of(node)
            # the CMs of one cluster share its database: they only answer each other's C-ECHO
            assert registry[ae]["AllowFind"] == (not sibling), (node, ae)
            rest(node, "POST", "/modalities/%s/echo" % ae, {})  # raises on a refused or failed C-ECHO


def test_a_study_of_each_cluster_is_found_and_retrieved_by_every_other_through_its_own_gateways(estate):
    for holder, uid in STUDIES.items():
        for node, me in GATEWAYS.items():
            if cluster_of(node) == holder:
                continue
            for target, ae in GATEWAYS.items():
                if cluster_of(target) != holder:
                    continue
                query = rest(node, "POST", "/modalities/%s/query" % ae, {"Level": "Study", "Query": {"StudyInstanceUID": uid}})
                answers = rest(node, "GET", "/queries/%s/answers" % query["ID"])
                assert len(answers) == 1, (me, ae, uid)
            rest(node, "POST", "/modalities/%s/move" % GATEWAYS[sorted(t for t in GATEWAYS if cluster_of(t) == holder)[0]],
                 {"Level": "Study", "Resources": [{"StudyInstanceUID": uid}], "Synchronous": True})
            found = rest(node, "POST", "/tools/find", {"Level": "Study", "Query": {"StudyInstanceUID": uid}})
            assert len(found) == 1, (me, holder)
            rest(node, "DELETE", "/studies/%s" % found[0])  # the copy goes again: the lab stays as seeded


def test_a_second_run_changes_nothing_and_the_drift_check_finds_the_estate_in_sync(estate, tmp_path):
    again, unused = five("link-clusters.yml")
    assert again.returncode == 0, again.stdout[-4000:]
    changed = dict((h, r["changed"]) for h, r in recap(again.stdout).items() if r["changed"])
    assert changed == {}, changed
    drift, unused = five("playbooks/drift_check.yml", "-e", "impax_report_dir=%s" % tmp_path)
    assert drift.returncode == 0 and "estate five-sites: in sync" in drift.stdout, drift.stdout[-4000:]
    with open(tmp_path / "drift-five-sites.json") as handle:
        report = json.load(handle)
    assert [t["where"] for t in report["clusters"]["metro"]["resources"]["dicom"]["targets"]] == ["metro-cm01", "metro-cm02"]


def test_the_projects_own_lab_comes_and_goes_beside_it_without_touching_it(estate):
    from labutil import lab_is_up
    if lab_is_up():
        pytest.skip("the project's lab is up already (make lab-down first)")
    before = dict((node, rest(node, "GET", "/modalities")) for node in GATEWAYS)
    up, unused = playbook("playbooks/lab_up.yml")  # inventories/lab: impaxlab0, 10.201.0.0/24, il-<node>
    try:
        assert up.returncode == 0, up.stdout[-3000:]
        namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
        assert {"il-harbor-cm01", "i5-metro-cm01"} <= set(namespaces)
    finally:
        down, unused = playbook("playbooks/lab_down.yml")
    assert down.returncode == 0, down.stdout[-3000:]
    # the five-site lab is untouched: every node answers, every gateway holds what it held
    assert dict((node, rest(node, "GET", "/modalities")) for node in GATEWAYS) == before
    assert all(hosts_file(node) for node in NODES)
