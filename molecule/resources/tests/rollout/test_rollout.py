"""Molecule verify, from outside over the lab's SSH (pytest-testinfra): the rollout did what was planned."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from labhost import CMS, GATEWAYS, NODES, ROOT, host, orthanc, plan, sql  # noqa: E402

REPORTS = os.path.join(ROOT, "build", "molecule", os.environ.get("MOLECULE_SCENARIO_NAME", "default"))


def report(name):
    with open(os.path.join(REPORTS, name)) as handle:
        data = json.load(handle)
    for cluster in data.values():
        cluster.pop("verify", None)  # links are checked in a real run only
    return data


def test_converge_made_exactly_the_predicted_changes():
    predicted, converged = report("predicted.json"), report("converged.json")
    assert predicted == converged
    assert any(c["network_management"]["changed"] for c in converged.values()), "the first converge changes things"


@pytest.mark.parametrize("node", NODES)
def test_hosts_block_identical_and_every_cm_resolves(node):
    text = host(node).file("/etc/hosts").content_string
    block = text[text.index("# BEGIN impax.cluster_link managed block"):text.index("# END impax.cluster_link managed block")]
    reference = host("harbor-cm01").file("/etc/hosts").content_string
    assert block in reference
    for cm_host in GATEWAYS:
        assert host(node).run("getent hosts %s" % cm_host).rc == 0


def test_databases_hold_the_plan():
    estate = plan()
    for cluster in CMS:
        stations = sorted(r[0] for r in sql(cluster, "SELECT ae_title FROM network_station"))
        assert stations == sorted(e["ae_title"] for e in estate["clusters"][cluster]["network_management"])
        sources = sorted(tuple(r) for r in sql(cluster, "SELECT ae_title, visitor, automatic_archiving FROM source_station"))
        assert sources == sorted((s["ae_title"], int(s["visitor"]), int(s["automatic_archiving"]))
                                 for s in estate["clusters"][cluster]["sources"])
        # KB 10665: a source archives at home; away from home it is a Visitor (the lab names no archive_in)
        for entry in estate["clusters"][cluster]["sources"]:
            if entry["home_cluster"] != cluster:
                assert (entry["visitor"], entry["automatic_archiving"]) == (True, False), (cluster, entry["ae_title"])
        rows = sorted(tuple(r) for r in sql(cluster, "SELECT source_pattern, rule_number, specialty FROM specialty_mapping"))
        assert rows == sorted((r["pattern"], r["rule"], r["label"]) for r in estate["clusters"][cluster]["mappings"]["specialty"])


def test_gateways_hold_the_plan():
    estate = plan()
    for node, (cluster, unused) in GATEWAYS.items():
        gateway = estate["clusters"][cluster]["gateways"][node]
        assert sorted(orthanc(node, "/modalities")) == sorted(m["name"] for m in gateway["modalities"])


@pytest.mark.parametrize("source", sorted(GATEWAYS))
def test_c_echo_matrix_is_green(source):
    calling = GATEWAYS[source][1]
    for target, (unused, ae) in GATEWAYS.items():  # every other CM, its own cluster's second one too
        if target == source:
            continue
        out = host(source).run("curl -s -o /dev/null -w '%%{http_code}' -u impax:lab-gateway-secret -X POST "
                               "-d '{}' http://%s:8042/modalities/%s/echo" % (source, ae))
        assert out.stdout.strip() == "200", (source, target, out.stdout, out.stderr)
        # and an independent client, dcmtk's echoscu, from the source node by host name
        echo = host(source).run("echoscu -aet %s -aec %s %s 104" % (calling, ae, target))
        assert echo.rc == 0, echo.stderr
