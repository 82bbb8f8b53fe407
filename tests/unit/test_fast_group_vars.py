"""fast_host_group_vars: which files take the C parsers, and what they give (pure logic; the whole plugin is run by
tests/playbooks/test_fast_group_vars_against_core.py against Ansible's own host_group_vars)."""

import json

import pytest
import yaml

from ansible.template import is_trusted_as_template
from ansible_collections.impax.cluster_link.plugins.vars import fast_host_group_vars as plugin

STATIONS = {"impax_stations": [{"station_name": "HBR_MOD%05d" % i, "ae_title": "HBR%05d" % i, "port": 104,
                                "archive": i % 2 == 0, "note": None} for i in range(200)]}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("dump", [yaml.safe_dump, json.dumps])
def test_a_plain_data_file_is_read_with_every_string_trusted(tmp_path, dump):
    path = write(tmp_path, "stations", dump(STATIONS))
    data = plugin.load_plain_data(path, 0)
    assert data == STATIONS
    first = data["impax_stations"][0]
    assert all(is_trusted_as_template(key) for key in first)
    assert is_trusted_as_template(first["station_name"]) and is_trusted_as_template(first["ae_title"])
    assert first["port"] == 104 and first["archive"] is True and first["note"] is None


def test_yaml_1_1_scalars_are_typed_as_ansible_types_them(tmp_path):
    path = write(tmp_path, "v.yml", "a: yes\nb: 010\nc: 1.5\nd: 2026-11-29\ne: '010'\nf: ~\ng: &x {k: v}\nh: *x\n")
    data = plugin.load_plain_data(path, 0)
    assert data["a"] is True and data["b"] == 8 and data["c"] == 1.5 and str(data["d"]) == "2026-11-29"
    assert data["e"] == "010" and data["f"] is None and data["h"] == {"k": "v"}


@pytest.mark.parametrize("text", [
    "a: !unsafe '{{ x }}'\n",                                   # YAML tags are Ansible's to construct
    "a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n",       # vaulted value
    "$ANSIBLE_VAULT;1.1;AES256\n313233\n",                      # vaulted file
    '{"a": {"__ansible_unsafe": "{{ x }}"}}',                  # Ansible's JSON markers
    "a: 1\nb: 2\na: 3\n",                                       # duplicate key: Ansible warns or fails on it
    "a: [1, 2\n",                                               # broken: Ansible's message names the line
])
def test_anything_but_plain_data_is_left_to_ansibles_loader(tmp_path, text):
    path = write(tmp_path, "v.yml", text)
    with pytest.raises(plugin.NotPlainData):
        plugin.load_plain_data(path, 0)


def test_a_file_below_min_bytes_is_left_to_ansibles_loader(tmp_path):
    path = write(tmp_path, "v.yml", yaml.safe_dump(STATIONS))
    size = len(yaml.safe_dump(STATIONS))
    with pytest.raises(plugin.NotPlainData):
        plugin.load_plain_data(path, size + 1)
    assert plugin.load_plain_data(path, size) == STATIONS


def test_a_json_looking_yaml_flow_mapping_is_read_as_yaml(tmp_path):
    path = write(tmp_path, "v.yml", "{a: 1, b: [x, y]}\n")
    assert plugin.load_plain_data(path, 0) == {"a": 1, "b": ["x", "y"]}


def test_the_collector_is_left_as_it_was(tmp_path):
    import gc
    path = write(tmp_path, "v.yml", yaml.safe_dump(STATIONS))
    gc.disable()
    plugin.load_plain_data(path, 0)
    assert not gc.isenabled()
    gc.enable()
    plugin.load_plain_data(path, 0)
    assert gc.isenabled()
