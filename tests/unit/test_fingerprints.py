"""fingerprints: a target recognised as converged from a list's fingerprint agrees with planning the list itself."""

from hypothesis import given, settings, strategies as st

from test_config_db import COLUMN_VALUE, CONFIG_RESOURCES, table

from ansible_collections.impax.cluster_link.plugins.module_utils import fingerprints, reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import exact_item
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    DICOM_MODALITIES, MODALITY_FIELDS, NETWORK_STATIONS, SOURCE_STATIONS, archiving_visitors, argspec,
    canonical_modalities, linking_flag_problems, modality_problems)
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import RowForm
from ansible_collections.impax.cluster_link.plugins.modules.dicom_nodes import MODALITY_FORM, full_from_orthanc

OPTIONS = dict((resource.name, argspec(resource)) for resource, unused in CONFIG_RESOURCES)
MODALITY_OPTIONS = argspec(DICOM_MODALITIES)


def exact(resource):
    options = OPTIONS[resource.name]
    return lambda item: exact_item(options, item)


def valid_item(resource):
    """Items the module's argument spec takes as they are (the lists a plan slice holds)."""
    def value(name, field):
        if field.kind == "dict":
            return st.fixed_dictionaries({}, optional=dict((n, value(n, f)) for n, f in field.fields.items()))
        if name in OPTIONS[resource.name] and OPTIONS[resource.name][name].get("choices"):
            choices = OPTIONS[resource.name][name]["choices"]
            return st.lists(st.sampled_from(choices), max_size=2, unique=True) if field.kind == "set" \
                else st.sampled_from(choices)
        return {"str": st.text(alphabet="Ab %,", max_size=2), "int": st.integers(0, 2), "bool": st.booleans(),
                "set": st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True)}[field.kind]
    named = dict((n, value(n, resource.fields[n])) for n in resource.key + resource.required_on_create)
    return st.builds(lambda item, given: dict(item, **given),
                     st.fixed_dictionaries({}, optional=dict((n, value(n, f)) for n, f in resource.fields.items())),
                     st.fixed_dictionaries(named))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_matching_fingerprint_means_plan_has_nothing_to_do(data):
    """rows_match() says "exactly the list" only when plan() on those rows (read back as objects) has no operation
    and refuses nothing; for rows that are the list's own, in any order, beside protected rows the list does not
    name, it says so."""
    for resource, key in CONFIG_RESOURCES:
        tm = table(resource, key)
        form = RowForm(tm)
        want = data.draw(st.lists(valid_item(resource), min_size=1, max_size=4))
        value = fingerprints.wanted(form, want, exact(resource))
        if value is None:
            continue  # a duplicate key, a comma in a set...: the module sees the list
        checked = [exact(resource)(item) for item in want]
        rows, edited = [form.keyed(item)[1] for item in checked], False
        if data.draw(st.integers(0, 3)) == 0:  # one column edited by hand
            r, i = data.draw(st.integers(0, len(rows) - 1)), data.draw(st.integers(0, len(tm.columns) - 1))
            rows[r] = rows[r][:i] + (data.draw(COLUMN_VALUE[tm.columns[i][1]]),) + rows[r][i + 1:]
            edited = True
        rows = data.draw(st.permutations(rows))
        extra = data.draw(st.one_of(st.none(), valid_item(resource)))
        extra = extra and exact(resource)(extra)
        if extra is not None:
            extra_key, extra_row = form.keyed(extra)
            if extra_row is None:
                extra = None
            else:
                rows.append(extra_row)
        protected = data.draw(st.lists(st.sampled_from(value["keys"] + ([extra_key] if extra else [])), max_size=2))
        matched = fingerprints.rows_match(fingerprints.probe(value["fingerprint"], value["keys"], protected),
                                          form, rows, protected)
        try:
            have = [tm.row_to_item(row) for row in rows]
        except ValueError:
            assert not matched
            continue
        try:
            ops = reconcile.plan(resource, checked, have, "overridden", protected=protected)
        except reconcile.ReconcileError:
            ops = None
        if matched:
            assert ops == [], (key, want, rows, ops)
        extra_kept = extra is None or (extra_key in protected and extra_key not in value["keys"])
        if not edited and extra_kept:
            assert matched, (key, want, rows, protected)
        if extra is not None and extra_key not in protected:
            assert not matched  # a row overridden deletes is a change


def test_probe_keeps_only_protected_keys_the_list_does_not_hold():
    probe = fingerprints.probe("f", ["CT1", "CT2"], ["CT2", "OLD", "HAND"])
    assert probe == {"fingerprint": "f", "keep": ["HAND", "OLD"]}
    assert fingerprints.probe("f", ["CT1"], None)["keep"] == []


def test_the_modules_own_rules_and_unchecked_items_leave_the_list_to_the_module():
    tm = table(NETWORK_STATIONS, "network_stations")
    station = {"ae_title": "CM1", "station_name": "CM1", "host": "cm1", "cluster_linking": False, "link_prefetching": True}
    assert fingerprints.wanted(RowForm(tm), [station], exact(NETWORK_STATIONS)) is not None
    assert fingerprints.wanted(RowForm(tm), [station], exact(NETWORK_STATIONS), linking_flag_problems) is None
    sources = RowForm(table(SOURCE_STATIONS, "source_stations"))
    visitor = {"ae_title": "V", "station_name": "V", "institution": "I", "department": "D", "home_cm": "CM",
               "visitor": True}
    assert fingerprints.wanted(sources, [visitor], exact(SOURCE_STATIONS), archiving_visitors) is None
    assert fingerprints.wanted(sources, [dict(visitor, automatic_archiving=False)], exact(SOURCE_STATIONS),
                               archiving_visitors) is not None
    # "104" for an int: the module's validator converts it and says so, not the probe
    assert fingerprints.wanted(RowForm(tm), [dict(station, port="104")], exact(NETWORK_STATIONS)) is None
    assert fingerprints.wanted(RowForm(tm), [], exact(NETWORK_STATIONS)) is None  # an empty list is a guard's


def modality(name, **fields):
    return dict({"name": name, "ae_title": name, "host": name.lower() + "-host"}, **fields)


def orthanc_registry(items):
    """The registry as GET /modalities?expand returns it after PUTs of ``items``."""
    return dict(MODALITY_FORM.keyed(item) for item in canonical_modalities(items))


def modality_probe(items, protected=()):
    value = fingerprints.wanted(MODALITY_FORM, items, lambda item: exact_item(MODALITY_OPTIONS, item),
                                modality_problems, canonical_modalities)
    return value and fingerprints.probe(value["fingerprint"], value["keys"], protected)


def test_a_gateway_registry_matches_only_when_it_is_exactly_the_list():
    want = [modality("CT1", manufacturer="AgfaImpax", port=4104), modality("MR1", allow_store=False)]
    probe = modality_probe(want)
    registry = orthanc_registry([exact_item(MODALITY_OPTIONS, item) for item in want])
    assert set(registry["CT1"]) == set(MODALITY_FIELDS.values())
    assert fingerprints.records_match(probe, registry, [])
    have = full_from_orthanc(DICOM_MODALITIES, registry, MODALITY_FIELDS)
    assert reconcile.plan(DICOM_MODALITIES, canonical_modalities([exact_item(MODALITY_OPTIONS, i) for i in want]),
                          have, "overridden", have_normal=True) == []
    assert not fingerprints.records_match(probe, dict(registry, CT1=dict(registry["CT1"], Port=104)), [])
    assert not fingerprints.records_match(probe, dict((k, v) for k, v in registry.items() if k != "MR1"), [])
    hand_made = dict(registry, HAND=dict(registry["MR1"], AET="HAND"))
    assert not fingerprints.records_match(probe, hand_made, [])
    assert fingerprints.records_match(modality_probe(want, ["HAND"]), hand_made, ["HAND"])
    # the module keeps only what it is told to protect, whatever the probe says
    assert not fingerprints.records_match(modality_probe(want, ["HAND"]), hand_made, [])
    assert modality_probe([modality("CT1", ae_title="A" * 17)]) is None  # refused before any call by the module


def test_the_database_action_probes_each_slice_once_per_profile_and_engine(tmp_path):
    import os
    from ansible_collections.impax.cluster_link.plugins.action.config_database import ActionModule
    from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import write_slices
    station = {"ae_title": "CM1", "station_name": "CM1", "host": "cm1", "kind": "cm", "home_cluster": "harbor"}
    rows = [{"pattern": "%HEAD%", "rule": 10, "label": "HEAD"}]
    refs = write_slices({"hosts_table": [], "clusters": {"harbor": {
        "network_management": [station], "sources": [], "gateway_modalities": [],
        "mappings": {"body_part": rows, "specialty": [dict(rows[0], rule="10")]}}}}, str(tmp_path))["harbor"]
    args = dict(state="overridden", protected=["OLD"],
                network_management={"from_plan": dict(refs["network_management"], drop_keys=["kind", "home_cluster"]),
                                    "protected": ["CM1", "HAND"]},
                sources={"from_plan": refs["sources"]},
                mappings={"from_plan": {"body_part": refs["mappings"]["body_part"],
                                        "specialty": refs["mappings"]["specialty"]}})
    probes = ActionModule.probes(ActionModule, args)
    # the sources' empty list (a guard's business) and a rule given as text (the module converts it) are sent
    assert sorted(probes) == ["mappings.from_plan.body_part", "network_management.from_plan"]
    assert probes["network_management.from_plan"]["keep"] == ["HAND", "OLD"]  # protected, and not in the list
    assert probes["mappings.from_plan.body_part"]["keep"] == ["OLD"]
    kept = sorted(name for name in os.listdir(str(tmp_path)) if ".rows-" in name)
    assert len(kept) == 2, kept  # computed once per slice, kept beside it
    assert ActionModule.probes(ActionModule, args) == probes
    assert sorted(ActionModule.probes(ActionModule, dict(args, database={"engine": "postgresql"}))) == sorted(probes)
    assert len([name for name in os.listdir(str(tmp_path)) if ".rows-" in name]) == 4  # another engine: its own
    # without the meta keys dropped the items are not what the module's argument spec takes
    assert "network_management.from_plan" not in ActionModule.probes(
        ActionModule, dict(args, network_management={"from_plan": refs["network_management"]}))
    assert ActionModule.probes(ActionModule, dict(args, database={"engine": "db2"})) == {}
