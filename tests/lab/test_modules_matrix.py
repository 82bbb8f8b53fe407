"""Every part of the configuration-database module in every action state, on both lab databases, with the full
rhythm: gathered -> check run (changes predicted, nothing written) -> real run (exactly the predicted commands,
the table as predicted) -> re-run (nothing to do).

The module runs as Ansible runs it on a node - one Python process reading its arguments - so the 48 runs take
seconds; tests/lab/test_config_db.py runs the same module through ansible-playbook.
Also the Orthanc module's error messages against a real gateway.
"""

import json
import os
import subprocess
import sys

import pytest

from labutil import LAB_DIR, ROOT

DATABASES = {
    "sqlite": {"engine": "sqlite", "path": os.path.join(LAB_DIR, "db", "valley.sqlite")},
    "postgresql": {"engine": "postgresql", "host": "10.201.0.23", "name": "impax_valley", "user": "impax",
                   "password": "lab-database-secret", "sslmode": "disable"},
}
NEW = {
    "network_management": {"ae_title": "NEW_STATION", "station_name": "NEW", "host": "new-host", "station_type": "PACS",
                           "capabilities": {"transmit_to_station": True}},
    "sources": {"ae_title": "NEW_SOURCE", "station_name": "NEW", "institution": "Valley Medical Centre",
                "department": "Radiology", "home_cm": "VLY_CM", "his_notifications": ["received"]},
    "specialty": {"pattern": "%NEW%", "rule": 77, "label": "NEW"},
}
KEY = {"network_management": "ae_title", "sources": "ae_title", "specialty": "pattern"}


def module(name, args, check=False, diff=False):
    path = os.path.join(ROOT, "build", "matrix-args.json")
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check, _ansible_diff=diff)}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "plugins", "modules", name + ".py"), path],
                         capture_output=True, text=True, env=env, check=False)
    return json.loads(out.stdout)


def part(name, engine, state, config=None):
    """config_database's arguments for the one part ``name`` (a mapping table under mappings)."""
    args = {"database": DATABASES[engine], "state": state}
    if state == "gathered":
        args["gather"] = [name]
    elif name in KEY and name != "specialty":
        args[name] = {"config": config}
    else:
        args["mappings"] = {"config": {name: config}}
    return args


def part_result(name, result):
    """The part's own result (a mapping table's under mappings.tables), with the call's diff of it."""
    inner = result["mappings"]["tables"][name] if name == "specialty" else result[name]
    return dict(inner, diff=result.get("diff", [None])[0], statements_executed=result["statements_executed"])


def gathered(name, engine):
    result = module("config_database", part(name, engine, "gathered"))
    assert not result.get("failed"), result
    return result["gathered"]["mappings"][name] if name == "specialty" else result["gathered"][name]


def desired(name, state, current):
    """A config for ``state`` that changes something on ``current``."""
    key = KEY[name]
    current = [i for i in current if i[key] != NEW[name][key]]  # NEW is added (again) below
    first = dict(current[0])
    if name == "specialty":
        changed = dict(first, rule=first["rule"] + 1)
    elif name == "network_management":
        changed = dict(first, port=first["port"] + 1)
    else:
        changed = dict(first, demographic_layout="MAMMO_LAYOUT" if first["demographic_layout"] != "MAMMO_LAYOUT"
                       else "GENERIC_LAYOUT")
    if state == "merged":
        return [{key: first[key], **dict((k, v) for k, v in changed.items() if v != first.get(k))}, NEW[name]]
    if state == "replaced":
        return [changed, NEW[name]]
    if state == "overridden":
        return [changed] + current[2:] + [NEW[name]]  # drops current[1]
    return [{key: current[1][key]}]  # deleted


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("name", ["network_management", "sources", "specialty"])
@pytest.mark.parametrize("state", ["merged", "replaced", "overridden", "deleted"])
def test_state_rhythm(lab_postgresql, engine, name, state):
    current = gathered(name, engine)
    if len([i for i in current if i[KEY[name]] != NEW[name][KEY[name]]]) < 3:  # give the table something to work on
        seed = module("config_database", part(name, engine, "merged", [
            dict(NEW[name], **{KEY[name]: "%s_SEED%d" % (NEW[name][KEY[name]], i)}) for i in range(3)]))
        assert seed["changed"], seed
        current = gathered(name, engine)
    args = part(name, engine, state, desired(name, state, current))

    check = part_result(name, module("config_database", args, check=True, diff=True))
    assert check["changed"] and check["commands"], check
    assert gathered(name, engine) == current, "check mode wrote something"

    real = part_result(name, module("config_database", args, diff=True))
    assert real["changed"]
    assert [c["sql"] for c in real["commands"]] == [c["sql"] for c in check["commands"]]
    assert real["commands"] == check["commands"] and real["diff"] == check["diff"]
    after = gathered(name, engine)
    touched = set(c["key"] for c in real["commands"])
    expected = [i for i in current if i[KEY[name]] not in touched] + real["after"]
    assert sorted(after, key=lambda i: i[KEY[name]]) == sorted(expected, key=lambda i: i[KEY[name]])
    assert len(after) == real["count_after"]

    again = part_result(name, module("config_database", args))
    assert not again["changed"] and again["commands"] == [], again


GATEWAY = {"url": "http://10.201.0.21:8042", "username": "impax", "password": "lab-gateway-secret"}


def test_gateway_errors_are_clear(lab_postgresql):
    wrong = module("dicom_nodes", dict(GATEWAY, password="wrong", state="gathered"))
    assert wrong["failed"] and "401 Unauthorized" in wrong["msg"] and "RemoteAccessAllowed" in wrong["msg"]
    assert "wrong" not in json.dumps(wrong.get("invocation", {})), "the password is not echoed back"
    closed = module("dicom_nodes", dict(GATEWAY, url="http://10.201.0.21:8043", state="gathered"))
    assert closed["failed"] and "cannot reach http://10.201.0.21:8043" in closed["msg"] and closed["service_unreachable"]
    assert wrong["service_unreachable"] is False, "a refusal is not an unreachable service"
    bad = module("dicom_nodes", dict(GATEWAY, state="merged", modalities=[
        {"name": "X", "ae_title": "THIS_AE_TITLE_IS_TOO_LONG", "host": "bad host"}]))
    assert bad["failed"] and "refused before any call" in bad["msg"]
    assert "17 characters" in bad["msg"] or "characters long" in bad["msg"]
    assert "whitespace" in bad["msg"]
