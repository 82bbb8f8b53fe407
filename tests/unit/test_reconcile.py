"""The reconcile engine: every state, the guards, duplicate keys, and plan(apply(plan)) == []."""

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.impax.cluster_link.plugins.module_utils import reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.reconcile import ReconcileError
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MAPPING_ROWS, NETWORK_MANAGEMENT, SOURCES

HAVE = [
    {"ae_title": "A_CM", "station_name": "A_CM", "host": "a-cm", "port": 104, "station_type": "HIS/RIS"},
    {"ae_title": "A_CT1", "station_name": "CT1", "host": "a-ct1", "port": 4104, "station_type": "Acquisition Station",
     "capabilities": {"transmit_to_station": True}},
    {"ae_title": "OLD", "station_name": "OLD", "host": "old", "port": 104},
]


def ops_of(want, state, **kw):
    return [(op.action, op.key, sorted(op.fields()) if op.action == "update" else [])
            for op in reconcile.plan(NETWORK_MANAGEMENT, want, HAVE, state, **kw)]


CASES = [
    ("merged updates only given fields", "merged", [{"ae_title": "A_CT1", "port": 104}],
     [("update", "A_CT1", ["port"])]),
    ("merged leaves unset fields (capabilities kept)", "merged", [{"ae_title": "A_CT1", "port": 4104}], []),
    ("merged creates missing", "merged", [{"ae_title": "B_CM", "station_name": "B_CM", "host": "b-cm"}],
     [("create", "B_CM", [])]),
    ("merged nested field", "merged", [{"ae_title": "A_CT1", "capabilities": {"query_retrieve": True}}],
     [("update", "A_CT1", ["capabilities.query_retrieve"])]),
    ("replaced resets unset fields to defaults", "replaced",
     [{"ae_title": "A_CT1", "station_name": "CT1", "host": "a-ct1", "port": 4104, "station_type": "Acquisition Station"}],
     [("update", "A_CT1", ["capabilities.transmit_to_station"])]),
    ("replaced does not delete unlisted", "replaced", [{"ae_title": "A_CM", "station_name": "A_CM", "host": "a-cm",
                                                        "station_type": "HIS/RIS"}], []),
    ("overridden deletes unlisted", "overridden", [{"ae_title": "A_CM", "station_name": "A_CM", "host": "a-cm",
                                                    "station_type": "HIS/RIS"}],
     [("delete", "A_CT1", []), ("delete", "OLD", [])]),
    ("deleted deletes listed keys only", "deleted", [{"ae_title": "OLD"}, {"ae_title": "NOT_THERE"}],
     [("delete", "OLD", [])]),
]


@pytest.mark.parametrize("what,state,want,expected", CASES, ids=[c[0] for c in CASES])
def test_plan(what, state, want, expected):
    got = ops_of(want, state)
    assert got == expected


A_CM = {"ae_title": "A_CM", "station_name": "A_CM", "host": "a-cm", "station_type": "HIS/RIS"}


def test_protected_keys_are_never_deleted():
    assert ops_of([A_CM], "overridden", protected=["OLD", "A_CT1"]) == []
    assert ops_of([{"ae_title": "OLD"}], "deleted", protected=["OLD"]) == []


def test_overridden_with_empty_config_needs_allow_empty():
    with pytest.raises(ReconcileError, match="allow_empty"):
        reconcile.plan(NETWORK_MANAGEMENT, [], HAVE, "overridden")
    assert len(reconcile.plan(NETWORK_MANAGEMENT, [], HAVE, "overridden", allow_empty=True, protected=["A_CM"])) == 2


def test_deleted_needs_config():
    with pytest.raises(ReconcileError, match="nothing is deleted by omission"):
        reconcile.plan(NETWORK_MANAGEMENT, [], HAVE, "deleted")


def test_max_deletions_fails_before_acting():
    with pytest.raises(ReconcileError, match="more than max_deletions=1"):
        reconcile.plan(NETWORK_MANAGEMENT, [A_CM], HAVE, "overridden", max_deletions=1)
    allowed = reconcile.plan(NETWORK_MANAGEMENT, [A_CM], HAVE, "overridden", max_deletions=2)
    assert len(allowed) == 2
    # the refusal carries the whole plan: check mode shows it and marks what the real run refuses
    with pytest.raises(reconcile.DeletionLimit) as refused:
        reconcile.plan(NETWORK_MANAGEMENT, [A_CM], HAVE, "overridden", max_deletions=1)
    assert [op.as_command() for op in refused.value.ops] == [op.as_command() for op in allowed]
    assert "deletes 2 objects" in str(refused.value)


def test_duplicate_keys_are_refused():
    with pytest.raises(ReconcileError, match="duplicate ae_title in config: 'X'"):
        reconcile.plan(NETWORK_MANAGEMENT, [{"ae_title": "X"}, {"ae_title": "X"}], HAVE, "merged")


def test_create_needs_its_required_fields():
    with pytest.raises(ReconcileError, match="creating it needs station_name, host"):
        reconcile.plan(NETWORK_MANAGEMENT, [{"ae_title": "NEW"}], HAVE, "merged")
    with pytest.raises(ReconcileError, match="replaced as given, and an object needs station_name, host"):
        reconcile.plan(NETWORK_MANAGEMENT, [{"ae_title": "A_CM"}], HAVE, "replaced")


def test_keys_are_case_sensitive():
    ops = reconcile.plan(MAPPING_ROWS, [{"pattern": "%head%", "rule": 1, "label": "X"}],
                         [{"pattern": "%HEAD%", "rule": 1, "label": "X"}], "overridden")
    assert [(op.action, op.key) for op in ops] == [("delete", "%HEAD%"), ("create", "%head%")]


def test_changed_pattern_is_delete_plus_create():
    ops = reconcile.plan(MAPPING_ROWS, [{"pattern": "%CHEST%", "rule": 10, "label": "CHEST"}],
                         [{"pattern": "%CHST%", "rule": 10, "label": "CHEST"}], "overridden")
    assert [op.action for op in ops] == ["delete", "create"]


def test_sets_compare_unordered():
    have = [{"ae_title": "S", "station_name": "S", "institution": "I", "department": "D", "home_cm": "CM",
             "his_notifications": ["verified", "received"]}]
    want = [{"ae_title": "S", "his_notifications": ["received", "verified"]}]
    assert reconcile.plan(SOURCES, want, have, "merged") == []


def test_result_and_commands():
    ops = reconcile.plan(NETWORK_MANAGEMENT, [{"ae_title": "A_CT1", "port": 104}], HAVE, "merged")
    out = reconcile.result(NETWORK_MANAGEMENT, "merged", HAVE, ops)
    assert out["changed"] and out["commands"] == [{"op": "update", "key": "A_CT1", "fields": {"port": [4104, 104]}}]
    assert [i["port"] for i in out["after"] if i["ae_title"] == "A_CT1"] == [104]
    d = reconcile.diff(NETWORK_MANAGEMENT, out["before"], out["after"])
    assert d["before"]["A_CT1"]["port"] == 4104 and d["after"]["A_CT1"]["port"] == 104


# -- property: planning again after applying yields no operation --------------------------------------------------
row = st.fixed_dictionaries({"pattern": st.text(alphabet="AB%", min_size=1, max_size=3),
                             "rule": st.integers(1, 5), "label": st.sampled_from(["X", "Y"])})
rows = st.lists(row, max_size=8, unique_by=lambda r: r["pattern"])


@settings(max_examples=300, deadline=None)
@given(rows, rows, st.sampled_from(["merged", "replaced", "overridden", "deleted"]))
def test_plan_after_apply_is_empty(want, have, state):
    if state == "deleted" and not want:
        return
    ops = reconcile.plan(MAPPING_ROWS, want, have, state, allow_empty=True)
    after = reconcile.predict(MAPPING_ROWS, have, ops)
    assert reconcile.plan(MAPPING_ROWS, want, after, state, allow_empty=True) == []
    if state == "overridden":
        assert sorted(r["pattern"] for r in after) == sorted(r["pattern"] for r in want)


# -- property: the one-pass full_normal is full(normalise(...)) for every resource ----------------------------------
from ansible_collections.impax.cluster_link.plugins.module_utils import resources as all_resources  # noqa: E402

RESOURCES = [r for r in vars(all_resources).values() if isinstance(r, reconcile.Resource)]
# what a target or a caller may hand over for each kind: normal values and ones normalise converts
LOOSE = {"int": st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["0", "104", " 7"])),
         "bool": st.one_of(st.none(), st.booleans(), st.integers(0, 1), st.sampled_from(["yes", "No", "t", "0", ""])),
         "str": st.one_of(st.none(), st.text(alphabet="Ab %_", max_size=3), st.integers(-3, 3), st.booleans())}


def loose_item(resource):
    def value(field):
        if field.kind == "dict":
            return st.one_of(st.none(), st.fixed_dictionaries({}, optional=dict((n, value(f)) for n, f in field.fields.items())))
        if field.kind in ("set", "list"):
            return st.one_of(st.none(), st.lists(st.text(alphabet="ab", max_size=2), max_size=3))
        return LOOSE[field.kind]
    return st.fixed_dictionaries({}, optional=dict((n, value(f)) for n, f in resource.fields.items()))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_full_normal_is_full_of_normalise(data):
    assert RESOURCES and len(RESOURCES) >= 5
    for resource in RESOURCES:
        item = data.draw(loose_item(resource))
        assert resource.full_normal(item) == resource.full(resource.normalise(item)), (resource.name, item)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_from_record_is_full_normal_of_the_renamed_record(data):
    """A target's record read through from_record equals full_normal of the same record renamed."""
    for resource in RESOURCES:
        fields = [n for n in resource.fields if n not in resource.key]
        names = dict(("T_" + n, n) for n in fields)
        record = dict(("T_" + n, v) for n, v in data.draw(loose_item(resource)).items() if n in fields)
        record.update(data.draw(st.fixed_dictionaries({}, optional={"T_unmapped": st.integers()})))
        key = data.draw(st.one_of(st.text(alphabet="AB", min_size=1, max_size=2), st.integers(0, 3)))
        known = dict((part, key) for part in resource.key)
        renamed = dict(((names[k], v) for k, v in record.items() if k in names), **known)
        assert resource.from_record(record, names, **known) == resource.full_normal(renamed), (resource.name, record)
