"""Molecule verify (brownfield): what the sites had before linking is kept or reconciled as documented."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from labhost import NODES, host, orthanc, sql  # noqa: E402

HAND_MADE = {
    "harbor": ["10.201.0.250\tharbor-printer\t# radiology film printer, added by hand 2019",
               "10.201.0.251\tharbor-pacs-old harbor-legacy\t# legacy archive, kept for retrieval"],
    "valley": ["10.201.0.240\tvalley-nas\t# department NAS, not an IMPAX system"],
    "summit": ["10.201.0.230\tsummit-workstation1\t# reading room PC"],
}


@pytest.mark.parametrize("node", NODES)
def test_hand_made_hosts_lines_are_kept_above_the_block(node):
    text = host(node).file("/etc/hosts").content_string
    begin = text.index("# BEGIN impax.cluster_link managed block")
    for line in HAND_MADE[node.split("-")[0]]:
        assert line in text[:begin], (node, line)
    assert "%s\n" % node in text[:begin] or "\t%s\n" % node in text[:begin], "the node's own line is kept"


def test_stale_station_is_removed_everywhere():
    assert sql("harbor", "SELECT ae_title FROM network_station WHERE ae_title = 'HBR_CR_OLD'") == []
    assert sql("harbor", "SELECT ae_title FROM source_station WHERE ae_title = 'HBR_CR_OLD'") == []
    assert "HBR_CR_OLD" not in orthanc("harbor", "/modalities")
    assert "HBR_CR_OLD" not in orthanc("harbor-cm02", "/modalities")  # the second campus's gateway had it too


def test_registered_station_is_corrected_not_duplicated():
    assert sql("harbor", "SELECT port, station_name FROM network_station WHERE ae_title = 'HBR_CT1'") == [[104, "CT1"]]
    assert orthanc("harbor", "/modalities/HBR_CT1/configuration")["Port"] == 104
    assert sql("harbor", "SELECT institution_name, home_cm FROM source_station WHERE ae_title = 'HBR_CT1'") == [
        ["Harbor General Hospital", "HBR_CM"]]


def test_pre_existing_mapping_row_is_part_of_the_superset():
    assert sql("harbor", "SELECT rule_number, specialty FROM specialty_mapping WHERE source_pattern = '%HEAD%'") == [[100, "NEURO"]]
