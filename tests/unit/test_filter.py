"""The collection's filters (mapping_test, without_keys, gateway_peers) and the rule reference in docs/rules.md."""

import os
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.impax.cluster_link.plugins.filter.gateway_peers import gateway_peers
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


def test_gateway_peers_takes_the_planned_url_and_each_nodes_credentials():
    hostvars = {
        "valley-cm01": {"impax_gateway_username": "impax", "impax_gateway_password": "s3cret"},
        "summit-cm01": {},
    }
    peers = gateway_peers([{"name": "valley", "node": "valley-cm01", "url": "http://valley-cm01:8042"},
                           {"name": "summit", "node": "summit-cm01", "url": "https://summit-cm01:8043"}], hostvars)
    assert peers == [{"name": "valley", "url": "http://valley-cm01:8042", "username": "impax", "password": "s3cret"},
                     {"name": "summit", "url": "https://summit-cm01:8043"}]  # no credentials there: none sent
    assert gateway_peers([], hostvars) == []


@pytest.mark.parametrize("peers, message", [
    ("valley", "must be a list"),
    ([{"name": "valley", "node": "valley-cm01"}], "item 0 must have name, node and url"),
    # the form of earlier releases (cluster, node) is named, not half-used
    ([{"cluster": "valley", "node": "valley-cm01"}], "item 0 must have name, node and url"),
    ([{"name": "valley", "node": "nowhere", "url": "http://x:8042"}], "node 'nowhere' of peer 'valley' is not in the inventory"),
])
def test_gateway_peers_names_what_is_missing(peers, message):
    hostvars = {"valley-cm01": {"impax_cluster": {"name": "valley"}}}
    with pytest.raises(AnsibleFilterError, match=message):
        gateway_peers(peers, hostvars)
