"""The plan cache's key: the estate's variables, estate_plan's options and the collection's code."""

import json

from ansible_collections.impax.cluster_link.plugins.plugin_utils import plan_cache


def test_the_plan_key_covers_the_estate_the_options_and_the_code(tmp_path):
    (tmp_path / "module_utils").mkdir()
    code = tmp_path / "module_utils" / "planner.py"
    code.write_text("RULES = 1\n")
    before = plan_cache.code_digest(str(tmp_path))
    code.write_text("RULES = 2\n")
    assert plan_cache.code_digest(str(tmp_path)) != before
    raw = {"clusters": {"north": {"vars": {"impax_stations": [{"ae_title": "NTH_CT1"}]}}}}
    key = plan_cache.plan_key(raw, {"strict": None}, code="c")
    assert key == plan_cache.plan_key(json.loads(json.dumps(raw)), {"strict": None}, code="c")
    assert key != plan_cache.plan_key(raw, {"strict": True}, code="c")
    assert key != plan_cache.plan_key(raw, {"strict": None}, code="d")
    raw["clusters"]["north"]["vars"]["impax_stations"][0]["ae_title"] = "NTH_CT2"
    assert key != plan_cache.plan_key(raw, {"strict": None}, code="c")
