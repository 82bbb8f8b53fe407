"""The documented commands, run for real with ansible-playbook: the example plans, broken estates stop the play."""

import json
import os
import subprocess
import sys

import pytest
import yaml

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
