"""LargeListModule returns exactly what AnsibleModule returns, for valid and invalid lists, and keeps secrets masked."""

import hashlib
import json
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.impax.cluster_link.plugins.module_utils import list_module
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import (
    LargeListModule, _plain, _spec_holder, exact_item)
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    DICOM_MODALITIES, DICOM_PEERS, NETWORK_STATIONS, SOURCE_STATIONS, argspec)

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import load_slice, write_slices

from estate_helpers import ROOT, inventory_plan


def build(cls, spec, args, capsys, **kwargs):
    """(params, None) of a module built from ``args``, or (None, its failure) when validation fails."""
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    try:
        module = cls(argument_spec=spec, supports_check_mode=True, **kwargs)
    except SystemExit:
        return None, json.loads(capsys.readouterr().out)
    finally:
        basic._ANSIBLE_ARGS = None
    return module.params, None


def station(i, **extra):
    item = {"station_name": "S%05d" % i, "ae_title": "AE%05d" % i, "host": "st%05d" % i, "port": 104 + i % 3,
            "station_type": "Acquisition Station", "capabilities": {"query_retrieve": bool(i % 2)},
            "cluster_linking": False}
    item.update(extra)
    return item


def compare(spec, args, capsys, name="config"):
    fast = build(LargeListModule, spec, args, capsys, large_lists=(name,))
    slow = build(AnsibleModule, spec, args, capsys)
    return fast, slow


SPEC = list_module.common_argument_spec(NETWORK_STATIONS)
DATABASE = {"engine": "sqlite", "path": "/nonexistent"}


def test_valid_list_gives_the_same_params(capsys):
    args = {"state": "overridden", "database": DATABASE, "config": [station(i) for i in range(300)]}
    (fast, error), (slow, slow_error) = compare(SPEC, args, capsys)
    assert error is None and slow_error is None
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    module = LargeListModule(argument_spec=SPEC, large_lists=("config",))
    basic._ANSIBLE_ARGS = None
    assert len(module._checked["config"]) == 300  # the fast path was taken
    assert module.argument_spec["config"]["options"]  # and the declared spec is back for later readers
    assert fast == slow
    assert fast["config"][0]["alias"] is None and fast["config"][0]["capabilities"]["transmit_to_station"] is None


@pytest.mark.parametrize("bad", [
    {"port": "105"},                         # needs conversion: ansible-core converts it
    {"unexpected": 1},                       # unknown key: ansible-core's message
    {"station_type": "Toaster"},             # not a choice
    {"ae_title": None},                      # required key missing
    {"capabilities": {"query_retrieve": "yes"}},
])
def test_anything_else_goes_through_ansible_core(bad, capsys):
    items = [station(i) for i in range(300)]
    items[150] = dict(items[150], **bad)
    args = {"state": "overridden", "database": DATABASE, "config": items}
    (fast, error), (slow, slow_error) = compare(SPEC, args, capsys)
    assert fast == slow
    if error or slow_error:
        assert error["msg"] == slow_error["msg"]


def test_secrets_stay_masked_and_invocation_is_short(capsys):
    peer_spec = argspec(DICOM_PEERS)
    peer_spec["password"]["no_log"] = True
    spec = {"modalities": dict(type="list", elements="dict", options=argspec(DICOM_MODALITIES)),
            "peers": dict(type="list", elements="dict", options=peer_spec)}
    modalities = [{"name": "M%04d" % i, "ae_title": "M%04d" % i, "host": "m%04d" % i} for i in range(200)]
    peers = [{"name": "P%d" % i, "url": "http://p%d/" % i, "password": "s3cret-%d" % i} for i in range(150)]
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": {"modalities": modalities, "peers": peers}}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    module = LargeListModule(argument_spec=spec, large_lists=("modalities", "peers"))
    basic._ANSIBLE_ARGS = None
    assert module._large_lists == ["modalities"]  # peers carry a no_log suboption: never fast-pathed
    with pytest.raises(SystemExit):
        module.exit_json(changed=False, echoed=peers[0]["password"])
    out = json.loads(capsys.readouterr().out)
    assert out["invocation"]["module_args"]["modalities"] == "(200 items)"
    assert "s3cret-0" not in json.dumps(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extras=st.lists(st.fixed_dictionaries({
    "port": st.one_of(st.integers(1, 65535), st.sampled_from(["104", "x"])),
    "station_type": st.sampled_from(["PACS", "HIS/RIS", "Other", "nope"]),
    "cluster_linking": st.one_of(st.booleans(), st.none(), st.just("true")),
    "alias": st.one_of(st.none(), st.text(max_size=3)),
}), min_size=100, max_size=130))
def test_property_same_result_as_ansible_core(extras, capsys):
    items = [station(i, **extra) for i, extra in enumerate(extras)]
    args = {"state": "overridden", "database": DATABASE, "config": items}
    (fast, error), (slow, slow_error) = compare(SPEC, args, capsys)
    assert fast == slow
    assert (error is None) == (slow_error is None)
    if error:
        assert error["msg"] == slow_error["msg"]


HOSTS_SPEC = dict(entries=dict(type="list", elements="dict", default=[], options=dict(
    ip=dict(type="str", required=True), hostname=dict(type="str", required=True),
    aliases=dict(type="list", elements="str", default=[]), comment=dict(type="str"))))


def test_suboption_defaults_are_set_as_ansible_core_sets_them(capsys):
    """Absent keys take the default, as ansible-core's _set_defaults does; an explicit null is left to it."""
    entries = [{"ip": "10.0.%d.%d" % (i // 250, i % 250), "hostname": "h%05d" % i} for i in range(150)]
    entries[0]["aliases"] = ["a0"]
    entries[1]["comment"] = None
    entries[2]["comment"] = "cluster x"
    args = {"entries": entries}
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    module = LargeListModule(argument_spec=HOSTS_SPEC, large_lists=("entries",))
    basic._ANSIBLE_ARGS = None
    assert len(module._checked["entries"]) == 150  # the fast path was taken
    (fast, error), (slow, slow_error) = compare(HOSTS_SPEC, args, capsys, name="entries")
    assert error is None and slow_error is None and fast == slow
    assert fast["entries"][0]["aliases"] == ["a0"] and fast["entries"][1]["comment"] is None
    assert fast["entries"][3]["aliases"] == [] and fast["entries"][3]["comment"] is None
    fast["entries"][3]["aliases"].append("x")
    assert fast["entries"][4]["aliases"] == [], "each element has its own default list"
    # an explicit null where a default exists goes to ansible-core, which refuses it the same way both times
    entries[1]["aliases"] = None
    (fast, error), (slow, slow_error) = compare(HOSTS_SPEC, {"entries": entries}, capsys, name="entries")
    assert fast is None and slow is None and error["msg"] == slow_error["msg"] and "aliases" in error["msg"]


class _Declared(Exception):
    """Raised in place of building the module: carries what its main() declares."""


def declared_spec(module_file, monkeypatch):
    """(argument_spec, large_lists) exactly as the module's main() declares them."""
    def capture(argument_spec, large_lists=(), **kwargs):
        raise _Declared(argument_spec, large_lists)
    monkeypatch.setattr(module_file, "LargeListModule", capture)
    with pytest.raises(_Declared) as declared:
        module_file.main()
    return declared.value.args


def role_default(role, name):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as handle:
        return yaml.safe_load(handle)[name]


@pytest.fixture(scope="module")
def lab_plan():
    return inventory_plan(os.path.join(ROOT, "inventories", "lab"))


def test_every_list_the_plan_sends_takes_the_fast_path(lab_plan, monkeypatch, tmp_path):
    """What the roles hand to each module from the lab plan (through the plan's slice files, as in a rollout) is
    checked here, not by ansible-core's per-element validator: a fast path that silently falls back costs
    seconds per task on a large estate."""
    from ansible_collections.impax.cluster_link.plugins.modules import (
        dicom_nodes, hosts_block, mapping_rows, mapping_tables, network_stations, source_stations)
    refs = write_slices(lab_plan, str(tmp_path))["valley"]
    sent = [
        (network_stations, "config", refs["network_management"],
         role_default("network_management", "__network_management_meta_keys")),
        (source_stations, "config", refs["sources"], role_default("source_manager", "__source_manager_meta_keys")),
        (dicom_nodes, "modalities", refs["gateway_modalities"], []),
        (hosts_block, "entries", refs["hosts_table"], []),
    ] + [(mapping_rows, "config", ref, []) for ref in refs["mappings"].values()
         ] + [(mapping_tables, "config.%s" % table, ref, []) for table, ref in refs["mappings"].items()]
    for module_file, option, ref, meta_keys in sent:
        spec, large_lists = declared_spec(module_file, monkeypatch)
        assert option in large_lists
        holder, name = _spec_holder(spec, option)
        options = holder[name]["options"]
        assert _plain(options), "%s: %s cannot be checked exactly" % (module_file.__name__, option)
        items = load_slice(ref, meta_keys)
        assert items, module_file.__name__
        refused = [item for item in items if exact_item(options, item) is None]
        assert not refused, "%s: %s falls back to ansible-core for %r" % (module_file.__name__, option, refused[:1])


@pytest.mark.parametrize("notifications", [["received", "dictated"], [], ["received", "bogus"]])
def test_list_choices_are_checked_element_by_element(notifications, capsys):
    """A list option with choices (Source Manager's HIS notifications) is fast-pathed when every element is a
    choice, and an element that is not goes to ansible-core's message."""
    spec = list_module.common_argument_spec(SOURCE_STATIONS)
    items = [{"ae_title": "AE%05d" % i, "station_name": "S%05d" % i, "his_notifications": notifications,
              "his_verification": {"study_identification": ["accession_number"]}} for i in range(120)]
    args = {"state": "overridden", "database": DATABASE, "config": items}
    (fast, error), (slow, slow_error) = compare(spec, args, capsys)
    assert fast == slow
    assert (error is None) == (slow_error is None) == ("bogus" not in notifications)
    if error:
        assert error["msg"] == slow_error["msg"] and "his_notifications" in error["msg"]
    else:
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        module = LargeListModule(argument_spec=spec, large_lists=("config",))
        basic._ANSIBLE_ARGS = None
        assert len(module._checked["config"]) == 120  # the fast path was taken


def test_a_slice_sent_as_text_is_checked_again_and_becomes_the_list(lab_plan, tmp_path, capsys):
    """What PlanFedAction sends (from_plan with the slice's text): the module takes the same list the controller
    reads, with the planning keys dropped, fast-pathed, and shows neither the text nor the list in invocation;
    a text that is not the planned one is refused."""
    ref = write_slices(lab_plan, str(tmp_path))["valley"]["network_management"]
    drop = role_default("network_management", "__network_management_meta_keys")
    stations = load_slice(ref, drop) * 40  # over the 100 the fast path starts at
    data = json.dumps(stations, sort_keys=True, separators=(",", ":")).encode()
    ref = {"file": ref["file"], "sha256": hashlib.sha256(data).hexdigest(), "drop_keys": []}
    args = {"state": "overridden", "database": DATABASE, "from_plan": dict(ref, content=data.decode())}
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    try:
        module = LargeListModule(argument_spec=SPEC, large_lists=("config",))
    finally:
        basic._ANSIBLE_ARGS = None
    assert len(module._checked["config"]) == len(stations) and module.params["from_plan"] is None
    assert module.params["config"] == build(AnsibleModule, SPEC, dict(args, from_plan=None, config=stations), capsys)[0]["config"]
    with pytest.raises(SystemExit):
        module.exit_json(changed=False)
    shown = json.loads(capsys.readouterr().out)["invocation"]["module_args"]
    assert shown["config"] == "(%d items)" % len(stations) and shown["from_plan"] is None

    tampered = dict(args, from_plan=dict(ref, content=data.decode().replace("VLY", "XXX", 1)))
    params, error = build(LargeListModule, SPEC, tampered, capsys, large_lists=("config",))
    assert params is None and "SHA-256 differs" in error["msg"] and ref["file"] in error["msg"]


def test_a_tasks_own_large_list_is_sent_as_its_text(capsys):
    """PlanFedAction sends a task's own list of 100 items or more as one JSON text (plan_reference.list_as_text):
    tagged values (what a templated task list holds) become plain JSON, the module takes the very list it would
    have taken as objects, and a list JSON cannot hold as such, or a small one, is sent as it is."""
    from ansible.module_utils._internal._datatag import AnsibleTagHelper
    from ansible._internal._datatag._tags import Origin
    from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import (
        CONTENT_ENCODING, LIST_AS_TEXT_FROM, content_bytes, list_as_text)
    origin = Origin(path="/inv/group_vars/harbor/stations.yml", line_num=3)
    items = [{"ae_title": AnsibleTagHelper.tag("AE%05d" % i, [origin]), "station_name": "S%05d" % i,
              "port": AnsibleTagHelper.tag(104, [origin])} for i in range(120)]
    assert items[0]["ae_title"].__class__ is not str  # tagged, as in a task's arguments
    ref = list_as_text(AnsibleTagHelper.tag(items, [origin]), "the task's config")
    assert ref["file"] == "(the task's config)" and ref["drop_keys"] == []
    # packed: plain ASCII, a fraction of the JSON text's size
    assert ref["encoding"] == CONTENT_ENCODING and ref["content"].isascii() and '"' not in ref["content"]
    text = content_bytes(ref)
    assert len(ref["content"]) < len(text) / 3
    assert json.loads(text) == [{"ae_title": "AE%05d" % i, "station_name": "S%05d" % i, "port": 104} for i in range(120)]
    assert ref["sha256"] == hashlib.sha256(text).hexdigest()

    args = {"state": "overridden", "database": DATABASE}
    as_text = build(LargeListModule, SPEC, dict(args, from_plan=ref), capsys, large_lists=("config",))
    as_objects = build(LargeListModule, SPEC, dict(args, config=json.loads(text)), capsys, large_lists=("config",))
    assert as_text[1] is None and as_text[0]["config"] == as_objects[0]["config"] and len(as_text[0]["config"]) == 120
    # the plain text form is still taken (a reference made by hand), and a damaged packed one is refused
    plain = dict(ref, content=text.decode(), encoding=None)
    assert build(LargeListModule, SPEC, dict(args, from_plan=plain), capsys, large_lists=("config",))[0]["config"] == \
        as_objects[0]["config"]
    damaged = build(LargeListModule, SPEC, dict(args, from_plan=dict(ref, content=ref["content"][:-8])), capsys,
                    large_lists=("config",))
    assert damaged[1] is not None and damaged[1]["failed"], damaged

    import datetime
    assert list_as_text(items[:LIST_AS_TEXT_FROM - 1], "x") is None  # small: nothing worth saving
    assert list_as_text(items + [{"ae_title": datetime.date(2026, 1, 1)}], "x") is None  # ansible-core encodes it
    assert list_as_text(items + [{"port": float("nan")}], "x") is None
    assert list_as_text("not a list", "x") is None


def test_tables_of_one_call_each_take_the_fast_path_and_their_own_slice(capsys):
    """mapping_tables: lists that are suboptions of ``config``, each with its own reference under ``from_plan``.
    The module gets what ansible-core would give for the same lists, shows each as its length, refuses a tampered
    slice naming its table, and a row ansible-core must convert or refuse gets ansible-core's own answer."""
    from ansible_collections.impax.cluster_link.plugins.modules.mapping_tables import TABLES, argument_spec
    rows = dict((table, [{"pattern": "%%%s%05d%%" % (table, i), "rule": i, "label": table.upper()} for i in range(n)])
                for table, n in zip(TABLES, (150, 120, 3)))
    texts = dict((table, json.dumps(rows[table], separators=(",", ":"))) for table in TABLES[:2])
    refs = dict((table, {"file": "/plan/%s.json" % table, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                         "drop_keys": [], "content": text}) for table, text in texts.items())
    args = {"state": "overridden", "database": DATABASE, "from_plan": refs,
            "config": {"patient_location": rows["patient_location"]}}
    kwargs = dict(large_lists=tuple("config.%s" % t for t in TABLES),
                  plan_refs=dict(("from_plan.%s" % t, "config.%s" % t) for t in TABLES))
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    try:
        module = LargeListModule(argument_spec=argument_spec(), **kwargs)
    finally:
        basic._ANSIBLE_ARGS = None
    assert sorted(module._checked) == ["config.body_part", "config.specialty"]  # 3 rows: not worth a fast path
    assert module.argument_spec["config"]["options"]["body_part"]["options"]  # the declared spec is back
    plain = build(AnsibleModule, argument_spec(), dict(args, from_plan=None, config=rows), capsys)[0]
    assert module.params["config"] == plain["config"]
    assert module.params["from_plan"] == {"body_part": None, "specialty": None, "patient_location": None}
    with pytest.raises(SystemExit):
        module.exit_json(changed=False)
    shown = json.loads(capsys.readouterr().out)["invocation"]["module_args"]
    assert shown["config"]["body_part"] == "(150 items)" and shown["config"]["specialty"] == "(120 items)"
    assert len(module.params["config"]["body_part"]) == 150, "showing the invocation left the params whole"

    tampered = dict(args, from_plan=dict(refs, specialty=dict(refs["specialty"], content=texts["specialty"][:-2] + "]")))
    params, error = build(LargeListModule, argument_spec(), tampered, capsys, **kwargs)
    assert params is None and "from_plan.specialty" in error["msg"] and "/plan/specialty.json" in error["msg"]

    for bad in ({"rule": "7"}, {"rule": "seven"}, {"colour": "red"}):
        config = dict(rows, specialty=[dict(rows["specialty"][0], **bad)] + rows["specialty"][1:])
        fast, error = build(LargeListModule, argument_spec(), dict(args, from_plan=None, config=config), capsys, **kwargs)
        slow, slow_error = build(AnsibleModule, argument_spec(), dict(args, from_plan=None, config=config), capsys)
        assert fast == slow and (error or {}).get("msg") == (slow_error or {}).get("msg")
