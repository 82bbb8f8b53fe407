"""The DICOM gateway on the lab: registry push, check-mode accuracy, out-of-band repair, and the live link matrix."""

import os
import re

import pytest

from labutil import CMS, hosts_path, playbook, recap, run_task

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles", "lab", "files"))
from impax_lab import Api  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")
GATEWAYS = {"harbor": "10.201.0.11", "valley": "10.201.0.21", "summit": "10.201.0.31", "harbor-cm02": "10.201.0.14"}
CM_NODES = CMS  # every CM node runs a gateway: harbor has two


@pytest.fixture(scope="module")
def linked(lab):
    """The lab with its hosts tables and configuration databases rolled out (the gateway stage comes next)."""
    rollout, _seconds = playbook("link-clusters.yml", "--tags", "hosts,config_db")
    assert rollout.returncode == 0, rollout.stdout


def api(cluster):
    """A cluster's first gateway, or a gateway by its node (harbor-cm02)."""
    return Api(GATEWAYS[cluster], "impax", "lab-gateway-secret")


def registry(cluster):
    return api(cluster).get("/modalities?expand")


def test_gateway_push_check_mode_and_repair(linked):
    before = dict((c, registry(c)) for c in GATEWAYS)
    assert "HBR_CR_OLD" in before["harbor-cm02"], "the lab seeds the brownfield on both of harbor's gateways"
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
    # harbor's second CM: the same registry, with the first CM for C-ECHO in place of itself
    second = registry("harbor-cm02")
    assert "HBR_CM2" not in second and second["HBR_CM"]["AllowEcho"] and second["HBR_CM"]["Host"] == "harbor-cm01"
    assert not any(second["HBR_CM"][right] for right in ("AllowFind", "AllowMove", "AllowStore", "AllowGet"))
    assert harbor["HBR_CM2"]["AllowEcho"] and not harbor["HBR_CM2"]["AllowFind"]
    assert dict((k, v) for k, v in second.items() if k not in ("HBR_CM", "HBR_CM2")) == \
        dict((k, v) for k, v in harbor.items() if k not in ("HBR_CM", "HBR_CM2"))
    # every other cluster registers both of harbor's CMs and has both of its gateways as peers
    for cluster in ("valley", "summit"):
        theirs = registry(cluster)
        assert theirs["HBR_CM2"]["Host"] == "harbor-cm02" and theirs["HBR_CM2"]["AllowFind"] == theirs["HBR_CM"]["AllowFind"]
        assert {"harbor_HBR_CM", "harbor_HBR_CM2"} <= set(api(cluster).get("/peers"))

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
    assert changed == {"harbor-cm01": 0, "harbor-cm02": 0, "valley-cm01": 1, "summit-cm01": 1}, changed
    assert len(re.findall(r"^ *calls: 2$", fix.stdout, re.M)) == 2, "only harbor's registries were as planned: read, nothing written"
    assert "SMT_CM" in registry("valley") and registry("summit")["HBR_CM"]["AllowFind"]


def test_link_matrix_and_cross_cluster_find(linked):
    playbook("link-clusters.yml", "--tags", "gateway")
    result, _seconds = playbook("link-clusters.yml", "--tags", "verify")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    every = ["HBR_CM", "HBR_CM2", "SMT_CM", "VLY_CM"]
    for source in every:  # from every CM to every other, its own cluster's other CM included
        for target in every:
            if target != source:
                assert re.search(r"^\s*- '%s\s+-> %s\s+ok" % (source, target), out, re.M), (source, target, out[-3000:])
    # the study seeded in harbor: every gateway of both other clusters finds it on both of harbor's CMs
    for source in ("VLY_CM", "SMT_CM"):
        for target in ("HBR_CM", "HBR_CM2"):
            assert re.search(r"%s\s+-> %s\s+ok\s+\S+ matches=1" % (source, target), out), (source, target)
    assert len(re.findall(r"pynetdicom \S+\s+-> \S+\s+ok", out)) == 12


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
        assert failed == [("SMT_CM", "VLY_CM", " (C-MOVE)"), ("VLY_CM", "SMT_CM", ""), ("VLY_CM", "SMT_CM", " (C-MOVE)")], \
            result.stdout[-3000:]
    finally:
        with open(path, "r+") as handle:
            handle.write(original)
            handle.truncate()
