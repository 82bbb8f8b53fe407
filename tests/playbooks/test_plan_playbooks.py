"""The documented commands, run for real with ansible-playbook: the example plans, broken estates stop the play."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import CLUSTER_LISTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
with open(os.path.join(ROOT, "tests", "estates", "expected.yml")) as handle:
    EXPECTED = yaml.safe_load(handle)


def run(*args, **env):
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                   PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1", **env)
    return subprocess.run([os.path.join(BIN, "ansible-playbook")] + list(args), cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300, check=False)


# The example estate's hosts do not exist, so link-clusters.yml runs only its planning stage there.
@pytest.mark.parametrize("playbook,extra", [("playbooks/plan.yml", []), ("impax.cluster_link.plan", []),
                                            ("link-clusters.yml", ["--tags", "plan"]),
                                            ("impax.cluster_link.link_clusters", ["--tags", "plan"])])
def test_example_estate_plans(playbook, extra, tmp_path):
    plan_file = tmp_path / "plan.json"
    result = run(playbook, "-i", "inventories/example", "-e", "impax_plan_file=%s" % plan_file, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cluster north: 3 nodes" in result.stdout
    assert "cluster south:" in result.stdout and "cluster east:" in result.stdout
    plan = json.loads(plan_file.read_text())
    assert plan["valid"] and sorted(plan["clusters"]) == ["east", "north", "south"]


@pytest.mark.parametrize("estate", sorted(EXPECTED))
def test_broken_estate_stops_before_any_host(estate):
    result = run("link-clusters.yml", "-i", "tests/estates/broken/%s" % estate)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "nothing was changed" in output
    missing = [rule for rule in EXPECTED[estate] if rule not in output]
    assert not missing, output
    # the only host that ran anything is the controller
    recap = output.split("PLAY RECAP")[-1]
    assert "localhost" in recap and not any(h in recap for h in ("alpha-", "beta-"))


@pytest.mark.parametrize("playbook", ["playbooks/synthesize_mappings.yml", "impax.cluster_link.synthesize_mappings"])
def test_synthesize_mappings_writes_the_proposal_for_review(playbook, tmp_path):
    import shutil
    inventory = tmp_path / "example"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), inventory)
    written = inventory / "group_vars" / "all" / "mapping_superset.yml"
    committed = written.read_text()
    written.unlink()
    reports = tmp_path / "reports"
    result = run(playbook, "-i", str(inventory), "-e", "impax_report_dir=%s" % reports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert written.read_text() == committed  # the committed proposal is current
    assert "naive union changes 5 (3322 studies), synthesised 0 (0)" in result.stdout.replace("\n        ", " ")
    markdown = (reports / "mapping_synthesis.md").read_text()
    assert "| north | 16 | 16082 | 5 (3322) | 0 (0) |" in markdown
    html = (reports / "mapping_synthesis.html").read_text()
    assert "<td>north</td>" in html and "CT HEAD WO CONTRAST" in html
    # the proposed order in both documents, and everything in the JSON
    first = yaml.safe_load(committed)["impax_mapping_superset"]["specialty"][0]
    assert "| %d | `%s` | %s |" % (first["rule"], first["pattern"], first["label"]) in markdown
    assert "<tr><td>%d</td><td><code>%s</code></td>" % (first["rule"], first["pattern"]) in html
    full = json.loads((reports / "mapping_synthesis.json").read_text())
    assert full["specialty"]["rows"][0]["pattern"] == first["pattern"] and "repair" in full["specialty"]
    again = run(playbook, "-i", str(inventory), "-e", "impax_report_dir=%s" % reports)
    assert "changed=0" in again.stdout.split("PLAY RECAP")[-1], again.stdout


def test_synthesize_mappings_names_a_bad_corpus(tmp_path):
    import shutil
    inventory = tmp_path / "example"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), inventory)
    corpus = inventory / "group_vars" / "south" / "study_descriptions.csv"
    corpus.write_text("description,count\nCT CRANIAL,12\nCT ABD,lots\n")
    before = (inventory / "group_vars" / "all" / "mapping_superset.yml").read_text()
    result = run("playbooks/synthesize_mappings.yml", "-i", str(inventory), "-e", "impax_report_dir=%s" % tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "group_vars/south/study_descriptions.csv line 3: count 'lots' is not a whole number" in output
    assert "cluster south" in output and "impax_mapping_corpus.body_part" in output  # body_part is read first
    assert (inventory / "group_vars" / "all" / "mapping_superset.yml").read_text() == before


def test_synthesize_mappings_refuses_a_pattern_twice_with_two_labels(tmp_path):
    import shutil
    inventory = tmp_path / "example"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), inventory)
    mappings = inventory / "group_vars" / "south" / "mappings.yml"
    text = mappings.read_text()
    row = '    - {pattern: "%CT%", rule: 50, label: ABDO}\n'
    assert text.count(row) == 1
    mappings.write_text(text.replace(row, row + '    - {pattern: "%CT%", rule: 50, label: NEURO}\n'))
    before = (inventory / "group_vars" / "all" / "mapping_superset.yml").read_text()
    result = run("playbooks/synthesize_mappings.yml", "-i", str(inventory), "-e", "impax_report_dir=%s" % tmp_path)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert ("specialty pattern '%CT%' appears twice at south (ABDO at rule 50, NEURO at rule 50)" in output
            and "group_vars/south/mappings.yml" in output and "nothing was written" in output), output[-3000:]
    assert (inventory / "group_vars" / "all" / "mapping_superset.yml").read_text() == before


def test_the_rollout_plan_carries_the_large_lists_by_reference(tmp_path):
    """plan.yml registers a plan without the clusters' big lists; index.<cluster>.slices gives them, byte for byte."""
    plan_file = tmp_path / "plan.json"
    check = tmp_path / "check.yml"
    check.write_text(yaml.safe_dump([
        {"ansible.builtin.import_playbook": os.path.join(ROOT, "playbooks", "plan.yml")},
        {"name": "Keep what was registered", "hosts": "localhost", "gather_facts": False, "connection": "local",
         "tasks": [{"name": "Write it", "ansible.builtin.copy": {
             "content": "{{ {'plan': impax_estate_plan.plan, 'index': impax_estate_plan.index} | to_json }}",
             "dest": str(tmp_path / "registered.json"), "mode": "0600"}}]}]))
    result = run(str(check), "-i", "inventories/example", "-e", "impax_plan_file=%s" % plan_file)
    assert result.returncode == 0, result.stdout + result.stderr
    registered = json.loads((tmp_path / "registered.json").read_text())
    full = json.loads(plan_file.read_text())
    for name, cluster in full["clusters"].items():
        slim = registered["plan"]["clusters"][name]
        assert not set(slim) & {"network_management", "sources", "mappings", "hosts_table"}
        assert slim["nodes"] == cluster["nodes"] and slim["mapping_tables"] == sorted(cluster["mappings"])
        first = dict((e["hostname"], e["ip"]) for e in reversed(full["hosts_table"]))  # the first line of each name
        assert sorted(slim["gateways"]) == sorted(cluster["gateways"]) == registered["index"][name]["gateway_nodes"]
        for node, gateway in slim["gateways"].items():
            assert "modalities" not in gateway and gateway["url"] == cluster["gateways"][node]["url"]
            assert gateway["verify_addresses"] == dict((t["host"], first[t["host"]]) for t in gateway["verify_targets"])
            assert "." in gateway["verify_addresses"].get("eic-cm01", "."), "IPv4 where a node has both"
            assert gateway["verify_addresses"] and len(gateway["verify_addresses"]) == len(gateway["verify_targets"])
        slices = registered["index"][name]["slices"]
        for node, gateway in cluster["gateways"].items():  # each gateway's registry, as dicom_nodes takes it
            with open(slices["gateways"][node]["file"]) as handle:
                assert json.load(handle) == gateway["modalities"]
        for key, (unused, planning_only) in CLUSTER_LISTS.items():
            with open(slices[key]["file"]) as handle:  # as the module takes it: without the planning-only keys
                assert json.load(handle) == [dict((k, v) for k, v in item.items() if k not in planning_only)
                                             for item in cluster[key]]
        assert os.path.dirname(slices["sources"]["file"]) == str(tmp_path / "plan-slices")
        for table, rows in cluster["mappings"].items():
            with open(slices["mappings"][table]["file"]) as handle:
                assert json.load(handle) == rows
        with open(slices["hosts_table"]["file"]) as handle:
            assert json.load(handle) == full["hosts_table"]
    assert "hosts_table" not in registered["plan"] and "mappings" not in registered["plan"]
    assert registered["plan"]["findings"] == full["findings"] and "findings_left_out" not in registered["plan"]


@pytest.mark.parametrize("playbook", ["playbooks/lab_status.yml", "playbooks/lab_up.yml", "playbooks/lab_down.yml"])
def test_lab_playbooks_on_another_inventory_say_which_to_use(playbook):
    result = run(playbook, "-i", "inventories/example")
    assert result.returncode != 0
    assert "run with -i inventories/lab" in " ".join(result.stdout.split()), result.stdout[-2000:]


def _plan_and_keep(tmp_path, inventory, *extra):
    """Run plan.yml on ``inventory`` and return what it registered (and the plan file)."""
    book = tmp_path / "keep.yml"
    book.write_text(yaml.safe_dump([
        {"ansible.builtin.import_playbook": os.path.join(ROOT, "playbooks", "plan.yml")},
        {"name": "Keep what was registered", "hosts": "localhost", "gather_facts": False, "connection": "local",
         "tasks": [{"name": "Write it", "ansible.builtin.copy": {
             "content": "{{ impax_estate_plan | to_json }}", "dest": str(tmp_path / "registered.json"),
             "mode": "0600"}}]}]))
    result = run(str(book), "-i", str(inventory), "-e", "impax_plan_file=%s" % (tmp_path / "plan.json"), *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((tmp_path / "registered.json").read_text())


def test_each_run_plans_from_the_inventory_as_it_is_now(tmp_path):
    """An unchanged estate plans to the same result and slices; a changed variable reaches its slice."""
    import shutil
    inventory = tmp_path / "estate"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), str(inventory))
    first = _plan_and_keep(tmp_path, inventory)
    again = _plan_and_keep(tmp_path, inventory)
    for key in ("plan", "index", "summary", "hosts_tables", "valid"):
        assert again[key] == first[key], key

    stations = inventory / "group_vars" / "north" / "stations.yml"
    stations.write_text(stations.read_text().replace("North General Hospital", "North General Hospital Trust"))
    changed = _plan_and_keep(tmp_path, inventory)
    assert changed["index"]["north"]["slices"]["sources"] != first["index"]["north"]["slices"]["sources"]
    with open(changed["index"]["north"]["slices"]["sources"]["file"]) as handle:
        assert {s["institution"] for s in json.load(handle) if s["institution"].startswith("North")} == {"North General Hospital Trust"}

    # a slice removed by hand is written again by the next plan
    gone = changed["index"]["south"]["slices"]["network_management"]["file"]
    os.remove(gone)
    _plan_and_keep(tmp_path, inventory)
    assert os.path.isfile(gone)
