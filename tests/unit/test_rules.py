"""Every validation rule: a violating case and a passing case (table-driven)."""

import pytest

from estate_helpers import base, rules_of, station

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate


def a(raw):
    return raw["clusters"]["a"]["vars"]


def b(raw):
    return raw["clusters"]["b"]["vars"]


def st(raw, cluster="a", index=0):
    return raw["clusters"][cluster]["vars"]["impax_stations"][index]


def add_station(raw, **kw):
    defaults = dict(name="MR9", ae="A_MR9", host="a-mr9", ip="10.1.0.99", cluster_cm="A_CM", institution="Hospital A")
    defaults.update(kw)
    a(raw)["impax_stations"].append(station(**defaults))


def set_in(path, value):
    def mutate(raw):
        target = raw
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


# (rule, description, violating mutation, passing mutation close to the boundary or None)
CASES = [
    ("ICL001", "one host name, two IPs",
     lambda r: add_station(r, name="X", ae="A_X", host="b-ct1", ip="10.9.9.9"),
     lambda r: add_station(r, name="X", ae="A_X", host="a-x", ip="10.9.9.9")),
    ("ICL002", "CM on a host that is not a node",
     lambda r: a(r)["impax_connectivity_managers"][0].update(host="elsewhere"), None),
    ("ICL003", "station host that does not resolve",
     lambda r: st(r).pop("ip"),
     lambda r: (st(r).pop("ip"), st(r).update(host="a-app"))),
    ("ICL003", "station IP differs from the node's",
     lambda r: st(r).update(host="a-app", ip="10.1.0.21"),
     lambda r: st(r).update(host="a-app", ip="10.1.0.20")),
    ("ICL006", "AE title used twice", lambda r: st(r, "b").update(ae_title="A_CT1"),
     lambda r: st(r, "b").update(ae_title="A_CT2")),
    ("ICL007", "home CM referenced with other case", lambda r: st(r).update(home_cm="a_cm"),
     lambda r: st(r).update(home_cm="A_CM")),
    ("ICL008", "AE title of 17 characters", lambda r: st(r).update(ae_title="A" * 17),
     lambda r: st(r).update(ae_title="A" * 16)),
    ("ICL008", "AE title with a backslash", lambda r: st(r).update(ae_title="A\\B"), None),
    ("ICL008", "AE title with a control character", lambda r: st(r).update(ae_title="A\tB"), None),
    ("ICL008", "AE title with a trailing space", lambda r: st(r).update(ae_title="AB "),
     lambda r: st(r).update(ae_title="A B")),
    ("ICL008", "station container of 14 characters",
     set_in(["clusters", "a", "vars", "impax_cluster", "station_containers"], ["A" * 14]),
     set_in(["clusters", "a", "vars", "impax_cluster", "station_containers"], ["A" * 13])),
    ("ICL009", "a cluster without a CM",
     lambda r: (b(r).update(impax_connectivity_managers=[]), st(r, "b").update(home_cm="B_X")), None),
    ("ICL010", "CM with another station type",
     lambda r: a(r)["impax_connectivity_managers"][0].update(station_type="PACS"), None),
    ("ICL010", "CM on a node without the connectivity_manager role",
     lambda r: a(r)["impax_connectivity_managers"][0].update(host="a-app"), None),
    ("ICL011", "the same source twice", lambda r: add_station(r, ae="A_CT1B", name="CT1", host="a-ct1", ip="10.1.0.11"),
     lambda r: add_station(r, ae="A_CT1B", name="CT2", host="a-ct2", ip="10.1.0.12")),
    ("ICL012", "source without Institution", lambda r: st(r).pop("institution"), None),
    ("ICL012", "Institution spelled two ways",
     lambda r: add_station(r, institution="HOSPITAL  A"),
     lambda r: add_station(r, institution="Hospital A")),
    ("ICL012", "same name, same Institution, only Department differs",
     lambda r: add_station(r, name="CT1", department="Cardiology"), None),
    ("ICL013", "no Accession Number",
     lambda r: st(r).update(his_verification={"study_identification": ["study_date"]}),
     lambda r: st(r).update(his_verification={"study_identification": ["accession_number", "study_date"]})),
    ("ICL013", "no Patient ID",
     lambda r: st(r).update(his_verification={"patient_identification": "patient_name"}),
     lambda r: st(r).update(his_verification={"patient_identification": "patient_id_and_name"})),
    ("ICL014", "home CM of another cluster", lambda r: st(r).update(home_cm="B_CM"), None),
    ("ICL014", "no home CM", lambda r: st(r).pop("home_cm"), None),
    ("ICL016", "visitor archived automatically", lambda r: st(r).update(visitor=True, automatic_archiving=True),
     lambda r: st(r).update(visitor=True)),
    ("ICL019", "label outside the catalog",
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%KNEE%", "rule": 300, "label": "ORTHO"}),
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%LUNG%", "rule": 300, "label": "CHEST"})),
    ("ICL019", "site catalog disagrees in meaning",
     set_in(["clusters", "a", "vars", "impax_specialty_catalog"], {"NEURO": "Nephrology"}),
     set_in(["clusters", "a", "vars", "impax_specialty_catalog"], {"NEURO": "neuroradiology"})),
    ("ICL020", "patient location tables differ and no superset",
     lambda r: (a(r)["impax_mappings"].update(patient_location=[{"pattern": "ED%", "rule": 1, "label": "ED"}]),
                b(r)["impax_mappings"].update(patient_location=[{"pattern": "ER%", "rule": 1, "label": "ED"}])),
     lambda r: (a(r)["impax_mappings"].update(patient_location=[{"pattern": "ED%", "rule": 1, "label": "ED"}]),
                b(r)["impax_mappings"].update(patient_location=[{"pattern": "ED%", "rule": 1, "label": "ED"}]))),
    ("ICL021", "one pattern, two labels across sites",
     lambda r: b(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%HEAD%", "rule": 100, "label": "CHEST"}),
     lambda r: b(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%HEAD%", "rule": 100, "label": "NEURO"})),
    ("ICL021", "one pattern twice in one table",
     lambda r: a(r)["impax_mappings"]["specialty"].append({"pattern": "%HEAD%", "rule": 50, "label": "NEURO"}), None),
    ("ICL022", "no catch-all", lambda r: [x["impax_mappings"]["specialty"].pop() for x in (a(r), b(r))], None),
    ("ICL022", "rule number shared by different labels",
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%LUNG%", "rule": 100, "label": "CHEST"}),
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%SKULL%", "rule": 100, "label": "NEURO"})),
    ("ICL023", "pattern with *",
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "*SKULL*", "rule": 90, "label": "NEURO"}),
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%SKULL%", "rule": 90, "label": "NEURO"})),
    ("ICL023", "patterns that differ only in case",
     lambda r: a(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%head%", "rule": 90, "label": "NEURO"}), None),
    ("ICL028", "sub-flag set on where cluster linking is off",
     set_in(["estate", "linking"], {"cluster_linking": False, "link_cluster_updates": True}),
     set_in(["estate", "linking"], {"cluster_linking": False})),  # off means off: the old code refused this
    ("ICL028", "sub-flag set on in the link that turns cluster linking off",
     set_in(["clusters", "a", "vars", "impax_cluster", "links"], {"b": {"cluster_linking": False,
                                                                        "link_prefetching": True}}),
     lambda r: (r["estate"].update(linking={"link_prefetching": True}),
                a(r)["impax_cluster"].update(links={"b": {"cluster_linking": False}}),
                b(r)["impax_cluster"].update(links={"a": {"cluster_linking": False}}))),
    ("ICL029", "prefetching without internal queries",
     set_in(["estate", "linking"], {"link_prefetching": True, "link_internal_queries": False}),
     set_in(["estate", "linking"], {"link_prefetching": True})),
    ("ICL029", "GPI queries without internal queries",
     lambda r: r["estate"].update(patient_identity={"gpi_source": "EMPI", "use_gpi_in_linked_queries": True},
                                  linking={"link_internal_queries": False}), None),
    ("ICL030", "external search without external queries",
     lambda r: r["estate"].update(cross_cluster_external_search=True, linking={"link_external_queries": False}),
     lambda r: r["estate"].update(cross_cluster_external_search=True)),
    ("ICL031", "updates towards another update syntax",
     set_in(["clusters", "b", "vars", "impax_cluster", "update_syntax"], "impax-6.3"),
     lambda r: (b(r)["impax_cluster"].update(update_syntax="impax-6.3"),
                a(r)["impax_cluster"].update(links={"b": {"link_cluster_updates": False}}),
                b(r)["impax_cluster"].update(links={"a": {"link_cluster_updates": False}}))),
    ("ICL032", "SON without a third-party PACS",
     lambda r: a(r)["impax_connectivity_managers"][0].update(study_observed_notifications=True), None),
    ("ICL033", "report source differs from the hub's",
     lambda r: (r["estate"].update(hub="a"), a(r)["impax_cluster"].update(default_report_source="RS_A"),
                b(r)["impax_cluster"].update(default_report_source="RS_B")),
     lambda r: (r["estate"].update(hub="a"), a(r)["impax_cluster"].update(default_report_source="RS_A"),
                b(r)["impax_cluster"].update(default_report_source="RS_A"))),
    ("ICL035", "two patient ID domains, no GPI strategy", set_in(["estate", "patient_identity"], {}),
     set_in(["estate", "patient_identity"], {"globally_unique_patient_ids": True})),
    ("ICL037", "validation level FAIL", lambda r: st(r).update(validation_level="FAIL"),
     lambda r: st(r).update(validation_level="WARN")),
    ("ICL006", "kept by hand but also a station of the estate",
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"network_management": ["B_CT1"]}),
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"network_management": ["A_RESEARCH"]})),
    ("ICL006", "kept in the gateway but also a CM of another cluster",
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"dicom": ["B_CM"]}),
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"dicom": ["A_CM"]})),  # its own CM: not registered there
    ("ICL008", "kept AE title of 17 characters",
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"sources": ["R" * 17]}),
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"sources": ["R" * 16]})),
    ("ICL105", "kept twice",
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"sources": ["A_RES", "A_RES"]}),
     set_in(["clusters", "a", "vars", "impax_cluster", "keep"], {"sources": ["A_RES", "A_RES2"]})),
    ("ICL101", "negative max_deletions", set_in(["clusters", "a", "vars", "impax_cluster", "max_deletions"], -1),
     set_in(["clusters", "a", "vars", "impax_cluster", "max_deletions"], 0)),
    ("ICL101", "negative estate max_deletions", set_in(["estate", "max_deletions"], -5),
     set_in(["estate", "max_deletions"], 0)),
    ("ICL039", "cc objects without IDC", set_in(["clusters", "a", "vars", "impax_cluster", "cc_objects"], True),
     lambda r: a(r)["impax_cluster"].update(cc_objects=True, archives_to_idc=True)),
    ("ICL101", "unknown field", lambda r: st(r).update(colour="blue"), None),
    ("ICL101", "mistyped port", lambda r: st(r).update(port="one-o-four"), lambda r: st(r).update(port="104")),
    ("ICL101", "cluster name differs from its group", set_in(["clusters", "a", "vars", "impax_cluster", "name"], "z"), None),
    ("ICL102", "host name with whitespace", lambda r: st(r).update(host="a ct1"), None),
    ("ICL102", "host name with #", lambda r: st(r).update(host="a#ct1"), None),
    ("ICL102", "host name label starting with hyphen", lambda r: st(r).update(host="-act1"),
     lambda r: st(r).update(host="a-ct1.example.org")),
    ("ICL103", "bad IP", lambda r: st(r).update(ip="10.1.0.300"), lambda r: st(r).update(ip="fd00::11")),
    ("ICL104", "port 0", lambda r: st(r).update(port=0), lambda r: st(r).update(port=65535)),
    ("ICL105", "the same mapping row twice",
     lambda r: a(r)["impax_mappings"]["specialty"].append({"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}), None),
    ("ICL106", "home CM that does not exist", lambda r: st(r).update(home_cm="NOPE"), None),
    ("ICL106", "link to an unknown cluster",
     set_in(["clusters", "a", "vars", "impax_cluster", "links"], {"zz": {"link_prefetching": False}}),
     set_in(["clusters", "a", "vars", "impax_cluster", "links"], {"b": {"link_prefetching": False}})),
    ("ICL201", "sample the site's own table mislabels",
     lambda r: a(r)["impax_mapping_samples"]["specialty"].append({"description": "MR KNEE", "label": "NEURO"}), None),
    ("ICL202", "foreign row changes a local sample's label",
     lambda r: b(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%CT%", "rule": 50, "label": "CHEST"}),
     lambda r: b(r)["impax_mappings"]["specialty"].insert(0, {"pattern": "%CT%", "rule": 500, "label": "CHEST"})),
    ("ICL203", "foreign row can overtake a local row",
     lambda r: None,
     lambda r: b(r)["impax_mappings"]["specialty"][0].update(pattern="XR CHEST")),
]


@pytest.mark.parametrize("rule,what,violate,passing", CASES, ids=["%s-%s" % (c[0], c[1]) for c in CASES])
def test_rule(rule, what, violate, passing):
    raw = base()
    violate(raw)
    plan = plan_estate(raw)
    assert rule in rules_of(plan), "%s not reported for %r: %s" % (rule, what, plan["findings"])
    hit = [f for f in plan["findings"] if f["rule"] == rule]
    assert all(f["message"] for f in hit)
    # the passing case: a near miss where one is given, otherwise the valid base estate
    raw = base()
    if passing is not None:
        passing(raw)
    plan = plan_estate(raw)
    assert rule not in rules_of(plan), [f for f in plan["findings"] if f["rule"] == rule]


def test_base_estate_is_valid():
    plan = plan_estate(base())
    assert plan["valid"], plan["findings"]
    assert rules_of(plan, "error") == []


def test_every_error_is_reported_in_one_run():
    raw = base()
    st(raw).update(ae_title="A" * 17, port=0, host="bad host")
    st(raw, "b").update(home_cm="A_CM")
    plan = plan_estate(raw)
    assert {"ICL008", "ICL104", "ICL102", "ICL014"} <= set(rules_of(plan, "error"))
    assert not plan["valid"] and "clusters" in plan and plan["clusters"] == {}


def test_findings_name_cluster_file_and_field():
    raw = base()
    st(raw).update(ae_title="B_CT1")
    plan = plan_estate(raw)
    found = [f for f in plan["findings"] if f["rule"] == "ICL006"]
    assert found[0]["cluster"] in ("a", "b")
    finding = [f for f in found if f["cluster"] == "a"] or found
    a_finding = [f for f in plan["findings"] if f["rule"] == "ICL006" and f["field"] == "impax_stations[0].ae_title"]
    assert a_finding, found
    assert any(f["file"] == "group_vars/a/stations.yml" for f in a_finding) or finding


def test_strict_turns_warnings_into_errors():
    raw = base()
    st(raw).update(validation_level="FAIL")
    assert plan_estate(raw)["valid"]
    assert not plan_estate(raw, strict=True)["valid"]
    raw["estate"]["strict"] = True
    assert not plan_estate(raw)["valid"]


def test_keep_and_max_deletions_reach_the_plan():
    raw = base()
    raw["estate"]["max_deletions"] = 30
    a(raw)["impax_cluster"].update(keep={"network_management": ["A_RES", "A_LAB"], "dicom": ["research-ws"]},
                                   max_deletions=0)
    b(raw)["impax_cluster"].update(keep={"sources": ["B_RES"]})
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]
    assert plan["clusters"]["a"]["keep"] == {"network_management": ["A_LAB", "A_RES"], "sources": [], "dicom": ["research-ws"]}
    assert plan["clusters"]["a"]["max_deletions"] == 0  # the cluster's own limit, 0 included, before the estate's
    assert plan["clusters"]["b"]["keep"] == {"network_management": [], "sources": ["B_RES"], "dicom": []}
    assert plan["clusters"]["b"]["max_deletions"] == 30
    raw = base()
    assert [plan_estate(raw)["clusters"][c]["max_deletions"] for c in ("a", "b")] == [None, None]


def test_the_same_ae_title_kept_in_two_clusters_is_a_warning_naming_both():
    raw = base()
    a(raw)["impax_cluster"]["keep"] = {"network_management": ["RESEARCH"]}
    b(raw)["impax_cluster"]["keep"] = {"sources": ["RESEARCH"]}
    plan = plan_estate(raw)
    assert plan["valid"]
    found = [f for f in plan["findings"] if f["rule"] == "ICL006"]
    assert len(found) == 1 and found[0]["severity"] == "warning" and "clusters a, b" in found[0]["message"], found


def test_a_kept_conflict_names_cluster_file_and_field():
    raw = base()
    a(raw)["impax_cluster"]["keep"] = {"sources": ["A_OK", "B_CT1"]}
    raw["origins"]["a"]["impax_cluster"] = "group_vars/a/cluster.yml"
    plan = plan_estate(raw)
    found = [f for f in plan["findings"] if f["rule"] == "ICL006"]
    assert len(found) == 1 and not plan["valid"], found
    assert found[0]["cluster"] == "a" and found[0]["field"] == "impax_cluster.keep.sources[1]"
    assert found[0]["file"] == "group_vars/a/cluster.yml" and "cluster b" in found[0]["message"], found[0]
