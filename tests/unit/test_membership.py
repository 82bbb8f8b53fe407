"""A cluster leaving the linked estate (impax_cluster.membership: leaving): planned apart from the clusters that stay."""

import copy
import os

from estate_helpers import ROOT, inventory_raw

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import load_slice, write_slices

LAB = inventory_raw(os.path.join(ROOT, "inventories", "lab"))


def leaving(raw, *names):
    raw = copy.deepcopy(raw)
    for name in names:
        raw["clusters"][name]["vars"]["impax_cluster"]["membership"] = "leaving"
    return raw


def only(raw, *names):
    raw = copy.deepcopy(raw)
    raw["clusters"] = dict((n, c) for n, c in raw["clusters"].items() if n in names)
    return raw


def comparable(cluster):
    return dict((k, v) for k, v in cluster.items() if k not in ("membership", "hosts_table", "hosts_table_sha256"))


def valley_things(plan):
    valley = LAB["clusters"]["valley"]["vars"]
    aes = set(o["ae_title"] for var in ("impax_connectivity_managers", "impax_stations") for o in valley[var])
    hosts = set(n["hostname"] for n in LAB["clusters"]["valley"]["nodes"])
    return aes, hosts


def test_the_clusters_that_stay_are_planned_as_if_the_leaving_one_were_gone():
    plan = plan_estate(leaving(LAB, "valley"))
    without = plan_estate(only(LAB, "harbor", "summit"))
    assert plan["valid"] and without["valid"]
    assert plan["hosts_table"] == without["hosts_table"] and plan["mappings"] == without["mappings"]
    for name in ("harbor", "summit"):
        assert plan["clusters"][name]["membership"] == "linked"
        assert comparable(plan["clusters"][name]) == comparable(without["clusters"][name])
        assert "hosts_table" not in plan["clusters"][name]
    aes, hosts = valley_things(plan)
    assert aes and hosts
    for name in ("harbor", "summit"):
        cluster = plan["clusters"][name]
        for gateway in cluster["gateways"].values():
            assert not aes & set(e["ae_title"] for e in cluster["network_management"] + cluster["sources"] + gateway["modalities"])
            assert not aes & set(t["ae_title"] for t in gateway["verify_targets"])
            assert "valley" not in [p["name"] for p in gateway["peers"]]
        assert "valley" not in cluster["links"]
    assert not hosts & set(e["hostname"] for e in plan["hosts_table"])


def test_the_leaving_cluster_is_planned_on_its_own_without_linking():
    plan = plan_estate(leaving(LAB, "valley"))
    alone = plan_estate(only(leaving(LAB, "valley"), "valley"))
    valley = plan["clusters"]["valley"]
    assert valley["membership"] == "leaving"
    assert comparable(valley) == comparable(alone["clusters"]["valley"])
    assert valley["hosts_table"] == alone["clusters"]["valley"]["hosts_table"] != plan["hosts_table"]
    aes, hosts = valley_things(plan)
    everything = valley["network_management"] + valley["sources"]
    assert set(e["ae_title"] for e in everything) <= aes
    assert set(e["hostname"] for e in valley["hosts_table"]) >= hosts
    assert all(e["home_cluster"] == "valley" for e in everything)
    assert not any(e["cluster_linking"] for e in valley["network_management"])
    assert valley["links"] == {} and valley["gateways"]
    assert all(g["verify_targets"] == [] and g["peers"] == [] for g in valley["gateways"].values())
    own_rows = LAB["clusters"]["valley"]["vars"]["impax_mappings"]
    for table, rows in valley["mappings"].items():
        assert sorted((r["pattern"], r["label"]) for r in rows) == sorted((r["pattern"], r["label"]) for r in own_rows[table])


def test_leaving_ignores_links_towards_it_and_refuses_a_leaving_hub():
    raw = leaving(LAB, "valley")
    raw["clusters"]["harbor"]["vars"]["impax_cluster"]["links"] = {"valley": {"link_prefetching": False}}
    plan = plan_estate(raw)
    assert plan["valid"]
    notes = [f for f in plan["findings"] if f["rule"] == "ICL108"]
    assert [(f["severity"], f["cluster"], f["field"]) for f in notes] == [("info", "harbor", "impax_cluster.links.valley")]
    assert raw["clusters"]["harbor"]["vars"]["impax_cluster"]["links"] == {"valley": {"link_prefetching": False}}, \
        "the inventory's values are not changed"
    raw["estate"]["hub"] = "valley"
    refused = plan_estate(raw)
    assert not refused["valid"] and refused["clusters"] == {}
    assert [f["field"] for f in refused["findings"] if f["severity"] == "error"] == ["impax_estate.hub"]


def test_membership_is_checked_like_any_field():
    raw = copy.deepcopy(LAB)
    raw["clusters"]["valley"]["vars"]["impax_cluster"]["membership"] = "gone"
    plan = plan_estate(raw)
    assert not plan["valid"]
    bad = [f for f in plan["findings"] if f["severity"] == "error"]
    assert [(f["rule"], f["cluster"]) for f in bad] == [("ICL101", "valley")]
    assert bad[0]["field"] == "impax_cluster.membership" and "linked, leaving" in bad[0]["message"]


def test_every_cluster_leaving_dissolves_the_estate_cleanly():
    plan = plan_estate(leaving(LAB, "harbor", "summit", "valley"))
    assert plan["valid"] and plan["hosts_table"] == []
    for name, cluster in plan["clusters"].items():
        assert cluster["membership"] == "leaving" and cluster["links"] == {}
        assert all(e["home_cluster"] == name for e in cluster["network_management"])


def test_a_leaving_cluster_gets_its_own_hosts_slice(tmp_path):
    plan = plan_estate(leaving(LAB, "valley"))
    refs = write_slices(plan, str(tmp_path))
    assert load_slice(refs["valley"]["hosts_table"]) == plan["clusters"]["valley"]["hosts_table"]
    assert load_slice(refs["harbor"]["hosts_table"]) == plan["hosts_table"]
    assert refs["harbor"]["hosts_table"] == refs["summit"]["hosts_table"] != refs["valley"]["hosts_table"]


def test_a_synthesized_superset_must_be_synthesized_again_without_the_leaving_site():
    raw = leaving(inventory_raw(os.path.join(ROOT, "inventories", "example")), "east")
    plan = plan_estate(raw)
    assert not plan["valid"]
    stale = [f for f in plan["findings"] if f["rule"] == "ICL205"]
    hint = [f for f in plan["findings"] if f["rule"] == "ICL108"]
    assert stale and all(f["severity"] == "error" for f in stale)
    # east's EIC_MR2 is archived in north too (archive_in): once east leaves, not any more (info)
    assert sorted((f["severity"], f["cluster"]) for f in hint) == [("info", "east"), ("warning", "east")]
    warning = [f for f in hint if f["severity"] == "warning"][0]
    assert "synthesize_mappings" in warning["message"]
