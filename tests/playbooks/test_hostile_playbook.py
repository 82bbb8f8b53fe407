"""The hostile estates whose danger is in Ansible's own reading of the inventory (templates, secrets), run the way a
user runs them: ansible-playbook playbooks/plan.yml. Nothing runs, nothing planted is printed, the cause is named."""

import os
import sys

import pytest

from test_plan_playbooks import ROOT, run

sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
from test_hostile_estates import CASES, hostile_copy  # noqa: E402

REAL = [case for case in CASES if case["family"] in ("templates", "secrets") or case["id"].startswith("alias-bomb")]
UNREADABLE = [case for case in CASES if "unreadable" in case]


@pytest.mark.parametrize("case", REAL, ids=[case["id"] for case in REAL])
def test_plan_yml_refuses_or_accepts_without_running_or_printing_anything(case, tmp_path):
    marker = str(tmp_path / "marker")
    inventory = hostile_copy(case, str(tmp_path), marker)
    plan_file = tmp_path / "plan.json"
    result = run("playbooks/plan.yml", "-i", inventory, "-e", "impax_plan_file=%s" % plan_file)
    output = result.stdout + result.stderr
    assert not os.path.exists(marker), "a template in the estate ran:\n" + output[-3000:]
    if "accepted" in case:
        assert result.returncode == 0, output[-3000:]
    else:
        wanted = case["refused"]
        assert result.returncode != 0, output[-3000:]
        assert "%s error [cluster %s" % (wanted["rule"], wanted["cluster"]) in output or wanted["cluster"] is None, output[-3000:]
        assert wanted["field"] in output and "nothing was changed" in output, output[-3000:]
    if case.get("secret"):
        written = plan_file.read_text() if plan_file.exists() else ""
        assert case["secret"] not in output and case["secret"] not in written, "the planted secret was printed"


def test_a_failed_plan_names_the_cause_once_and_counts_the_rest(tmp_path):
    case = [c for c in CASES if c["id"] == "cm-port-out-of-range"][0]
    inventory = hostile_copy(case, str(tmp_path), str(tmp_path / "marker"))
    plan_file = tmp_path / "plan.json"
    result = run("playbooks/plan.yml", "-i", inventory, "-e", "impax_plan_file=%s" % plan_file)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count("port 99999 is outside 1 to 65535") == 1, output  # the cause, once
    assert "info finding(s); every finding is in %s" % plan_file in output, output
    written = __import__("json").loads(plan_file.read_text())
    infos = [f for f in written["findings"] if f["severity"] == "info"]
    assert infos and not any(f["message"][:60] in output for f in infos), "an info finding was printed"
    assert len(output.splitlines()) < 100, len(output.splitlines())


@pytest.mark.parametrize("case", UNREADABLE, ids=[case["id"] for case in UNREADABLE])
def test_a_file_ansible_cannot_read_is_named_with_its_line_and_nothing_runs(case, tmp_path):
    inventory = hostile_copy(case, str(tmp_path), str(tmp_path / "marker"))
    plan_file = tmp_path / "plan.json"
    result = run("playbooks/plan.yml", "-i", inventory, "-e", "impax_plan_file=%s" % plan_file)
    output = result.stdout + result.stderr
    wanted = case["unreadable"]
    assert result.returncode != 0, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("[ERROR]")]
    assert len(errors) == 1, output[-3000:]  # one error, at the file
    expected = os.path.join(inventory, wanted["file"]) + (" " + wanted["where"] if wanted.get("where") else "")
    assert expected in errors[0] and wanted["says"] in errors[0], errors[0][:500]
    assert "Nothing was run" in errors[0] and "_AnsibleTagged" not in output
    assert not plan_file.exists(), "the planner ran on an estate Ansible could not read"
