"""KB 10665 as the contract (issue 25): each test holds a case the code before it got wrong."""

import pytest

from estate_helpers import base, rules_of, station

from ansible_collections.impax.cluster_link.plugins.action.estate_plan import summary_lines
from ansible_collections.impax.cluster_link.plugins.module_utils.estate import mapping
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.synthesis import synthesize
from ansible_collections.impax.cluster_link.plugins.module_utils.reconcile import plan as reconcile_plan
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import NETWORK_MANAGEMENT, linking_changed


def a(raw):
    return raw["clusters"]["a"]["vars"]


def b(raw):
    return raw["clusters"]["b"]["vars"]


def three_clusters():
    """The base estate plus cluster c, so a source can be archived in one other cluster and a Visitor in another."""
    raw = base()
    raw["clusters"]["c"] = {"vars": {
        "impax_cluster": {"name": "c"},
        "impax_connectivity_managers": [{"station_name": "C_CM", "host": "c-cm", "ae_title": "C_CM"}],
        "impax_stations": [station("CT1", "C_CT1", "c-ct1", "10.3.0.11", "C_CM", "Hospital C")],
    }, "nodes": [{"hostname": "c-cm", "ip": "10.3.0.10", "roles": ["connectivity_manager"]}]}
    return raw


def entry(plan, cluster, ae_title):
    return next(s for s in plan["clusters"][cluster]["sources"] if s["ae_title"] == ae_title)


def findings(plan, rule):
    return [f for f in plan["findings"] if f["rule"] == rule]


# -- 1. Visitors are per cluster ---------------------------------------------------------------------------------
def test_a_remote_source_is_a_visitor_and_archives_only_at_home():
    plan = plan_estate(base())
    assert plan["valid"], plan["findings"]
    home, away = entry(plan, "a", "A_CT1"), entry(plan, "b", "A_CT1")
    assert (home["automatic_archiving"], home["visitor"]) == (True, False)
    # before: every cluster archived every other cluster's studies (automatic_archiving true everywhere)
    assert (away["automatic_archiving"], away["visitor"]) == (False, True)
    assert away["home_cm"] == "A_CM" and away["home_cluster"] == "a"  # still verified against its own home CM


def test_archive_in_archives_a_source_in_the_named_clusters_only():
    raw = three_clusters()
    a(raw)["impax_stations"][0]["archive_in"] = ["c"]
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]
    assert [entry(plan, c, "A_CT1")["automatic_archiving"] for c in ("a", "b", "c")] == [True, False, True]
    assert [entry(plan, c, "A_CT1")["visitor"] for c in ("a", "b", "c")] == [False, True, False]
    assert entry(plan, "b", "A_CT1")["archive_in"] == ["c"]  # shown in the plan
    line = next(x for x in summary_lines(plan) if x.startswith("cluster c:"))
    assert "3 sources (1 local, 2 remote; 2 archive here, 1 Visitors)" in line, line


def test_a_visitor_is_archived_nowhere_home_included():
    raw = three_clusters()
    a(raw)["impax_stations"][0]["visitor"] = True
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]
    assert [entry(plan, c, "A_CT1")["automatic_archiving"] for c in ("a", "b", "c")] == [False, False, False]
    assert all(entry(plan, c, "A_CT1")["visitor"] for c in ("a", "b", "c"))


@pytest.mark.parametrize("change,rule,words", [
    (dict(visitor=True, archive_in=["b"]), "ICL016", "is a visitor"),
    (dict(archive_in=["a"]), "ICL016", "its home cluster"),
    (dict(archive_in=["zz"]), "ICL106", "not a cluster"),
    (dict(archive_in=["b", "b"]), "ICL105", "twice"),
])
def test_archive_in_is_validated_at_its_field(change, rule, words):
    raw = base()
    raw["origins"]["a"]["impax_stations"] = "group_vars/a/stations.yml"
    a(raw)["impax_stations"][0].update(change)
    plan = plan_estate(raw)
    hit = findings(plan, rule)
    assert not plan["valid"] and len(hit) == 1 and words in hit[0]["message"], plan["findings"]
    assert hit[0]["cluster"] == "a" and hit[0]["file"] == "group_vars/a/stations.yml"
    assert hit[0]["field"].startswith("impax_stations[0].archive_in[")


# -- 2. The superset follows the estate's prefetch intent -------------------------------------------------------
def test_tables_the_estate_prefetches_by_become_one_superset_by_default():
    plan = plan_estate(base())
    assert sorted(plan["mappings"]) == ["specialty"]
    assert plan["clusters"]["a"]["mappings"]["specialty"] == plan["clusters"]["b"]["mappings"]["specialty"]


def test_a_table_not_prefetched_by_stays_each_clusters_own_and_needs_no_catalog():
    raw = base()
    raw["estate"]["prefetch_and_route_by"] = ["body_part"]
    del raw["estate"]["specialty_catalog"]
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]
    assert "specialty" not in plan["mappings"]  # before: the union was always built
    own_a = [r["pattern"] for r in plan["clusters"]["a"]["mappings"]["specialty"]]
    own_b = [r["pattern"] for r in plan["clusters"]["b"]["mappings"]["specialty"]]
    assert own_a == ["%HEAD%", "%"] and own_b == ["%CHEST%", "%"]
    info = findings(plan, "ICL020")
    assert len(info) == 1 and info[0]["severity"] == "info" and "specialty" in info[0]["message"]
    assert "ICL019" not in rules_of(plan)  # before: an error without a catalog
    assert "own" in next(x for x in summary_lines(plan) if x.startswith("cluster a:"))


def test_a_missing_catalog_is_an_error_where_specialty_is_prefetched_by():
    raw = base()
    del raw["estate"]["specialty_catalog"]
    plan = plan_estate(raw)
    assert not plan["valid"] and "ICL019" in rules_of(plan, "error")


def test_an_own_table_is_still_checked_for_a_pattern_given_twice():
    raw = base()
    raw["estate"]["prefetch_and_route_by"] = []
    a(raw)["impax_mappings"]["specialty"].append({"pattern": "%HEAD%", "rule": 5, "label": "CHEST"})
    plan = plan_estate(raw)
    assert not plan["valid"] and [f["cluster"] for f in findings(plan, "ICL021")] == ["a"]


# -- 3. Cluster Linking off means off ---------------------------------------------------------------------------
def test_cluster_linking_off_towards_one_cluster_turns_its_sub_flags_off():
    raw = base()
    a(raw)["impax_cluster"]["links"] = {"b": {"cluster_linking": False}}
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]  # before: ICL028, the sub-flags kept their defaults
    assert not any(plan["clusters"]["a"]["links"]["b"].values())
    b_cm = next(e for e in plan["clusters"]["a"]["network_management"] if e["ae_title"] == "B_CM")
    assert not any(b_cm[f] for f in ("cluster_linking", "link_internal_queries", "link_external_queries",
                                     "link_cluster_updates", "link_prefetching"))
    assert plan["clusters"]["b"]["links"]["a"]["cluster_linking"]
    warning = findings(plan, "ICL028")
    assert len(warning) == 1 and warning[0]["severity"] == "warning" and warning[0]["cluster"] == "a"
    assert "on from b to a" in warning[0]["message"] and "off from a to b" in warning[0]["message"]


def test_a_sub_flag_set_on_where_linking_is_off_stays_an_error_naming_it():
    raw = base()
    a(raw)["impax_cluster"]["links"] = {"b": {"cluster_linking": False, "link_cluster_updates": True}}
    plan = plan_estate(raw)
    errors = [f for f in findings(plan, "ICL028") if f["severity"] == "error"]
    assert len(errors) == 1 and "link_cluster_updates" in errors[0]["message"]
    assert errors[0]["field"] == "impax_cluster.links.b"


def test_sub_flags_of_a_less_specific_layer_follow_the_switch():
    raw = base()
    raw["estate"]["linking"] = {"link_prefetching": True}
    for cluster, other in ((a(raw), "b"), (b(raw), "a")):
        cluster["impax_cluster"]["linking"] = {"cluster_linking": False}
    plan = plan_estate(raw)
    assert plan["valid"] and "ICL028" not in rules_of(plan), plan["findings"]
    assert not any(plan["clusters"]["a"]["links"]["b"].values())


def test_an_external_destination_with_linking_off_is_valid():
    raw = base()
    a(raw)["impax_external_destinations"] = [{"station_name": "ARCHIVE", "ae_title": "A_ARCH", "host": "a-arch",
                                              "ip": "10.1.0.50", "linking": {"cluster_linking": False}}]
    plan = plan_estate(raw)
    assert plan["valid"] and "ICL028" not in rules_of(plan), plan["findings"]


# -- 4. No site's meaning changes without a finding -------------------------------------------------------------
def body_parts(raw, site, rows):
    raw["clusters"][site]["vars"]["impax_mappings"]["body_part"] = [
        {"pattern": p, "rule": n, "label": label} for p, n, label in rows]


def test_a_sites_own_row_renumbered_by_the_union_is_a_proven_finding():
    raw = base()
    body_parts(raw, "a", [("%HEAD%", 100, "NEURO"), ("%", 1000000, "DEFAULT")])
    body_parts(raw, "b", [("%CT%", 150, "ABDO"), ("%HEAD%", 400, "NEURO"), ("%", 1000000, "DEFAULT")])
    plan = plan_estate(raw)
    hit = [f for f in findings(plan, "ICL203") if f["data"]["table"] == "body_part"]
    # before: only ICL022 (different rule numbers); the shared %HEAD% row was skipped
    assert len(hit) == 1 and hit[0]["cluster"] == "b" and hit[0]["data"]["cause"] == "renumbered", plan["findings"]
    assert "renumbered from rule 400" in hit[0]["message"]
    example = hit[0]["data"]["example"]
    own = [{"pattern": "%CT%", "rule": 150, "label": "ABDO"}, {"pattern": "%HEAD%", "rule": 400, "label": "NEURO"}]
    assert mapping.evaluate(own, [example]) == ["ABDO"]
    assert mapping.evaluate(plan["mappings"]["body_part"], [example]) == ["NEURO"]


def test_no_finding_where_the_renumbering_changes_no_label():
    raw = base()
    body_parts(raw, "a", [("%HEAD%", 100, "NEURO"), ("%", 1000000, "DEFAULT")])
    body_parts(raw, "b", [("%CT%", 150, "NEURO"), ("%HEAD%", 400, "NEURO"), ("%", 1000000, "DEFAULT")])
    plan = plan_estate(raw)
    assert not [f for f in findings(plan, "ICL203") if f["data"]["table"] == "body_part"]


# -- 5. The reset follows every linking-relevant change (resources.linking_changed) ------------------------------
def nm(ae, host="h1", port=104, linked=True):
    return {"ae_title": ae, "station_name": ae, "host": host, "port": port, "station_type": "HIS/RIS",
            "cluster_linking": linked, "link_internal_queries": linked}


@pytest.mark.parametrize("have,want,expected", [
    ([nm("B_CM")], [nm("B_CM", host="h2")], True),     # before: a linked CM's new host did not reset
    ([nm("B_CM")], [nm("B_CM", port=1104)], True),     # nor its new port
    ([nm("B_CM")], [dict(nm("B_CM"), link_internal_queries=False)], True),
    ([], [nm("B_CM")], True),
    ([nm("CT", linked=False)], [nm("CT", host="h2", linked=False)], False),  # not linked: nothing to reset
    ([nm("B_CM")], [dict(nm("B_CM"), station_name="renamed")], False),
])
def test_linking_changed(have, want, expected):
    ops = reconcile_plan(NETWORK_MANAGEMENT, want, have, "merged")
    assert ops and linking_changed(ops) is expected


def test_a_linked_entry_deleted_resets():
    ops = reconcile_plan(NETWORK_MANAGEMENT, [nm("A_CM")], [nm("A_CM"), nm("B_CM")], "overridden")
    assert [op.action for op in ops] == ["delete"] and linking_changed(ops)


# -- 6. Refuse only what the KB rules out ------------------------------------------------------------------------
def test_same_name_in_one_hospital_told_apart_by_department_is_a_warning():
    raw = base()
    a(raw)["impax_stations"].append(station("CT1", "A_CT1C", "a-ct1c", "10.1.0.12", "A_CM", "Hospital A",
                                            department="Cardiology"))
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]  # before: an ICL012 error
    hit = findings(plan, "ICL012")
    assert len(hit) == 1 and hit[0]["severity"] == "warning" and "Cardiology" in hit[0]["message"]


def specialty(raw, rows, samples):
    a(raw)["impax_mappings"]["specialty"] = [{"pattern": p, "rule": n, "label": label} for p, n, label in rows]
    a(raw)["impax_mapping_samples"]["specialty"] = [{"description": d, "label": label} for d, label in samples]


def test_an_underscore_that_changes_a_samples_label_is_a_warning_with_the_example():
    raw = base()
    specialty(raw, [("%CT_HEAD%", 10, "NEURO"), ("%", 1000000, "BODY")], [("CT HEAD", "BODY")])
    plan = plan_estate(raw)
    hit = findings(plan, "ICL023")
    assert len(hit) == 1 and hit[0]["severity"] == "warning" and hit[0]["cluster"] == "a", plan["findings"]
    assert hit[0]["data"] == {"table": "specialty", "pattern": "%CT_HEAD%", "description": "CT HEAD",
                              "literal_label": "BODY", "wildcard_label": "NEURO"}


def test_an_underscore_both_readings_agree_on_is_not_a_finding():
    raw = base()
    specialty(raw, [("%CT_HEAD%", 10, "NEURO"), ("%", 1000000, "BODY")], [("CT_HEAD", "NEURO")])
    plan = plan_estate(raw)
    assert "ICL023" not in rules_of(plan), findings(plan, "ICL023")  # before: any '_' was a warning


def test_like_match_reads_underscore_as_one_character():
    assert mapping.like_match("%CT_HEAD%", "CT HEAD") and mapping.like_match("%CT_HEAD%", "xCT_HEADy")
    assert not mapping.like_match("%CT_HEAD%", "CTHEAD") and not mapping.like_match("A_", "A")
    assert mapping.like_match("%%_%", "x") and not mapping.like_match("%_%", "")
    assert mapping.like_match("%" * 200 + "_" + "%" * 200, "y" * 5000)  # no backtracking blow-up


def test_synthesis_reports_underscore_readings_of_the_corpus():
    tables = {"a": [{"pattern": "%CT_HEAD%", "rule": 10, "label": "NEURO"}, {"pattern": "%", "rule": 1000000, "label": "BODY"}],
              "b": [{"pattern": "%CHEST%", "rule": 20, "label": "CHEST"}, {"pattern": "%", "rule": 1000000, "label": "BODY"}]}
    result = synthesize("specialty", tables, {"a": {"CT HEAD W/O": (0, 120)}, "b": {"XR CHEST": (0, 50)}})
    assert result["underscore_readings"] == [{"site": "a", "pattern": "%CT_HEAD%", "description": "CT HEAD W/O",
                                              "literal_label": "BODY", "wildcard_label": "NEURO"}]


def test_archive_in_a_cluster_leaving_the_estate_is_dropped_with_a_note():
    raw = three_clusters()
    a(raw)["impax_stations"][0]["archive_in"] = ["c"]
    raw["clusters"]["c"]["vars"]["impax_stations"][0]["archive_in"] = ["a"]
    raw["clusters"]["c"]["vars"]["impax_cluster"]["membership"] = "leaving"
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]
    notes = sorted((f["cluster"], f["field"]) for f in findings(plan, "ICL108"))
    assert notes == [("a", "impax_stations[0].archive_in"), ("c", "impax_stations[0].archive_in")]
    assert all(f["severity"] == "info" for f in findings(plan, "ICL108"))
    assert entry(plan, "a", "A_CT1")["archive_in"] == [] and "A_CT1" not in [
        s["ae_title"] for s in plan["clusters"]["c"]["sources"]]
    assert entry(plan, "c", "C_CT1")["automatic_archiving"] and entry(plan, "c", "C_CT1")["archive_in"] == []


# -- hostile values of the new fields: refused at the field, nothing planned -------------------------------------
@pytest.mark.parametrize("where,value,rule", [
    ("archive_in", True, "ICL101"),                      # YAML yes: not a list
    ("archive_in", "{{ lookup('pipe', 'id') }}", "ICL101"),  # text, not a list (and never rendered)
    ("archive_in", ["x" * 100000], "ICL106"),            # huge value
    ("archive_in", {"b": 1}, "ICL101"),                  # wrong type
    ("archive_inn", ["b"], "ICL101"),                    # typo
    ("prefetch_and_route_by", ["bodypart"], "ICL101"),   # typo in a value
    ("prefetch_and_route_by", {"specialty": True}, "ICL101"),
    ("prefetch_and_route_by", 1, "ICL101"),
])
def test_hostile_values_of_the_new_fields_are_refused_at_their_field(where, value, rule):
    raw = base()
    if where.startswith("prefetch"):
        raw["estate"][where] = value
    else:
        a(raw)["impax_stations"][0][where] = value
    plan = plan_estate(raw)
    assert not plan["valid"] and plan["clusters"] == {}, plan["findings"]
    hit = findings(plan, rule)
    assert hit and all(len(f["message"]) < 2000 for f in hit), plan["findings"]
    assert (hit[0]["field"] or "").startswith("impax_estate" if where.startswith("prefetch") else "impax_stations[0]")
