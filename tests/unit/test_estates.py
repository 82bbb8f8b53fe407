"""Inventory-level tests: the example estate (golden plan) and every broken estate."""

import json
import os
import random

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from estate_helpers import ROOT, base, inventory_plan, inventory_raw, rules_of

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate

EXAMPLE = os.path.join(ROOT, "inventories", "example")
GOLDEN = os.path.join(ROOT, "tests", "unit", "golden", "example_plan.json")
BROKEN = os.path.join(ROOT, "tests", "estates", "broken")
with open(os.path.join(ROOT, "tests", "estates", "expected.yml")) as handle:
    EXPECTED = yaml.safe_load(handle)


def test_example_plan_matches_golden():
    plan = inventory_plan(EXAMPLE)
    assert plan["valid"], [f for f in plan["findings"] if f["severity"] == "error"]
    if os.environ.get("IMPAX_UPDATE_GOLDEN"):
        os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
        with open(GOLDEN, "w") as handle:
            json.dump(plan, handle, indent=1, sort_keys=True)
            handle.write("\n")
    with open(GOLDEN) as handle:
        assert json.loads(json.dumps(plan)) == json.load(handle)


def test_example_domain_facts():
    plan = inventory_plan(EXAMPLE)
    north = plan["clusters"]["north"]
    # every CM of every cluster in every cluster's Network Management, as HIS/RIS
    cms = [e for e in north["network_management"] if e["kind"] == "connectivity_manager"]
    assert sorted(e["ae_title"] for e in cms) == ["EIC_CM", "NGH_CM", "SVH_CM", "SVH_CM2"]
    assert all(e["station_type"] == "HIS/RIS" for e in cms)
    local_cm = [e for e in cms if e["home_cluster"] == "north"][0]
    assert not local_cm["cluster_linking"]
    east_cm = [e for e in cms if e["ae_title"] == "EIC_CM"][0]
    assert east_cm["cluster_linking"] and east_cm["link_prefetching"]
    # east narrows its own links: no cluster updates from east
    east_to_north = [e for e in plan["clusters"]["east"]["network_management"] if e["ae_title"] == "NGH_CM"][0]
    assert east_to_north["cluster_linking"] and not east_to_north["link_cluster_updates"]
    # two CT1s, told apart by Institution; remote sources keep *their* home CM
    cts = [s for s in north["sources"] if s["station_name"] == "CT1"]
    assert sorted((s["institution"], s["home_cm"], s["home_cluster"]) for s in cts) == [
        ("North General Hospital", "NGH_CM", "north"), ("South Valley Hospital", "SVH_CM", "south")]
    visitor = [s for s in north["sources"] if s["visitor"]][0]
    assert visitor["automatic_archiving"] is False
    # the same superset on every cluster, and the same hosts table for every node
    assert len(set(json.dumps(c["mappings"]["specialty"]) for c in plan["clusters"].values())) == 1
    names = [e["hostname"] for e in plan["hosts_table"]]
    for host in ("ngh-cm01", "svh-cm01", "eic-cm01", "ortho-pacs01", "svh-ct1"):
        assert host in names
    assert "svh-archive" in [a for e in plan["hosts_table"] for a in e["aliases"]]
    assert any(e["ip"] == "fd00:30::10" for e in plan["hosts_table"])


@pytest.mark.parametrize("estate", sorted(EXPECTED))
def test_broken_estate_reports_expected_rules(estate):
    plan = inventory_plan(os.path.join(BROKEN, estate))
    assert not plan["valid"]
    missing = set(EXPECTED[estate]) - set(rules_of(plan))
    assert not missing, (missing, [f["rule"] + " " + f["message"] for f in plan["findings"]])
    assert plan["clusters"] == {} and "hosts_table" not in plan
    for finding in plan["findings"]:
        if finding["rule"] not in ("ICL001", "ICL022", "ICL023", "ICL035", "ICL020", "ICL205"):
            assert finding["cluster"], finding
    files = [f["file"] for f in plan["findings"] if f["file"]]
    assert files and all(f.startswith("tests/estates/broken/%s/" % estate) for f in files), files


def test_broken_estates_cover_every_error_rule():
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import RULES
    covered = set(r for rules in EXPECTED.values() for r in rules)
    wanted = set(r for r in RULES if RULES[r][0] == "error" and r != "ICL107")
    assert wanted - covered <= {"ICL107"}, wanted - covered


def test_inventory_cluster_vars_must_agree_on_nodes():
    raw = inventory_raw(EXAMPLE)
    hostvars = {}
    for name, cluster in raw["clusters"].items():
        for node in cluster["nodes"]:
            hv = dict(cluster["vars"])
            hv.update({"impax_estate": raw["estate"], "impax_ip": node["ip"], "impax_roles": node["roles"]})
            hostvars[node["hostname"]] = hv
    hostvars["ngh-as01"] = dict(hostvars["ngh-as01"], impax_stations=[])
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate.inventory import raw_estate_from_hostvars
    plan = plan_estate(raw_estate_from_hostvars(hostvars, sorted(hostvars)))
    assert "ICL107" in rules_of(plan, "error")


class _Templating(dict):
    """hostvars as Ansible gives them: templated on access, the raw values through raw_get (pure logic fake)."""

    def __init__(self, raw_vars, render):
        super().__init__((host, _HostVars(host, hv, render)) for host, hv in raw_vars.items())
        self.raw_vars = raw_vars

    def raw_get(self, host):
        return self.raw_vars[host]


class _HostVars(dict):
    def __init__(self, host, raw, render):
        super().__init__(raw)
        self.host, self.render = host, render

    def get(self, var, default=None):
        return self.render(self.host, var, super().get(var, default))


class _Tagged(str):
    """Stands in for ansible-core's tagged str subclass."""


def test_inventory_templates_only_values_with_jinja_and_returns_plain_types():
    raw = inventory_raw(EXAMPLE)
    shared = {}
    raw_vars = {}
    for name, cluster in raw["clusters"].items():
        for node in cluster["nodes"]:
            hv = dict((k, shared.setdefault((name, k), v)) for k, v in cluster["vars"].items())  # one object per group
            hv.update({"impax_estate": raw["estate"], "impax_mapping_superset": raw["superset"], "impax_ip": node["ip"],
                       "impax_roles": node["roles"]})
            raw_vars[node["hostname"]] = hv
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate.inventory import plain, raw_estate_from_hostvars
    rendered = []

    def render(host, var, value):
        rendered.append(var)
        return value
    baseline = plan_estate(raw_estate_from_hostvars(_Templating(raw_vars, render), sorted(raw_vars)))
    assert baseline["valid"], rules_of(baseline, "error")
    assert "impax_stations" not in rendered and "impax_cluster" not in rendered, "plain values are not templated"
    # a Jinja expression in one node's copy of a cluster variable is templated, and its value compared
    hosts = sorted(raw_vars)
    north = [h for h in hosts if raw_vars[h]["impax_cluster"]["name"] == raw_vars[hosts[0]]["impax_cluster"]["name"]]
    raw_vars[north[1]] = dict(raw_vars[north[1]], impax_stations="{{ other_stations }}")

    def render_other(host, var, value):
        return [] if value == "{{ other_stations }}" else value
    plan = plan_estate(raw_estate_from_hostvars(_Templating(raw_vars, render_other), hosts))
    assert "ICL107" in rules_of(plan, "error")
    # tagged subclasses come out as the plain built-in types
    value = plain({_Tagged("a"): [_Tagged("b"), True, 3, 1.5, None]})
    assert value == {"a": ["b", True, 3, 1.5, None]}
    assert next(iter(value)).__class__ is str and value["a"][0].__class__ is str and value["a"][1].__class__ is bool


def _shuffled(raw, seed):
    rng = random.Random(seed)
    clusters = list(raw["clusters"].items())
    rng.shuffle(clusters)
    raw["clusters"] = dict(clusters)
    for cluster in raw["clusters"].values():
        rng.shuffle(cluster["nodes"])
        for key in ("impax_stations", "impax_connectivity_managers", "impax_external_destinations"):
            if cluster["vars"].get(key):
                rng.shuffle(cluster["vars"][key])
        for rows in (cluster["vars"].get("impax_mappings") or {}).values():
            rng.shuffle(rows)
    return raw


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10 ** 6))
def test_planner_is_deterministic(seed):
    raw = inventory_raw(EXAMPLE) if seed % 2 else base()
    reference = plan_estate(json.loads(json.dumps(raw)))
    again = plan_estate(_shuffled(json.loads(json.dumps(raw)), seed))

    # findings name list positions, which move with the shuffle; everything planned must not
    def strip(plan):
        return dict((k, v) for k, v in plan.items() if k != "findings")

    assert json.dumps(strip(reference), sort_keys=True) == json.dumps(strip(again), sort_keys=True)
    assert sorted((f["rule"], f["message"]) for f in reference["findings"] if "[" not in (f["field"] or "")) == \
        sorted((f["rule"], f["message"]) for f in again["findings"] if "[" not in (f["field"] or ""))
