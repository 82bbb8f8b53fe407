"""Broken and hostile estates (tests/estates/hostile/cases.yml): each variant of the example estate is refused with
one finding at its cause (rule, cluster, file, field), or accepted on purpose - nothing in it runs, no planted
secret is repeated. The template family also runs through ansible-playbook (tests/playbooks/test_hostile_playbook.py).
"""

import json
import os
import shutil

import pytest
import yaml

from estate_helpers import ROOT, inventory_plan

EXAMPLE = os.path.join(ROOT, "inventories", "example")
with open(os.path.join(ROOT, "tests", "estates", "hostile", "cases.yml"), encoding="utf-8") as handle:
    CASES = yaml.safe_load(handle)


def hostile_copy(case, folder, marker):
    """The example estate with the case's edits applied, as text (YAML reads the file as a site wrote it)."""
    inventory = os.path.join(folder, "estate")
    shutil.copytree(EXAMPLE, inventory)
    for edit in case["edits"]:
        path = os.path.join(inventory, edit["file"])
        if "write" in edit:  # a file of its own
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(edit["write"].replace("MARKER", marker))
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert text.count(edit["replace"]) == 1, (case["id"], edit["replace"])
        replacement = edit["with"].replace("MARKER", marker)
        if edit.get("huge"):
            replacement = replacement.replace("HUGE", edit["huge"] * edit.get("huge_count", 1000000))
        text = text.replace(edit["replace"], replacement)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return inventory


def test_the_corpus_covers_every_family_with_distinct_cases():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    assert {"yaml", "templates", "secrets", "gateways", "dropped", "identity", "mappings", "size", "cascades",
            "accepted", "reading"} <= set(case["family"] for case in CASES)
    assert all(sum(key in case for key in ("refused", "accepted", "warned", "unreadable")) == 1 for case in CASES)
    assert all(("unreadable" in case) == (case["family"] == "reading") for case in CASES)


# the files ansible-core itself cannot read never reach the planner: tests/playbooks/test_hostile_playbook.py
PLANNED = [case for case in CASES if case["family"] != "reading"]


@pytest.mark.parametrize("case", PLANNED, ids=[case["id"] for case in PLANNED])
def test_a_hostile_estate_is_refused_at_its_cause_or_accepted_on_purpose(case, tmp_path):
    marker = str(tmp_path / "marker")
    plan = inventory_plan(hostile_copy(case, str(tmp_path), marker))
    blocking = [f for f in plan["findings"] if f["severity"] == "error"]
    if "accepted" in case:
        assert plan["valid"], blocking
    else:
        wanted = case.get("refused") or case["warned"]
        pool = blocking if "refused" in case else plan["findings"]
        at_cause = [f for f in pool if f["rule"] == wanted["rule"] and f["field"] == wanted["field"]
                    and f["cluster"] == wanted["cluster"]]
        assert len(at_cause) == 1, (wanted, [(f["rule"], f["cluster"], f["field"]) for f in pool])
        assert plan["valid"] is ("refused" not in case and not blocking), blocking
        if wanted.get("file"):
            assert (at_cause[0]["file"] or "").endswith(wanted["file"]), at_cause[0]
        if wanted.get("only"):  # the cause, once, and nothing that only follows from it
            assert blocking == at_cause, [(f["rule"], f["field"], f["message"][:80]) for f in blocking]
    assert len(json.dumps(plan)) < 1000000, "a huge value is repeated in the findings"
    assert not os.path.exists(marker), "a template in the estate ran"
    if case.get("secret"):
        assert case["secret"] not in json.dumps(plan), "the planted secret is in the plan"
