"""The mapping_test filter and the rule reference in docs/rules.md."""

import os
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.impax.cluster_link.plugins.filter.mapping import mapping_test
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import RULES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROWS = [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}, {"pattern": "CT%", "rule": 50, "label": "CT"}]


def test_mapping_test_one_and_many():
    assert mapping_test("MR HEAD", ROWS, "specialty") == "NEURO"
    assert mapping_test(["CT HEAD", "mr head"], ROWS, "specialty") == ["CT", "BODY"]
    assert mapping_test("nothing", ROWS) == "DEFAULT"


def test_mapping_test_refuses_bad_input():
    with pytest.raises(AnsibleFilterError):
        mapping_test("x", ROWS, "organ")
    with pytest.raises(AnsibleFilterError):
        mapping_test("x", [{"pattern": "%"}])


def test_rules_reference_lists_every_rule():
    with open(os.path.join(ROOT, "docs", "rules.md")) as handle:
        documented = set(re.findall(r"^\| (ICL\d{3}) \|", handle.read(), re.M))
    assert documented == set(RULES)


def test_without_keys():
    from ansible_collections.impax.cluster_link.plugins.filter.objects import without_keys
    items = [{"ae_title": "A", "kind": "cm", "home_cluster": "x"}, {"ae_title": "B"}]
    assert without_keys(items, ["kind", "home_cluster"]) == [{"ae_title": "A"}, {"ae_title": "B"}]
    assert items[0]["kind"] == "cm"  # the input is left alone
    with pytest.raises(AnsibleFilterError):
        without_keys(items, "kind")
    with pytest.raises(AnsibleFilterError):
        without_keys([1], ["kind"])
