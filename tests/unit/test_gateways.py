"""Every Connectivity Manager is a linked endpoint: one DICOM gateway per CM node (KB 10665), planned from the
inventory (rules.gateway_connections) - its connection, its registry, its peers and what it verifies."""

import os

import pytest

from estate_helpers import ROOT, base, cm, inventory_plan, rules_of

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate

EXAMPLE = inventory_plan(os.path.join(ROOT, "inventories", "example"))


def two_cm(**gateway):
    """The unit estate with a second CM in cluster a, on a node of its own, and a gateway setting."""
    raw = base()
    a = raw["clusters"]["a"]
    a["vars"]["impax_connectivity_managers"].append(cm("A_CM2", "a-cm2"))
    a["nodes"].append({"hostname": "a-cm2", "ip": "10.1.0.12", "roles": ["connectivity_manager"]})
    if gateway:
        a["vars"]["impax_cluster"]["gateway"] = gateway
    raw["clusters"]["b"]["vars"]["impax_cluster"]["gateway"] = {"url": "http://b-cm:8042"}
    return raw


def findings(plan, rule):
    return [f for f in plan["findings"] if f["rule"] == rule]


def test_each_cm_node_of_the_example_gets_a_gateway_the_second_one_derived_from_the_first():
    south = EXAMPLE["clusters"]["south"]["gateways"]
    assert sorted(south) == ["svh-cm01", "svh-cm02"]
    assert south["svh-cm01"]["url"] == "https://svh-cm01:8042" and south["svh-cm01"]["ae_title"] == "SVH_CM"
    # the same scheme and port on the second CM's own host name
    assert south["svh-cm02"]["url"] == "https://svh-cm02:8042" and south["svh-cm02"]["ae_title"] == "SVH_CM2"
    assert all(g["validate_certs"] for g in south.values())
    assert sorted(EXAMPLE["clusters"]["north"]["gateways"]) == ["ngh-cm01"]


def test_a_gateway_registers_its_sibling_cm_for_echo_and_never_itself():
    south = EXAMPLE["clusters"]["south"]["gateways"]
    for node, me, sibling in (("svh-cm01", "SVH_CM", "SVH_CM2"), ("svh-cm02", "SVH_CM2", "SVH_CM")):
        registry = dict((m["ae_title"], m) for m in south[node]["modalities"])
        assert me not in registry
        rights = sorted(k for k, v in registry[sibling].items() if k.startswith("allow_") and v)
        assert rights == ["allow_echo", "allow_transcoding"], rights
        # apart from the sibling, both hold the cluster's one registry
        others = [m for m in south[node]["modalities"] if m["ae_title"] != sibling]
        assert others == [m for m in south["svh-cm01" if node == "svh-cm02" else "svh-cm02"]["modalities"]
                          if m["ae_title"] != me]


def test_every_other_cluster_registers_the_second_cm_like_the_first():
    for name in ("north", "east"):
        for gateway in EXAMPLE["clusters"][name]["gateways"].values():
            registry = dict((m["ae_title"], m) for m in gateway["modalities"])
            first, second = registry["SVH_CM"], registry["SVH_CM2"]
            assert dict(first, name=None, ae_title=None, host=None) == dict(second, name=None, ae_title=None, host=None)
            assert second["host"] == "svh-cm02" and second["allow_find"] and second["allow_store"]


def test_each_gateway_verifies_every_other_cm_and_names_its_peers_by_cm():
    every = sorted(["NGH_CM", "SVH_CM", "SVH_CM2", "EIC_CM"])
    for name, cluster in EXAMPLE["clusters"].items():
        for node, gateway in cluster["gateways"].items():
            targets = sorted(t["ae_title"] for t in gateway["verify_targets"])
            assert targets == sorted(set(every) - {gateway["ae_title"]}), (node, targets)
            assert set(gateway["verify_addresses"]) == set(t["host"] for t in gateway["verify_targets"])
    north = EXAMPLE["clusters"]["north"]["gateways"]["ngh-cm01"]
    assert north["peers"] == [{"name": "east", "node": "eic-cm01", "url": "https://eic-cm01:8042"},
                              {"name": "south_SVH_CM", "node": "svh-cm01", "url": "https://svh-cm01:8042"},
                              {"name": "south_SVH_CM2", "node": "svh-cm02", "url": "https://svh-cm02:8042"}]


def test_a_cms_own_gateway_wins_and_may_run_on_another_node():
    raw = two_cm(url="https://a-cm:8443", ca_path="/etc/ssl/site-ca.pem")
    raw["clusters"]["a"]["vars"]["impax_connectivity_managers"][1]["gateway"] = {
        "url": "https://gw2.a.example:9443/orthanc/", "host": "a-app", "validate_certs": False}
    plan = plan_estate(raw)
    assert plan["valid"], findings(plan, "ICL109")
    gateways = plan["clusters"]["a"]["gateways"]
    assert sorted(gateways) == ["a-app", "a-cm"]
    assert gateways["a-cm"]["url"] == "https://a-cm:8443" and gateways["a-cm"]["ca_path"] == "/etc/ssl/site-ca.pem"
    assert gateways["a-app"] == dict(gateways["a-app"], url="https://gw2.a.example:9443/orthanc", cm="A_CM2",
                                     validate_certs=False, ca_path=None)


def test_the_cluster_gateway_of_several_cms_is_a_pattern_with_its_host_where_it_says():
    plan = plan_estate(two_cm(url="https://a-cm:8443", host="a-cm", ca_path="/etc/ssl/site-ca.pem"))
    assert plan["valid"]
    gateways = plan["clusters"]["a"]["gateways"]
    assert gateways["a-cm2"]["url"] == "https://a-cm2:8443" and gateways["a-cm2"]["ca_path"] == "/etc/ssl/site-ca.pem"
    assert gateways["a-cm"]["cm"] == "A_CM" and gateways["a-cm2"]["cm"] == "A_CM2"


def test_a_one_cm_cluster_keeps_its_gateway_on_the_node_it_names():
    raw = base()
    raw["clusters"]["a"]["vars"]["impax_cluster"]["gateway"] = {"url": "http://a-app:8042", "host": "a-app"}
    plan = plan_estate(raw)
    assert plan["valid"]
    assert list(plan["clusters"]["a"]["gateways"]) == ["a-app"]
    assert plan["clusters"]["a"]["gateways"]["a-app"]["ae_title"] == "A_CM"


@pytest.mark.parametrize("edit, path, words", [
    (lambda a: a["impax_cluster"].update(gateway={"url": "http://admin:pw@a-cm:8042"}),
     "impax_cluster.gateway.url", "carries credentials"),
    (lambda a: a["impax_cluster"].update(gateway={"url": "ftp://a-cm"}), "impax_cluster.gateway.url", "http:// or https://"),
    (lambda a: a["impax_cluster"].update(gateway={"url": "http://a-cm:notaport"}), "impax_cluster.gateway.url", "not a URL"),
    (lambda a: a["impax_cluster"].update(gateway={"host": "a-cm"}), "impax_cluster.gateway.url", "no url"),
    (lambda a: a["impax_cluster"].update(gateway={"url": "http://a-cm:8042", "host": "a-nowhere"}),
     "impax_cluster.gateway.host", "not a node of cluster a"),
    (lambda a: a["impax_cluster"].update(gateway={"url": "http://a-app:8042", "host": "a-app"}),
     "impax_cluster.gateway.host", "runs none of the cluster's 2 Connectivity Managers"),
    (lambda a: a["impax_connectivity_managers"][1].update(gateway={"url": "http://x:8042", "host": "a-cm"}),
     "impax_connectivity_managers[1].gateway", "would share the DICOM gateway on a-cm"),
    (lambda a: a["impax_connectivity_managers"][1].update(gateway={"url": "http://x:8042", "host": "elsewhere"}),
     "impax_connectivity_managers[1].gateway.host", "not a node of cluster a"),
])
def test_a_broken_gateway_setting_is_named_once_at_its_field(edit, path, words):
    raw = two_cm(url="http://a-cm:8042", host="a-cm")
    edit(raw["clusters"]["a"]["vars"])
    plan = plan_estate(raw)
    found = findings(plan, "ICL109")
    assert not plan["valid"] and len(found) == 1, found
    assert found[0]["cluster"] == "a" and found[0]["field"] == path and words in found[0]["message"], found[0]
    assert "pw" not in found[0]["message"]  # a password in a URL is never repeated


def test_a_cluster_without_any_gateway_setting_is_told_its_links_are_not_verified():
    plan = plan_estate(base())
    assert plan["valid"] and plan["clusters"]["a"]["gateways"] == {}
    notes = findings(plan, "ICL109")
    assert sorted(f["cluster"] for f in notes) == ["a", "b"] and all(f["severity"] == "info" for f in notes)
    assert "not pushed to a gateway nor verified live" in notes[0]["message"]


def test_a_one_node_cluster_is_its_own_cm_gateway_and_database():
    raw = base()
    b = raw["clusters"]["b"]
    every_role = ["connectivity_manager", "application", "database", "archive", "curator"]
    b["nodes"] = [{"hostname": "b-cm", "ip": "10.2.0.10", "roles": every_role}]
    b["vars"]["impax_cluster"]["gateway"] = {"url": "http://b-cm:8042"}
    plan = plan_estate(raw)
    assert plan["valid"], rules_of(plan, "error")
    cluster = plan["clusters"]["b"]
    assert cluster["database_node"] == "b-cm" and list(cluster["gateways"]) == ["b-cm"] and cluster["nodes"] == ["b-cm"]
    assert [e["hostname"] for e in plan["hosts_table"]].count("b-cm") == 1


def test_the_five_site_test_estate_plans_a_gateway_for_every_cm_node():
    plan = inventory_plan(os.path.join(ROOT, "tests", "estates", "five_sites"))
    assert plan["valid"], [f for f in plan["findings"] if f["severity"] != "info"]
    assert not [f for f in plan["findings"] if f["severity"] == "warning"], plan["findings"]
    gateways = dict((name, sorted(c["gateways"])) for name, c in plan["clusters"].items())
    assert gateways == {"coast": ["coast-px01"], "delta": ["delta-cm01"], "isle": ["isle-cm01"],
                        "metro": ["metro-cm01", "metro-cm02"], "ridge": ["ridge-cm01"]}
    isle = plan["clusters"]["isle"]["gateways"]["isle-cm01"]
    assert isle["url"] == "https://isle-cm01:8443" and isle["ca_path"].endswith("/tls/ca.pem")
    assert plan["clusters"]["coast"]["database_node"] == "coast-px01"
    assert plan["clusters"]["ridge"]["database_node"] == "ridge-ad01"
    assert all(len(g["verify_targets"]) == 5 for c in plan["clusters"].values() for g in c["gateways"].values())
