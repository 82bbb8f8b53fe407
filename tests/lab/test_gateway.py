"""The DICOM gateway on the lab: registry push, check-mode accuracy, out-of-band repair, and the live link matrix."""

import os
import re

import pytest

from labutil import hosts_path, playbook, recap, run_task

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles", "lab", "files"))
from impax_lab import Api  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")
GATEWAYS = {"harbor": "10.201.0.11", "valley": "10.201.0.21", "summit": "10.201.0.31"}
CM_NODES = ["harbor-cm01", "valley-cm01", "summit-cm01"]


@pytest.fixture(scope="module")
def linked(lab):
    """The lab with its hosts tables and configuration databases rolled out (the gateway stage comes next)."""
    rollout, _seconds = playbook("link-clusters.yml", "--tags", "hosts,config_db")
    assert rollout.returncode == 0, rollout.stdout


def api(cluster):
    return Api(GATEWAYS[cluster], "impax", "lab-gateway-secret")


def registry(cluster):
    return api(cluster).get("/modalities?expand")


def test_gateway_push_check_mode_and_repair(linked):
    before = dict((c, registry(c)) for c in GATEWAYS)
    assert "HBR_CR_OLD" in before["harbor"] and before["harbor"]["HBR_CT1"]["Port"] == 4104  # brownfield

    check, _seconds = playbook("link-clusters.yml", "--tags", "gateway", "--check")
    assert check.returncode == 0, check.stdout
    assert dict((c, registry(c)) for c in GATEWAYS) == before, "check mode changed a gateway"
    predicted = dict((h, r["changed"]) for h, r in recap(check.stdout).items() if h in CM_NODES)

    apply, _seconds = playbook("link-clusters.yml", "--tags", "gateway")
    assert apply.returncode == 0, apply.stdout
    assert dict((h, r["changed"]) for h, r in recap(apply.stdout).items() if h in CM_NODES) == predicted
    harbor = registry("harbor")
    assert "HBR_CR_OLD" not in harbor, "the stale modality is removed"
    assert harbor["HBR_CT1"]["Port"] == 104 and harbor["HBR_CT1"]["AllowStore"] and not harbor["HBR_CT1"]["AllowFind"]
    assert harbor["VLY_CM"]["Host"] == "valley-cm01" and harbor["VLY_CM"]["AllowFind"]
    assert harbor["VLY_CM"]["Manufacturer"] == "GenericNoWildcardInDates"  # Orthanc's name for AgfaImpax
    assert "HBR_CM" not in harbor, "a gateway does not register its own CM"
    assert sorted(api("harbor").get("/peers")) == ["summit", "valley"]

    again, _seconds = playbook("link-clusters.yml", "--tags", "gateway", "-v")
    assert all(r["changed"] == 0 for h, r in recap(again.stdout).items() if h in CM_NODES), again.stdout
    # a converged registry costs one read (GET /modalities?expand, and the peers'), no write
    assert len(re.findall(r"^ *calls: 2$", again.stdout, re.M)) == len(CM_NODES), again.stdout[-3000:]

    # out of band: a modality deleted at valley, a permission flipped at summit
    api("valley").request("DELETE", "/modalities/SMT_CM")
    flipped = registry("summit")["HBR_CM"]
    flipped["AllowFind"] = False
    api("summit").put("/modalities/HBR_CM", flipped)
    drift = run_task("summit-cm01", "impax.cluster_link.dicom_nodes",
                     dict(url="http://summit-cm01:8042", username="impax", password="lab-gateway-secret", state="gathered"))
    assert [m["allow_find"] for m in drift["gathered"]["modalities"] if m["name"] == "HBR_CM"] == [False]
    fix, _seconds = playbook("link-clusters.yml", "--tags", "gateway", "-v")
    changed = dict((h, r["changed"]) for h, r in recap(fix.stdout).items() if h in CM_NODES)
    assert changed == {"harbor-cm01": 0, "valley-cm01": 1, "summit-cm01": 1}, changed
    assert len(re.findall(r"^ *calls: 2$", fix.stdout, re.M)) == 1, "only harbor's registry was as planned: read, nothing written"
    assert "SMT_CM" in registry("valley") and registry("summit")["HBR_CM"]["AllowFind"]


def test_link_matrix_and_cross_cluster_find(linked):
    playbook("link-clusters.yml", "--tags", "gateway")
    result, _seconds = playbook("link-clusters.yml", "--tags", "verify")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    for source, targets in (("harbor", ["SMT_CM", "VLY_CM"]), ("valley", ["HBR_CM", "SMT_CM"]), ("summit", ["HBR_CM", "VLY_CM"])):
        for target in targets:
            assert re.search(r"%s\s+-> %s\s+ok" % (source, target), out), out
    # the seeded study lives in harbor; both other clusters find it through their gateway
    assert re.search(r"valley\s+-> HBR_CM\s+ok\s+\S+ matches=1", out) and re.search(r"summit\s+-> HBR_CM\s+ok\s+\S+ matches=1", out)
    assert len(re.findall(r"pynetdicom \S+\s+-> \S+\s+ok", out)) == 6


def test_broken_hosts_entry_names_exactly_that_pair(linked):
    path = hosts_path("valley-cm01")
    with open(path) as handle:
        original = handle.read()
    broken = original.replace("10.201.0.31\tsummit-cm01", "10.201.0.99\tsummit-cm01")
    assert broken != original
    with open(path, "r+") as handle:
        handle.write(broken)
        handle.truncate()
    try:
        result, _seconds = playbook("link-clusters.yml", "--tags", "verify")
        assert result.returncode != 0
        failed = sorted(set(re.findall(r"^\s*- '?(\S+)\s+-> (\S+)( \(C-MOVE\))?\s+error", result.stdout, re.M)))
        # valley cannot reach summit: its echo, find and retrieval; and summit's retrieval from valley, whose
        # answer (valley's C-STORE to summit) takes the same broken line
        assert failed == [("summit", "VLY_CM", " (C-MOVE)"), ("valley", "SMT_CM", ""), ("valley", "SMT_CM", " (C-MOVE)")], \
            result.stdout[-3000:]
    finally:
        with open(path, "r+") as handle:
            handle.write(original)
            handle.truncate()
