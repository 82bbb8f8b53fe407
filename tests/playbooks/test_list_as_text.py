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
    assert twice["failed"] and twice["msg"] == "give specialty in config or in from_plan, not both"
