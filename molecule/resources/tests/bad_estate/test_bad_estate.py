"""Molecule verify (bad_estate): invalid estates stop before any target is touched."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from labhost import CMS, GATEWAYS, NODES, ROOT, host, orthanc, sql  # noqa: E402

BIN = os.path.join(ROOT, ".venv", "bin")


# every column of the reference schema, so one query per database reads everything
COLUMNS = {
    "network_station": ["ae_title", "station_name", "host_name", "port", "COALESCE(alias, '')", "station_type",
                        "validation_level", "transmit_to_station", "query_retrieve", "query_user_information",
                        "send_key_images_only", "send_multiframe", "send_storage_commit", "cluster_linking",
                        "link_internal_queries", "link_external_queries", "link_cluster_updates", "link_prefetching",
                        "study_observed_notifications"],
    "source_station": ["ae_title", "station_name", "institution_name", "institutional_department_name", "home_cm",
                       "visitor", "automatic_archiving", "study_identification", "patient_identification",
                       "accession_identifies_patient", "his_notifications", "study_observed_notifications",
                       "demographic_layout"],
    "body_part_mapping": ["source_pattern", "rule_number", "body_part"],
    "specialty_mapping": ["source_pattern", "rule_number", "specialty"],
    "patient_location_mapping": ["source_pattern", "rule_number", "mapped_location"],
}


def state_digest():
    """One hash over every target: the ten hosts files, three databases, four Orthanc registries."""
    parts = {}
    for node in NODES:
        parts["hosts:" + node] = host(node).file("/etc/hosts").content_string
    union = " UNION ALL ".join("SELECT '%s' AS t, %s FROM %s" % (t, " || '|' || ".join(
        "CAST(%s AS TEXT)" % c for c in COLUMNS[t]), t) for t in COLUMNS)
    for cluster in CMS:
        parts["db:" + cluster] = sorted(map(str, sql(cluster, union)))
    for node in GATEWAYS:
        parts["orthanc:" + node] = [orthanc(node, "/modalities?expand"), orthanc(node, "/peers?expand")]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def edit(path, change):
    with open(path) as handle:
        data = yaml.safe_load(handle)
    change(data)
    with open(path, "w") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)


def stations(cluster):
    return "group_vars/%s/stations.yml" % cluster


BROKEN = [
    ("duplicate AE title", stations("valley"),
     lambda d: d["impax_stations"][0].update(ae_title="HBR_CT1"), ["ICL006"]),
    ("visitor archived automatically", stations("harbor"),
     lambda d: d["impax_stations"][2].update(automatic_archiving=True), ["ICL016"]),
    ("home CM of another cluster and a bad host name", stations("summit"),
     lambda d: d["impax_stations"][0].update(home_cm="HBR_CM", host="smt mr2"), ["ICL014", "ICL102"]),
    ("prefetching without internal queries", "group_vars/all/estate.yml",
     lambda d: d["impax_estate"]["linking"].update(link_internal_queries=False), ["ICL029"]),
    ("a foreign row that shadows a sample", "group_vars/valley/mappings.yml",
     lambda d: d["impax_mappings"]["specialty"].insert(0, {"pattern": "%CT%", "rule": 50, "label": "ABDO"}), ["ICL202"]),
]


@pytest.fixture(scope="module")
def before():
    return state_digest()


@pytest.mark.parametrize("what,path,change,rules", BROKEN, ids=[b[0] for b in BROKEN])
def test_bad_estate_changes_nothing(tmp_path, before, what, path, change, rules):
    inventory = tmp_path / "lab"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory, symlinks=True)
    edit(str(inventory / path), change)
    env = dict(os.environ, IMPAX_PROJECT_DIR=ROOT, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1")
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "link-clusters.yml"), "-i", str(inventory)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "nothing was changed" in output
    for rule in rules:
        assert rule in output, (rule, output)
    assert state_digest() == before


def test_the_digest_sees_a_change(before):
    """The check above could not pass by accident: one changed row changes the digest."""
    node = host("valley-db01")
    python = "%s/.venv/bin/python" % ROOT
    path = "%s/.build/lab/db/valley.sqlite" % ROOT
    change = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()"
    node.check_output("%s -c %s %s %s", python, change, path, "UPDATE network_station SET port = port + 1")
    try:
        assert state_digest() != before
    finally:
        node.check_output("%s -c %s %s %s", python, change, path, "UPDATE network_station SET port = port - 1")
    assert state_digest() == before
