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


def cache(tmp_path):
    warnings = []
    return plugin.ParsedYamlCache(str(tmp_path / "cache"), warnings.append), warnings


def test_a_yaml_file_is_parsed_once_and_then_read_from_its_kept_json(tmp_path):
    path = write(tmp_path, "stations.yml", yaml.safe_dump(STATIONS))
    kept, warnings = cache(tmp_path)
    assert plugin.load_plain_data(path, 0, kept) == STATIONS and path not in kept.served
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 1 and entries[0].stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    again = plugin.ParsedYamlCache(str(tmp_path / "cache"), warnings.append)  # the next run
    data = again.get(path, again.key((tmp_path / "stations.yml").read_bytes()))
    assert data == STATIONS
    read = plugin.load_plain_data(path, 0, again)
    assert read == STATIONS and path in again.served and not warnings
    assert is_trusted_as_template(read["impax_stations"][0]["station_name"])


def test_a_changed_file_is_parsed_again_and_replaces_its_entry(tmp_path):
    path = write(tmp_path, "stations.yml", yaml.safe_dump(STATIONS))
    kept, unused = cache(tmp_path)
    plugin.load_plain_data(path, 0, kept)
    changed = {"impax_stations": STATIONS["impax_stations"][:10]}
    write(tmp_path, "stations.yml", yaml.safe_dump(changed))
    assert plugin.load_plain_data(path, 0, kept) == changed and path not in kept.served
    assert len(list((tmp_path / "cache").iterdir())) == 1


@pytest.mark.parametrize("text", ["when: 2026-11-29\n", "1: one\n2: two\n", "a: .nan\n"])
def test_what_json_cannot_hold_exactly_is_not_kept(tmp_path, text):
    path = write(tmp_path, "v.yml", text)
    kept, unused = cache(tmp_path)
    first = plugin.load_plain_data(path, 0, kept)
    assert list((tmp_path / "cache").iterdir()) == []
    second = plugin.load_plain_data(path, 0, kept)
    assert str(first) == str(second) and path not in kept.served


def test_a_json_file_is_not_kept(tmp_path):
    path = write(tmp_path, "v.json", json.dumps(STATIONS))
    kept, unused = cache(tmp_path)
    assert plugin.load_plain_data(path, 0, kept) == STATIONS
    assert list((tmp_path / "cache").iterdir()) == []


def _only_entry(tmp_path):
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 1
    return entries[0]


def test_a_broken_or_foreign_entry_is_not_used(tmp_path):
    path = write(tmp_path, "stations.yml", yaml.safe_dump(STATIONS))
    kept, unused = cache(tmp_path)
    plugin.load_plain_data(path, 0, kept)
    entry = _only_entry(tmp_path)
    # an entry whose key is not its name's, or that is not JSON: parsed again, and written again
    record = json.loads(entry.read_text())
    entry.write_text(json.dumps(dict(record, key="0" * 64, data={"injected": True})))
    assert plugin.load_plain_data(path, 0, kept) == STATIONS and path not in kept.served
    entry = _only_entry(tmp_path)
    entry.write_text("{not json")
    assert plugin.load_plain_data(path, 0, kept) == STATIONS and path not in kept.served
    # an entry others may write to: not read
    entry = _only_entry(tmp_path)
    entry.write_text(json.dumps(dict(record, data={"injected": True})))
    entry.chmod(0o666)
    assert plugin.load_plain_data(path, 0, kept) == STATIONS and path not in kept.served


def test_a_folder_others_may_write_to_is_not_used(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o777)
    path = write(tmp_path, "stations.yml", yaml.safe_dump(STATIONS))
    kept, warnings = cache(tmp_path)
    assert plugin.load_plain_data(path, 0, kept) == STATIONS
    assert list(folder.iterdir()) == []
    assert len(warnings) == 1 and "is not used" in warnings[0] and "others may write" in warnings[0]
    plugin.load_plain_data(path, 0, kept)
    assert len(warnings) == 1  # said once


def test_an_entry_no_run_read_for_30_days_goes_when_another_is_written(tmp_path):
    import os
    import time
    first, second = write(tmp_path, "a.yml", yaml.safe_dump(STATIONS)), write(tmp_path, "b.yml", "x: [1, 2]\n")
    kept, unused = cache(tmp_path)
    plugin.load_plain_data(first, 0, kept)
    entry = _only_entry(tmp_path)
    month_ago = time.time() - 31 * 24 * 3600
    os.utime(entry, (month_ago, month_ago))
    plugin.load_plain_data(first, 0, kept)  # read: in use again
    plugin.load_plain_data(second, 0, kept)
    assert len(list((tmp_path / "cache").iterdir())) == 2
    os.utime(entry, (month_ago, month_ago))
    write(tmp_path, "b.yml", "x: [1, 2, 3]\n")
    plugin.load_plain_data(second, 0, kept)
    assert not entry.exists() and len(list((tmp_path / "cache").iterdir())) == 1


@pytest.mark.parametrize("value, config_file, folder", [
    ("", "/etc/ansible/ansible.cfg", None),                         # empty: no cache (not the current folder)
    ("  ", "/etc/ansible/ansible.cfg", None),
    (None, "/etc/ansible/ansible.cfg", None),
    (".build/vars-cache", "/work/site/ansible.cfg", "/work/site/.build/vars-cache"),
    ("/var/cache/impax", "/work/site/ansible.cfg", "/var/cache/impax"),
])
def test_cache_dir_is_taken_from_the_folder_of_the_ansible_cfg(value, config_file, folder):
    assert plugin.cache_folder(value, config_file) == folder


def test_cache_dir_without_an_ansible_cfg_is_taken_from_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert plugin.cache_folder("cache", "") == str(tmp_path / "cache")
