"""The shape fast path must agree with ansible-core's ArgumentSpecValidator."""

import json

from hypothesis import given, settings, strategies as st

from estate_helpers import inventory_raw, ROOT

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import schema

import os


def _validator_result(spec, value):
    result = ArgumentSpecValidator(spec).validate(value)
    return None if result.error_messages else result.validated_parameters


def _elements():
    raw = inventory_raw(os.path.join(ROOT, "inventories", "example"))
    for cluster in raw["clusters"].values():
        v = cluster["vars"]
        for spec, items in ((schema.STATION_SPEC, v.get("impax_stations")), (schema.CM_SPEC, v.get("impax_connectivity_managers")),
                            (schema.DESTINATION_SPEC, v.get("impax_external_destinations"))):
            for item in items or []:
                yield spec, item
        for rows in (v.get("impax_mappings") or {}).values():
            for row in rows:
                yield schema.MAPPING_ROW_SPEC, row


def test_fast_path_agrees_on_the_example():
    seen = 0
    for spec, item in _elements():
        fast = schema._already_valid(spec, json.loads(json.dumps(item)))
        if fast is not None:
            seen += 1
            assert fast == _validator_result(spec, json.loads(json.dumps(item)))
    assert seen > 20


values = st.one_of(st.none(), st.text(max_size=4), st.integers(-2, 70000), st.booleans(),
                   st.lists(st.sampled_from(["received", "verified", "x"]), max_size=2), st.sampled_from(["WARN", "FAIL", "NO"]))
keys = st.sampled_from(["station_name", "ae_title", "host", "port", "visitor", "his_notifications", "validation_level",
                        "bogus", "ip"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, max_size=8))
def test_fast_path_never_accepts_what_the_validator_rejects(value):
    fast = schema._already_valid(schema.STATION_SPEC, dict(value))
    if fast is not None:
        assert fast == _validator_result(schema.STATION_SPEC, dict(value))
