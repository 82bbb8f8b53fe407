"""Drift reports from module results (pure logic: statuses, objects and fields, the picture's source)."""

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import drift


def nm_result(changed=True):
    return {"changed": changed, "commands": [{"op": "update", "key": "HBR_CM", "fields": {"link_prefetching": [False, True]}}]
            if changed else []}


def hosts_result():
    return {"changed": True,
            "before": [{"hostname": "a-cm", "ip": "10.0.0.250", "aliases": []}, {"hostname": "old", "ip": "10.0.0.9", "aliases": []}],
            "after": [{"hostname": "a-cm", "ip": "10.0.0.1", "aliases": []}, {"hostname": "new", "ip": "10.0.0.2", "aliases": []}]}


PLAN = {"estate": "unit", "clusters": {
    "a": {"connectivity_managers": ["A_CM"], "links": {"b": {"cluster_linking": True, "link_prefetching": True}}},
    "b": {"connectivity_managers": ["B_CM"], "links": {"a": {"cluster_linking": True}}}}}


def test_statuses_objects_and_fields():
    results = {"a": {"hosts": [("a-cm", hosts_result()), ("a-db", {"changed": False})],
                     "network_management": [("a-db", nm_result())],
                     "dicom": [("a-cm", {"changed": True, "modalities": {"commands": [{"op": "create", "key": "X", "values": {"name": "X"}}]},
                                         "peers": {"commands": []}, "commands": [{"method": "PUT"}]})]},
               "b": {"hosts": [("b-cm", {"unreachable": True, "msg": "ssh: no route"})],
                     "sources": [("b-db", {"failed": True, "msg": "database is down"})]}}
    decisions = {"a": {"correct": {"hosts": True, "network_management": False, "dicom": False}, "policy": {"hosts": "auto"}},
                 "b": {"correct": {}}}
    report = drift.build(PLAN["clusters"], results, decisions, False, "unit", "2026-11-28T00:00:00+00:00")
    a = report["clusters"]["a"]["resources"]
    assert a["hosts"]["status"] == "corrected" and a["hosts"]["policy"] == "auto"
    assert a["hosts"]["targets"][0]["objects"] == [
        {"key": "a-cm", "op": "update", "fields": {"ip": {"before": "10.0.0.250", "after": "10.0.0.1"}}},
        {"key": "new", "op": "create", "values": {"hostname": "new", "ip": "10.0.0.2", "aliases": []}},
        {"key": "old", "op": "delete", "values": {"hostname": "old", "ip": "10.0.0.9", "aliases": []}}]
    assert a["hosts"]["targets"][1]["status"] == "in_sync"
    assert a["network_management"]["status"] == "drift"
    assert a["network_management"]["targets"][0]["objects"] == [
        {"key": "HBR_CM", "op": "update", "fields": {"link_prefetching": {"before": False, "after": True}}}]
    assert a["dicom"]["targets"][0]["objects"] == [{"key": "modality X", "op": "create", "values": {"name": "X"}}]
    b = report["clusters"]["b"]
    assert b["resources"]["hosts"]["status"] == "unreachable" and b["resources"]["sources"]["status"] == "error"
    assert b["resources"]["sources"]["targets"][0]["message"] == "database is down"
    assert b["status"] == "unreachable" and report["status"] == "unreachable" and report["exit_status"] == 3
    assert report["counts"]["drift"] == 2 and report["counts"]["corrected"] == 1
    # the same results in --check: nothing counts as corrected
    checked = drift.build(PLAN["clusters"], results, decisions, True, "unit", "now")
    assert checked["clusters"]["a"]["resources"]["hosts"]["status"] == "drift"
    assert drift.resource_status(None, False)[0] == "error"
    down = {"failed": True, "msg": "cannot reach http://valley-cm01:8042: [Errno 111] Connection refused",
            "service_unreachable": True}
    assert drift.resource_status(down, False) == ("unreachable", [], down["msg"])
    # the modules' flag decides, not the wording: a refusal that mentions reaching something is an error
    refused = {"failed": True, "msg": "PUT /modalities/X refused (400): cannot reach the host", "service_unreachable": False}
    assert drift.resource_status(refused, False)[0] == "error"


def test_exit_statuses_are_the_documented_ones():
    assert drift.EXIT_STATUS == {"in_sync": 0, "corrected": 0, "drift": 2, "unreachable": 3, "error": 1}
    in_sync = drift.build(PLAN["clusters"], {"a": {"hosts": [("a-cm", {"changed": False})]}}, {}, False, "unit", "now")
    assert in_sync["status"] == "in_sync" and in_sync["exit_status"] == 0


def test_picture_and_documents_name_every_cluster_link_and_change():
    results = {"a": {"network_management": [("a-db", nm_result())]}, "b": {"hosts": [("b-cm", {"changed": False})]}}
    report = drift.build(PLAN["clusters"], results, {}, False, "unit", "now")
    dot = drift.estate_dot(report, PLAN)
    assert 'subgraph "cluster_a"' in dot and 'label="a (drift)"' in dot and 'label="b (in sync)"' in dot
    assert 'label="a->b LP\\nb->a L"' in dot and "dir=both" in dot
    assert drift.COLOURS["drift"] in dot
    md = drift.markdown(report)
    assert "| a | network_management | drift |" in md and "update `HBR_CM` link_prefetching: false -> true" in md
    page = drift.html_page(report, "<svg><text>a</text></svg>")
    assert "<svg><text>a</text></svg>" in page and "link_prefetching: false -&gt; true" in page
    assert "Graphviz" in drift.html_page(report, None)


def test_a_change_beyond_the_deletion_limit_is_named_before_the_rollout_refuses_it():
    deletes = {"changed": True, "commands": [{"op": "delete", "key": "A_OLD%d" % i} for i in range(3)]
               + [{"op": "create", "key": "A_NEW", "values": {"ae_title": "A_NEW"}}]}
    clusters = {"a": dict(PLAN["clusters"]["a"], max_deletions=0), "b": dict(PLAN["clusters"]["b"], max_deletions=3)}
    results = {"a": {"sources": [("a-db", deletes)], "hosts": [("a-cm", hosts_result())]},
               "b": {"sources": [("b-db", deletes)]}}
    report = drift.build(clusters, results, {}, True, "unit", "now", kind="plan")
    target = report["clusters"]["a"]["resources"]["sources"]["targets"][0]
    assert target["status"] == "drift" and len(target["objects"]) == 4
    assert target["message"].startswith("3 deletions, more than max_deletions=0") and "impax_max_deletions=3" in target["message"]
    assert report["clusters"]["b"]["resources"]["sources"]["targets"][0]["message"] == "", "3 is within a limit of 3"
    # the hosts block has the limit too (issue #33: every resource is guarded before the first write)
    assert report["clusters"]["a"]["resources"]["hosts"]["targets"][0]["message"].startswith(
        "1 deletion, more than max_deletions=0")
    assert "3 deletions, more than max_deletions=0" in drift.markdown(report)

    overridden = drift.build(clusters, results, {}, True, "unit", "now", kind="plan", max_deletions=3)
    assert overridden["clusters"]["a"]["resources"]["sources"]["targets"][0]["message"] == "", "the run's limit wins"
    assert drift.build(clusters, results, {}, True, "unit", "now", max_deletions=1)["clusters"]["b"]["resources"][
        "sources"]["targets"][0]["message"].startswith("3 deletions, more than max_deletions=1")


def test_mapping_tables_result_read_per_table():
    """The mappings role registers one config_database result with its mappings part: drift reports each table as its own resource and
    the rollout summary names each; a failed call is one failed resource, never tables that look in sync."""
    from ansible_collections.impax.cluster_link.plugins.action import drift_report, rollout_summary

    class HostVars(dict):
        def raw_get(self, host):
            return self[host]

    table_result = {"changed": True, "commands": [{"op": "create", "key": "%NEW%"}, {"op": "delete", "key": "%OLD%"}]}
    result = {"changed": True, "tables": {"specialty": table_result, "body_part": {"changed": False, "commands": []}}}
    plan = {"clusters": {"a": {"nodes": ["a-db"], "database_node": "a-db"}}}
    collected = drift_report.collect(plan, HostVars({"a-db": {"mappings_result": {"changed": True, "mappings": result}}}))["a"]
    assert collected["mappings.specialty"] == [("a-db", table_result)]
    assert collected["mappings.body_part"][0][1]["commands"] == [] and "mappings" not in collected
    assert rollout_summary._changes(result) == (True, "body_part in sync; specialty 1 create, 1 delete")

    failed = {"failed": True, "msg": "config_database: cannot connect to the sqlite database", "tables": {"body_part": {}}}
    collected = drift_report.collect(plan, HostVars({"a-db": {"mappings_result": failed}}))["a"]
    assert collected["mappings"] == [("a-db", failed)] and "mappings.body_part" not in collected
    assert rollout_summary._changes(failed)[0] is None and "FAILED" in rollout_summary._changes(failed)[1]


def test_the_rollout_summary_reads_each_part_of_the_config_database_result():
    """link_clusters.yml registers one config_database result per cluster: the summary reads each resource from
    its part; a failed call (nothing written) is a failure of every resource, a part the call did not have is
    'not run'."""
    from ansible_collections.impax.cluster_link.plugins.action import rollout_summary
    from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ROLLOUT_REGISTERED, registered

    class HostVars(dict):
        def raw_get(self, host):
            return self[host]

    nm = {"changed": True, "linking_changed": True, "commands": [{"op": "update", "key": "VLY_CM"}]}
    mappings = {"changed": False, "tables": {"specialty": {"changed": False, "commands": []}}}
    hostvars = HostVars({"a-db": {"config_database_result": {"changed": True, "network_management": nm,
                                                             "mappings": mappings}}})
    assert registered(hostvars, "a-db", ROLLOUT_REGISTERED["network_management"]) == nm
    assert registered(hostvars, "a-db", ROLLOUT_REGISTERED["mappings"]) == mappings
    assert registered(hostvars, "a-db", ROLLOUT_REGISTERED["sources"]) is None  # not in this call
    assert rollout_summary._changes(registered(hostvars, "a-db", ROLLOUT_REGISTERED["network_management"])) == (
        True, "1 update")
    assert rollout_summary._changes(None) == (None, "not run")

    failed = {"failed": True, "msg": "sources: 3 deletions, more than max_deletions=0; nothing was written to any table"}
    hostvars = HostVars({"a-db": {"config_database_result": failed}})
    for resource in ("network_management", "sources", "mappings"):
        assert registered(hostvars, "a-db", ROLLOUT_REGISTERED[resource]) == failed
        assert rollout_summary._changes(failed) == (None, "FAILED: " + failed["msg"][:160])


def test_the_report_shows_each_gateways_planned_permissions():
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate import drift
    permissions = {"store": {"ae_titles": ["VLY_CM"], "modalities": 3}, "query": {"ae_titles": ["VLY_CM"], "modalities": 0},
                   "echo_only": {"ae_titles": ["OLD_PACS"], "modalities": 0}}
    index = {"harbor": {"nodes": [], "gateway_permissions": permissions}}
    report = drift.build(index, {"harbor": {}}, {}, True, "lab", "now")
    assert report["clusters"]["harbor"]["permissions"] == permissions
    assert drift.permission_rows(report) == [("harbor", "store", "VLY_CM, 3 modalities"),
                                             ("harbor", "query (C-FIND)", "VLY_CM"), ("harbor", "echo only", "OLD_PACS")]
    assert "| harbor | store | VLY_CM, 3 modalities |" in drift.markdown(report)
    assert "<td>echo only</td><td>OLD_PACS</td>" in drift.html_page(report, None)


def test_drift_a_correcting_run_leaves_says_which_policy_held_it_back():
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate.windows import decide, parse_now
    clusters = {"a": dict(PLAN["clusters"]["a"], drift_policy={"sources": "report"}),
                "b": dict(PLAN["clusters"]["b"], drift_policy={"sources": "auto"})}
    decisions = decide(clusters, parse_now("2026-11-24T10:00:00+01:00"), correct=True)
    changed = {"changed": True, "commands": [{"op": "create", "key": "A_NEW", "values": {"ae_title": "A_NEW"}}]}
    results = {"a": {"sources": [("a-db", changed)]}, "b": {"sources": [("b-db", changed)]}}
    report = drift.build(clusters, results, decisions, False, "unit", "now")
    held = report["clusters"]["a"]["resources"]["sources"]
    assert held["status"] == "drift" and held["targets"][0]["message"].startswith("not corrected: drift_policy report")
    assert "link-clusters.yml" in held["targets"][0]["message"]
    assert report["clusters"]["b"]["resources"]["sources"]["status"] == "corrected"
    # a report-only run: drift without a message (nobody asked to correct it)
    quiet = drift.build(clusters, results, decide(clusters, parse_now("2026-11-24T10:00:00+01:00")), True, "unit", "now")
    assert quiet["clusters"]["a"]["resources"]["sources"]["targets"][0]["message"] == ""


def test_a_plan_for_approval_reads_as_a_plan_in_every_format_and_shows_objects_whole():
    """#33 point 5: no "drift / exit status 2" on a plan; the HTML has the Markdown's key line; a new object whole, in
    the inventory's notation (true/false/null, not Python's True/None)."""
    station = {"ae_title": "WARD_CT_WITH_A_LONG_TITLE", "automatic_archiving": False, "institution": None,
               "station_name": "CT HEAD: ward 7", "comment": "x" * 200, "pattern": "%CT%"}
    results = {"a": {"sources": [("a-db", {"changed": True, "commands": [{"op": "create", "key": "WARD_CT", "values": station}]})]},
               "b": {"hosts": [("b-cm", {"changed": False})]}}
    report = drift.build(PLAN["clusters"], results, {}, True, "unit", "now", kind="plan")
    page, md = drift.html_page(report, None), drift.markdown(report)
    assert "exit status" not in page and "exit status" not in md
    assert '<span class="status">1 resource will change</span>' in page
    assert "<p>Status drift below means: the rollout will change this.</p>" in page and \
        "Status drift below means: the rollout will change this." in md
    whole = ('{ae_title: WARD_CT_WITH_A_LONG_TITLE, automatic_archiving: false, comment: %s, institution: null, '
             'pattern: "%%CT%%", station_name: "CT HEAD: ward 7"}' % ("x" * 200))
    assert whole in md and drift.html.escape(whole) in page
    assert "None" not in md and "False" not in md
    # a drift report keeps its status and exit status
    assert "Status: drift (exit status 2), at now." in drift.markdown(drift.build(PLAN["clusters"], results, {}, True, "unit", "now"))
    assert [drift.flow(v) for v in ("true", "12", "10.201.1.11", " x", "a#b", "")] == ['"true"', '"12"', "10.201.1.11", '" x"', '"a#b"', '""']


def test_the_link_flag_letters_are_explained_wherever_they_appear():
    report = drift.build(PLAN["clusters"], {"a": {"hosts": [("a-cm", {"changed": False})]}}, {}, True, "unit", "now")
    legend = "L Cluster Linking, I Link Internal Queries, E Link External Queries, U Link Cluster Updates, P Link Prefetching"
    assert legend in drift.estate_dot(report, PLAN) and legend in drift.markdown(report)
    assert legend in drift.html_page(report, None)
