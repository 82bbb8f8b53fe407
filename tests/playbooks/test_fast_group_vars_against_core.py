"""fast_host_group_vars (enabled by the checkout's ansible.cfg) against Ansible's own host_group_vars, on one
inventory with every kind of file: large YAML and JSON lists (the C parsers), small files, vaulted and !unsafe
content and duplicate keys (Ansible's loader), templates in the large files."""

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
FAST = "impax.cluster_link.fast_host_group_vars"


def run(command, *args, **env):
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                   PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1", **env)
    return subprocess.run([os.path.join(BIN, command)] + list(args), cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast_vars")
    (root / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"site": {"hosts": {
        "node1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}}}))
    site = root / "group_vars" / "site"
    site.mkdir(parents=True)
    (site / "small.yml").write_text("greeting: hello\nport: 104\n")
    stations = [{"station_name": "HBR_MOD%05d" % i, "ae_title": "HBR%05d" % i, "port": 104 + i % 3,
                 "archive": i % 2 == 0, "label": "{{ greeting }} from {{ inventory_hostname }}" if i == 0 else "x"}
                for i in range(1500)]
    (site / "stations.yml").write_text(yaml.safe_dump({"impax_stations": stations}))
    rows = [{"pattern": "HBR%%%05d%%" % i, "rule": 2000 + i, "label": "HEAD"} for i in range(1500)]
    (site / "mappings.json").write_text(json.dumps({"impax_mappings": {"body_part": rows}}, indent=1))
    everyone = root / "group_vars" / "all"
    everyone.mkdir()
    (everyone / "tagged.yml").write_text(yaml.safe_dump({"tagged_list": ["x%05d" % i for i in range(9000)]})
                                         + "literal: !unsafe '{{ greeting }}'\n")
    (everyone / "duplicate.yml").write_text("dup_key: first\n" + yaml.safe_dump(
        {"filler": ["y%05d" % i for i in range(9000)]}) + "dup_key: second\n")
    host = root / "host_vars" / "node1"
    host.mkdir(parents=True)
    (host / "own.yml").write_text(yaml.safe_dump({"own_list": [{"n": i, "s": "node %d" % i} for i in range(5000)]}))
    return str(root)


def test_the_inventory_reads_the_same_as_with_host_group_vars(inventory, tmp_path):
    core = run("ansible-inventory", "-i", inventory, "--list", ANSIBLE_VARS_ENABLED="host_group_vars")
    fast = run("ansible-inventory", "-i", inventory, "--list", "-vvv", "--output", str(tmp_path / "fast.json"))
    assert core.returncode == 0 and fast.returncode == 0, core.stderr + fast.stderr
    listed = json.loads((tmp_path / "fast.json").read_text())
    assert json.loads(core.stdout) == listed
    hostvars = listed["_meta"]["hostvars"]["node1"]
    assert len(hostvars["impax_stations"]) == 1500 and hostvars["dup_key"] == "second"
    # the same duplicate-key warning, from Ansible's loader in both runs
    assert "Found duplicate mapping key 'dup_key'" in core.stderr and "Found duplicate mapping key 'dup_key'" in fast.stderr
    # which files took which path (-vvv)
    taken = {line.split()[1]: line for line in fast.stdout.splitlines() + fast.stderr.splitlines()
             if line.startswith("fast_host_group_vars:")}
    for name in ("stations.yml", "mappings.json", "own.yml"):
        assert any(path.endswith(name) and "C parser" in line for path, line in taken.items()), taken
    for name in ("small.yml", "tagged.yml", "duplicate.yml"):
        assert any(path.endswith(name) and "Ansible's loader" in line for path, line in taken.items()), taken


def test_templates_in_a_large_file_render_and_unsafe_stays_literal(inventory):
    outputs = []
    for enabled in ("host_group_vars", FAST):
        result = run("ansible", "-i", inventory, "node1", "-m", "ansible.builtin.debug", "-a",
                     "msg={{ [impax_stations[0].label, literal, impax_stations | length, own_list[4999].s] }}",
                     ANSIBLE_VARS_ENABLED=enabled)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert "hello from node1" in outputs[1] and "{{ greeting }}" in outputs[1] and "node 4999" in outputs[1]


def test_enabled_beside_host_group_vars_it_says_every_file_is_read_twice(inventory):
    both = run("ansible-inventory", "-i", inventory, "--host", "node1", ANSIBLE_VARS_ENABLED="host_group_vars," + FAST)
    alone = run("ansible-inventory", "-i", inventory, "--host", "node1")
    assert both.returncode == 0 and alone.returncode == 0, both.stderr + alone.stderr
    assert "are both enabled: every group_vars and host_vars file is read twice" in both.stderr
    assert "read twice" not in alone.stderr
    assert json.loads(both.stdout) == json.loads(alone.stdout)


def test_a_later_run_reads_the_large_yaml_files_from_cache_dir_and_gets_the_same(inventory, tmp_path):
    core = run("ansible-inventory", "-i", inventory, "--list", ANSIBLE_VARS_ENABLED="host_group_vars")
    folder = str(tmp_path / "parsed")
    runs = [run("ansible-inventory", "-i", inventory, "--list", "-vvv", "--output", str(tmp_path / ("%d.json" % i)),
                IMPAX_FAST_VARS_CACHE_DIR=folder) for i in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr + runs[1].stderr
    for i in range(2):
        assert json.loads((tmp_path / ("%d.json" % i)).read_text()) == json.loads(core.stdout)
    # stations.yml and own.yml are YAML: parsed by the first run, read from their kept form by the second
    # (mappings.json needs no cache; the small and tagged files are Ansible's loader's)
    assert len(os.listdir(folder)) == 2
    for number, words in ((0, "by the C parser"), (1, "from its parsed form in cache_dir")):
        lines = [line for line in runs[number].stdout.splitlines() if line.startswith("fast_host_group_vars:")]
        for name in ("stations.yml", "own.yml"):
            assert any(line.split()[1].endswith(name) and words in line for line in lines), lines
        assert any(line.split()[1].endswith("mappings.json") and "by the C parser" in line for line in lines), lines
    # an empty cache_dir keeps nothing, anywhere (a path option would have made it the current folder)
    before = set(os.listdir(ROOT))
    for unused in range(2):
        empty = run("ansible-inventory", "-i", inventory, "--list", "-vvv", IMPAX_FAST_VARS_CACHE_DIR="")
        assert empty.returncode == 0 and "cache_dir" not in empty.stdout + empty.stderr
    assert set(os.listdir(ROOT)) == before
