"""A task's own large list reaches the module as one JSON text (PlanFedAction, plan_reference.list_as_text): the
module renders exactly what it renders for the same list sent as objects, templated values included, and an
invalid item is refused with the same message. Connection local, state rendered (no target needed)."""

import json
import sys

import yaml

from test_plan_playbooks import run


def stations(count):
    # templated: the task's list holds Ansible's tagged values after templating
    return [{"ae_title": "{{ site }}_CT%03d" % i, "station_name": "CT%03d" % i, "host": "{{ site | lower }}-ct%03d" % i,
             "port": "{{ 104 + %d }}" % (i % 2)} for i in range(count)]


def render(tmp_path, tasks):
    play = tmp_path / "play.yml"
    keep = [{"name": "Keep %s" % t["register"], "ansible.builtin.copy": {
        "content": "{{ %s | to_json }}" % t["register"], "dest": str(tmp_path / ("%s.json" % t["register"])),
        "mode": "0600"}} for t in tasks]
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "connection": "local",
                                     "vars": {"ansible_python_interpreter": sys.executable, "site": "HBR"},
                                     "tasks": [dict(t, ignore_errors=True) for t in tasks] + keep}]))
    result = run(str(play), "-i", "localhost,")
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads((tmp_path / ("%s.json" % t["register"])).read_text()) for t in tasks]


def task(name, config):
    return {"name": name, "impax.cluster_link.network_stations": {"state": "rendered", "config": config},
            "register": name}


def test_a_large_task_list_renders_as_the_same_list_sent_as_objects(tmp_path):
    text, objects = render(tmp_path, [task("text", stations(150)), task("objects", stations(99))])
    assert not text.get("failed") and not objects.get("failed"), (text, objects)
    assert len(text["rendered"]) == 150 and text["rendered"][:99] == objects["rendered"]
    first = text["rendered"][0]
    assert (first["ae_title"], first["host"], first["port"]) == ("HBR_CT000", "hbr-ct000", 104)
    assert text["rendered"][149]["port"] == 105 and text["commands"][:99] == objects["commands"]


def test_a_large_task_list_with_a_bad_item_is_refused_with_the_same_message(tmp_path):
    bad = dict(stations(1)[0], port="not a port")
    text, objects = render(tmp_path, [task("text", stations(150)[:120] + [bad]), task("objects", stations(98) + [bad])])
    assert text["failed"] and objects["failed"]
    assert "port" in text["msg"] and text["msg"] == objects["msg"], (text["msg"], objects["msg"])


def rows(count, prefix):
    return [{"pattern": "{{ site }}%%%s%04d%%" % (prefix, i), "rule": "{{ %d }}" % (10 + i), "label": prefix}
            for i in range(count)]


def test_mapping_tables_sends_each_large_table_as_text_and_refuses_a_table_given_twice(tmp_path):
    """mapping_tables' action plugin: a table of 100 rows or more travels as its own JSON text, a small one as it
    is; the module renders each table as mapping_rows renders it. A table given in config and from_plan is
    refused before anything runs."""
    tables = {"body_part": rows(130, "B"), "specialty": rows(5, "S")}
    both, body_part, specialty, twice = render(tmp_path, [
        {"name": "both", "impax.cluster_link.mapping_tables": {"state": "rendered", "config": tables}, "register": "both"},
        {"name": "one", "impax.cluster_link.mapping_rows": {"state": "rendered", "table": "body_part",
                                                            "config": tables["body_part"]}, "register": "body_part"},
        {"name": "two", "impax.cluster_link.mapping_rows": {"state": "rendered", "table": "specialty",
                                                            "config": tables["specialty"]}, "register": "specialty"},
        {"name": "twice", "impax.cluster_link.mapping_tables": {
            "state": "rendered", "config": {"specialty": rows(2, "S")},
            "from_plan": {"specialty": {"file": "/nonexistent.json", "sha256": "0" * 64}}}, "register": "twice"}])
    assert not both.get("failed"), both
    assert both["rendered"] == {"body_part": body_part["rendered"], "specialty": specialty["rendered"]}
    assert both["commands"] == {"body_part": body_part["commands"], "specialty": specialty["commands"]}
    assert both["rendered"]["body_part"][0] == {"pattern": "HBR%B0000%", "rule": 10, "label": "B"}
    assert len(both["rendered"]["body_part"]) == 130
    assert twice["failed"] and twice["msg"] == "give config.specialty or from_plan.specialty, not both"


def sources(count, **extra):
    return [dict({"ae_title": "{{ site }}_US%03d" % i, "station_name": "US%03d" % i, "institution": "Harbor General",
                  "department": "Radiology", "home_cm": "HBR_CM"}, **extra) for i in range(count)]


def test_config_database_renders_each_part_as_its_own_module_does(tmp_path):
    """config_database: the stations, the sources and each table rendered (large lists sent as text) exactly as
    network_stations, source_stations and mapping_tables render them; the parts' items are checked with the
    same rules and messages, naming the part; a list given twice is refused before anything runs."""
    nm, src, tables = stations(130), sources(3), {"body_part": rows(120, "B"), "specialty": rows(4, "S")}
    bad_item = dict(stations(1)[0], port="not a port")
    linked_wrong = dict(stations(1)[0], cluster_linking=False, link_prefetching=True)
    archiving_visitor = dict(sources(1)[0], visitor=True)
    all_parts, one_nm, one_src, one_tables, bad, rules, twice, nothing = render(tmp_path, [
        {"name": "all", "register": "all_parts", "impax.cluster_link.config_database": {
            "state": "rendered", "network_management": {"config": nm}, "sources": {"config": src},
            "mappings": {"config": tables}}},
        dict(task("one_nm", nm)),
        {"name": "src", "register": "one_src", "impax.cluster_link.source_stations": {"state": "rendered", "config": src}},
        {"name": "tables", "register": "one_tables",
         "impax.cluster_link.mapping_tables": {"state": "rendered", "config": tables}},
        {"name": "bad", "register": "bad", "impax.cluster_link.config_database": {
            "state": "rendered", "network_management": {"config": nm[:110] + [bad_item]}}},
        {"name": "rules", "register": "rules", "impax.cluster_link.config_database": {
            "state": "rendered", "network_management": {"config": [linked_wrong]},
            "sources": {"config": [archiving_visitor]}}},
        {"name": "twice", "register": "twice", "impax.cluster_link.config_database": {
            "state": "rendered", "sources": {"config": src, "from_plan": {"file": "/nonexistent.json", "sha256": "0" * 64}}}},
        {"name": "nothing", "register": "nothing", "impax.cluster_link.config_database": {"state": "rendered"}}])
    assert not all_parts.get("failed"), all_parts
    assert all_parts["rendered"] == {"network_management": one_nm["rendered"], "sources": one_src["rendered"],
                                     "mappings": one_tables["rendered"]}
    assert all_parts["commands"] == {"network_management": one_nm["commands"], "sources": one_src["commands"],
                                     "mappings": one_tables["commands"]}
    assert len(all_parts["rendered"]["network_management"]) == 130 and all_parts["rendered"]["sources"][0]["ae_title"] == "HBR_US000"
    assert bad["failed"] and "network_management.config" in bad["msg"] and "port" in bad["msg"], bad["msg"]
    assert rules["failed"] and rules["msg"] == (
        "network_management: linking flags contradict each other: HBR_CT000: link_prefetching need cluster_linking; "
        "sources: visitor sources must have automatic_archiving false (KB 10665): HBR_US000"), rules["msg"]
    assert twice["failed"] and twice["msg"] == "give sources.config or sources.from_plan, not both"
    assert nothing["failed"] and "needs network_management, sources or mappings" in nothing["msg"]
