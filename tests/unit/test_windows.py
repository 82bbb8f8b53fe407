"""Change windows with an injected "now": inside, outside, forced, time zones, crossing midnight."""

import pytest

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.windows import (
    WindowError, check_window, decide, parse_now, window_contains)

WEEKEND_NIGHT = {"days": ["sat", "sun"], "start": "22:00", "end": "04:00", "timezone": "Europe/Brussels"}
WEEKDAY_EVENING = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "20:00",
                   "timezone": "America/New_York"}


@pytest.mark.parametrize("now,inside", [
    ("2026-11-28T22:30:00+01:00", True),    # Saturday 22:30 in Brussels
    ("2026-11-28T21:59:00+01:00", False),   # a minute before it opens
    ("2026-11-29T03:59:00+01:00", True),    # Sunday early morning: Saturday's window, past midnight
    ("2026-11-29T04:00:00+01:00", False),   # closes at 04:00
    ("2026-11-30T02:00:00+01:00", True),    # Monday 02:00: Sunday's window crossing midnight
    ("2026-11-28T02:00:00+01:00", False),   # Saturday 02:00: Friday opened no window
    ("2026-11-28T21:30:00Z", True),         # the same instant written in UTC (22:30 in Brussels)
    ("2026-07-04T20:30:00Z", True),         # summer time: 22:30 CEST is 20:30 UTC
    ("2026-07-04T21:30:00Z", True),
    ("2026-07-04T19:59:00Z", False),        # 21:59 CEST
])
def test_weekend_night_window_crossing_midnight(now, inside):
    assert window_contains(WEEKEND_NIGHT, parse_now(now)) is inside


def test_time_zones_decide_which_day_it_is():
    # Friday 23:30 UTC is Friday 18:30 in New York: inside the weekday evening window there
    assert window_contains(WEEKDAY_EVENING, parse_now("2026-11-27T23:30:00Z"))
    # Saturday 00:30 UTC is still Friday 19:30 in New York
    assert window_contains(WEEKDAY_EVENING, parse_now("2026-11-28T00:30:00Z"))
    # Saturday 23:30 UTC is Saturday in New York: closed
    assert not window_contains(WEEKDAY_EVENING, parse_now("2026-11-28T23:30:00Z"))


def test_rollout_outside_a_window_is_refused_unless_forced_with_a_reason():
    clusters = {"north": {"change_windows": [WEEKEND_NIGHT]}, "east": {}}
    tuesday = parse_now("2026-11-24T10:00:00+01:00")
    refused = decide(clusters, tuesday, mode="rollout")
    assert refused["north"]["allowed"] is False and refused["north"]["open"] is False
    assert refused["east"]["allowed"] is True  # no windows declared: no restriction
    forced = decide(clusters, tuesday, mode="rollout", force_reason="CHG0042 emergency: CM replaced")
    assert forced["north"]["allowed"] is True and forced["north"]["forced"] is True
    inside = decide(clusters, parse_now("2026-11-28T23:00:00+01:00"), mode="rollout")
    assert inside["north"]["allowed"] and not inside["north"]["forced"]
    assert inside["north"]["window"] == "sat,sun 22:00-04:00 Europe/Brussels"


def test_drift_corrections_follow_the_policy_and_the_window():
    clusters = {"north": {"change_windows": [WEEKEND_NIGHT],
                          "drift_policy": {"network_management": "report"}},
                "east": {"drift_policy": {"mappings": "window"}}}
    tuesday = parse_now("2026-11-24T10:00:00+01:00")
    outside = decide(clusters, tuesday, correct=True)
    assert outside["north"]["correct"] == {"hosts": True, "network_management": False, "sources": False,
                                           "mappings": False, "dicom": True}
    # east declares no window: "window" resources are never corrected by a scheduled run
    assert outside["east"]["correct"]["mappings"] is False and outside["east"]["correct"]["hosts"] is True
    saturday = decide(clusters, parse_now("2026-11-28T23:00:00+01:00"), correct=True)
    assert saturday["north"]["correct"]["mappings"] is True
    assert saturday["north"]["correct"]["network_management"] is False  # report: never by itself
    assert all(not v for d in decide(clusters, tuesday, correct=False).values() for v in d["correct"].values())


def test_a_cluster_whose_estate_lock_another_run_holds_is_reported_not_corrected():
    clusters = {"north": {}, "east": {}}
    now = parse_now("2026-11-24T10:00:00+01:00")
    unlocked = decide(clusters, now, correct=True)
    decisions = decide(clusters, now, correct=True, locked_out=["east"])
    assert any(unlocked["east"]["correct"].values())  # east would correct something by its policy
    assert decisions["east"]["locked_out"] and not any(decisions["east"]["correct"].values())
    assert not decisions["north"]["locked_out"] and decisions["north"]["correct"] == unlocked["north"]["correct"]


def test_a_correcting_run_says_what_held_each_resource_back_and_marks_a_forced_correction():
    clusters = {"north": {"change_windows": [WEEKEND_NIGHT],
                          "drift_policy": {"network_management": "report", "mappings": "window"}},
                "east": {"drift_policy": {"mappings": "window"}},
                "west": {"drift_policy": {"network_management": "auto", "sources": "auto", "mappings": "auto"}}}
    tuesday = parse_now("2026-11-24T10:00:00+01:00")
    decisions = decide(clusters, tuesday, correct=True, locked_out=["west"])
    north = decisions["north"]
    # sources: the default policy (window)
    assert set(north["held_back"]) == {"network_management", "sources", "mappings"} and not north["forced"]
    assert "drift_policy report" in north["held_back"]["network_management"]
    assert ("no change window of north is open now (sat,sun 22:00-04:00 Europe/Brussels)" in north["held_back"]["mappings"]
            and "impax_force_reason" in north["held_back"]["mappings"])
    assert "east declares no change window" in decisions["east"]["held_back"]["mappings"]
    assert all("another run holds the estate lock of west" in why for why in decisions["west"]["held_back"].values())
    # a report-only run holds nothing back: it was not asked to correct
    assert "held_back" not in decide(clusters, tuesday)["north"]
    forced = decide(clusters, tuesday, correct=True, force_reason="CHG-7: fix mappings now")
    assert forced["north"]["forced"] and forced["north"]["correct"]["mappings"]
    assert "mappings" not in forced["north"]["held_back"] and forced["north"]["held_back"]["network_management"]
    assert not forced["west"]["forced"], "west has no window policy: nothing is forced there"
    inside = decide(clusters, parse_now("2026-11-28T23:00:00+01:00"), correct=True, force_reason="CHG-7")
    assert not inside["north"]["forced"], "inside the window nothing needs forcing"


def test_bad_windows_and_now_are_named():
    assert check_window(WEEKEND_NIGHT, "impax_cluster.change_windows[0]") == []
    problems = check_window({"days": ["someday"], "start": "25:00", "end": "4", "timezone": "Mars/Olympus"},
                            "impax_cluster.change_windows[1]")
    assert any("days: 'someday'" in p for p in problems)
    assert any("change_windows[1].start" in p for p in problems) and any(".end" in p for p in problems)
    assert any("Mars/Olympus" in p for p in problems)
    assert check_window({"days": ["sat"]}, "w") == ["w.start is required", "w.end is required", "w.timezone is required"]
    with pytest.raises(WindowError, match="no UTC offset"):
        parse_now("2026-11-28T22:00:00")
    with pytest.raises(WindowError, match="not an ISO 8601"):
        parse_now("saturday night")


def test_inventory_windows_are_checked_and_planned():
    from estate_helpers import base
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate

    raw = base()
    raw["clusters"]["a"]["vars"]["impax_cluster"]["change_windows"] = [
        {"days": ["sat"], "start": "22:00", "end": "04:00", "timezone": "Mars/Olympus"}]
    plan = plan_estate(raw)
    bad = [f for f in plan["findings"] if f["rule"] == "ICL101"]
    assert not plan["valid"] and bad[0]["cluster"] == "a"
    assert bad[0]["field"] == "impax_cluster.change_windows[0].timezone" and "Mars/Olympus" in bad[0]["message"]

    raw = base()
    raw["estate"]["drift_policy"] = {"mappings": "report"}
    raw["clusters"]["a"]["vars"]["impax_cluster"]["change_windows"] = [WEEKEND_NIGHT]
    raw["clusters"]["a"]["vars"]["impax_cluster"]["drift_policy"] = {"hosts": "window"}
    plan = plan_estate(raw)
    assert plan["valid"], plan["findings"]
    a = plan["clusters"]["a"]
    assert a["change_windows"] == [WEEKEND_NIGHT]
    assert a["drift_policy"] == {"hosts": "window", "network_management": "window", "sources": "window",
                                 "mappings": "report", "dicom": "auto"}
