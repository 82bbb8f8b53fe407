"""The plan's large lists as files handed to the modules by reference (plugin_utils/plan_slices.py)."""

import json
import os
import time

import pytest

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import (
    CLUSTER_LISTS, KEEP_SECONDS, MAPPING_ROWS, PlanSliceError, load_slice, module_items, write_slices)

from estate_helpers import ROOT, inventory_raw
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate

EXAMPLE = os.path.join(ROOT, "inventories", "example")


@pytest.fixture(scope="module")
def plan():
    result = plan_estate(inventory_raw(EXAMPLE))
    assert result["valid"]
    return result


def test_every_list_round_trips_and_identical_lists_share_one_file(plan, tmp_path):
    refs = write_slices(plan, str(tmp_path / "slices"))
    assert sorted(refs) == sorted(plan["clusters"])
    for name, cluster in plan["clusters"].items():
        for key, (options, meta) in CLUSTER_LISTS.items():
            assert load_slice(refs[name][key]) == [dict((k, v) for k, v in item.items() if k not in meta)
                                                   for item in cluster[key]]
        for table, rows in cluster["mappings"].items():
            assert load_slice(refs[name]["mappings"][table]) == rows
        assert load_slice(refs[name]["hosts_table"]) == plan["hosts_table"]
    # the hosts table is the same for every cluster: one file; sources differ (a remote source is a Visitor)
    assert len(set(r["hosts_table"]["file"] for r in refs.values())) == 1
    assert len(set(r["sources"]["file"] for r in refs.values())) == len(refs)
    # writing the same plan again changes nothing (content-addressed names)
    before = dict((f, os.path.getmtime(tmp_path / "slices" / f)) for f in os.listdir(tmp_path / "slices"))
    assert write_slices(plan, str(tmp_path / "slices")) == refs
    assert dict((f, os.path.getmtime(tmp_path / "slices" / f)) for f in os.listdir(tmp_path / "slices")) == before


def test_slices_hold_what_the_modules_take_and_a_planner_defect_is_refused(plan, tmp_path):
    name = sorted(plan["clusters"])[0]
    refs = write_slices(plan, str(tmp_path))[name]
    stations = load_slice(refs["network_management"])
    assert stations and all("kind" not in s and "home_cluster" not in s and "ae_title" in s for s in stations)
    sources = load_slice(refs["sources"])
    assert sources and all("home_cluster" not in s and "home_cm" in s for s in sources)
    # an object the module would refuse never reaches a slice: the planner's own defect, named
    broken = dict(plan, clusters=dict(plan["clusters"], **{name: dict(plan["clusters"][name], sources=[
        dict(plan["clusters"][name]["sources"][0], his_notifications=["bogus"])])}))
    with pytest.raises(PlanSliceError, match="sources of %s does not fit its module.*his_notifications" % name):
        write_slices(broken, str(tmp_path / "other"))
    with pytest.raises(PlanSliceError, match="items.colour"):
        module_items([{"pattern": "A%", "rule": 1, "label": "X", "colour": "red"}], MAPPING_ROWS, "x")


def test_a_changed_or_missing_slice_is_refused(plan, tmp_path):
    name = sorted(plan["clusters"])[0]
    ref = write_slices(plan, str(tmp_path))[name]["sources"]
    data = json.loads(open(ref["file"]).read())
    data[0]["institution"] = "Somewhere Else"
    with open(ref["file"], "w") as handle:
        json.dump(data, handle, sort_keys=True, separators=(",", ":"))
    with pytest.raises(PlanSliceError, match="not the one planned"):
        load_slice(ref)
    with pytest.raises(PlanSliceError, match="cannot read the plan slice"):
        load_slice(dict(ref, file=str(tmp_path / "gone.json")))
    with pytest.raises(PlanSliceError, match="needs file and sha256"):
        load_slice({"file": ref["file"]})


def test_old_slices_of_other_plans_are_cleaned_recent_ones_kept(plan, tmp_path):
    old, recent = tmp_path / ("0" * 64 + ".json"), tmp_path / ("1" * 64 + ".json")
    for path in (old, recent):
        path.write_text("[]")
    past = time.time() - KEEP_SECONDS - 60
    os.utime(old, (past, past))
    write_slices(plan, str(tmp_path))
    assert not old.exists() and recent.exists()


def test_by_reference_keeps_the_first_findings_errors_first(plan):
    """The registered plan keeps 100 findings (the plan is sorted errors first) and says how many it left out."""
    from ansible_collections.impax.cluster_link.plugins.action.estate_plan import FINDINGS_KEPT, by_reference
    many = dict(plan, findings=[{"rule": "ICL001", "severity": "error", "n": 0}] +
                [{"rule": "ICL203", "severity": "warning", "n": i} for i in range(1, 250)])
    slim = by_reference(many)
    assert len(slim["findings"]) == FINDINGS_KEPT == 100 and slim["findings_left_out"] == 150
    assert slim["findings"][0]["severity"] == "error" and slim["findings"] == many["findings"][:100]
    assert "hosts_table" not in slim and all("sources" not in c for c in slim["clusters"].values())
    assert len(many["findings"]) == 250, "the plan itself is left as it is"
    few = by_reference(dict(plan, findings=many["findings"][:3]))
    assert few["findings"] == many["findings"][:3] and "findings_left_out" not in few


def test_summary_lists_a_few_findings_per_rule_then_how_many_more(plan):
    from ansible_collections.impax.cluster_link.plugins.action.estate_plan import summary_lines
    finding = {"rule": "ICL203", "severity": "warning", "cluster": "north", "file": None, "field": "impax_mappings",
               "message": "shadowed", "kb_topic": "10665", "object": None}
    many = dict(plan, findings=[dict(finding, message="shadowed %d" % i) for i in range(45)] +
                [dict(finding, rule="ICL020", message="once")])
    lines = summary_lines(many, 20, "build/plan-x.json")
    assert sum("shadowed" in line for line in lines) == 20 and sum("once" in line for line in lines) == 1
    assert lines[-1] == "... and 25 more warning ICL203 findings (every finding is in build/plan-x.json)"
    assert sum("shadowed" in line for line in summary_lines(many)) == 45, "0: every finding"
