# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change windows and drift-correction policy.

A window is declared per cluster (``impax_cluster.change_windows``)::

    - {days: [sat, sun], start: "22:00", end: "04:00", timezone: Europe/Brussels}

``days`` are the days the window *opens* (a window that crosses midnight
closes the next day); times are wall-clock in the window's time zone (IANA
name), so daylight-saving changes are the zone's business, not the operator's.
``now`` is always injectable so every decision can be tested.
"""

from __future__ import annotations

import datetime

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # Python < 3.9: windows cannot be evaluated (the controller needs 3.11 anyway)
    ZoneInfo = None
    ZoneInfoNotFoundError = KeyError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RESOURCES = ["hosts", "network_management", "sources", "mappings", "dicom"]
POLICIES = ["auto", "window", "report"]
# What a scheduled run may correct by itself unless the inventory says otherwise.
DEFAULT_POLICY = {"hosts": "auto", "network_management": "window", "sources": "window", "mappings": "window",
                  "dicom": "auto"}


class WindowError(ValueError):
    """A window that cannot be evaluated; the message names the field."""


def _minutes(value, where):
    try:
        hours, minutes = str(value).split(":")
        hours, minutes = int(hours), int(minutes)
    except ValueError:
        raise WindowError("%s: %r is not a time HH:MM" % (where, value))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise WindowError("%s: %r is not a time between 00:00 and 24:00" % (where, value))
    return hours * 60 + minutes


def check_window(window, where):
    """Problems of one window declaration (empty when it is valid)."""
    problems = []
    for field in ("days", "start", "end", "timezone"):
        if field not in window:
            problems.append("%s.%s is required" % (where, field))
    if problems:
        return problems
    for day in window["days"]:
        if str(day).lower()[:3] not in DAYS:
            problems.append("%s.days: %r is not a day (mon..sun)" % (where, day))
    for field in ("start", "end"):
        try:
            _minutes(window[field], "%s.%s" % (where, field))
        except WindowError as exc:
            problems.append(str(exc))
    if ZoneInfo is None:
        problems.append("%s.timezone: time zones need Python 3.9 or later on the controller" % where)
    else:
        try:
            ZoneInfo(str(window["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append("%s.timezone: %r is not an IANA time zone (e.g. Europe/Brussels)" % (where, window["timezone"]))
    return problems


def parse_now(value=None):
    """An aware UTC datetime: ``value`` (ISO 8601, e.g. 2026-11-28T23:30:00+01:00) or the current time."""
    if value in (None, ""):
        return datetime.datetime.now(datetime.timezone.utc)
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise WindowError("now: %r is not an ISO 8601 date and time" % value)
    if moment.tzinfo is None:
        raise WindowError("now: %r has no UTC offset (write e.g. 2026-11-28T23:30:00+01:00)" % value)
    return moment.astimezone(datetime.timezone.utc)


def window_contains(window, now):
    """True when the aware datetime ``now`` falls inside ``window``."""
    local = now.astimezone(ZoneInfo(str(window["timezone"])))
    start = _minutes(window["start"], "start")
    end = _minutes(window["end"], "end")
    days = set(str(d).lower()[:3] for d in window["days"])
    minute = local.hour * 60 + local.minute
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    if start < end:
        return today in days and start <= minute < end
    # crosses midnight (or start == end: a whole day from start): the evening of an opening day, or
    # the early morning after it
    return (today in days and minute >= start) or (yesterday in days and minute < end)


def describe(window):
    return "%s %s-%s %s" % (",".join(str(d) for d in window["days"]), window["start"], window["end"], window["timezone"])


def open_window(windows, now):
    """The first window of ``windows`` that contains ``now``, or None."""
    for window in windows or ():
        if window_contains(window, now):
            return window
    return None


def decide(clusters, now, correct=False, force_reason=None, mode="drift", locked_out=()):
    """Per cluster: is a window open, and what may be changed now.

    ``clusters``: {name: {"change_windows": [...], "drift_policy": {resource: policy}}}.
    ``mode``: ``drift`` (scheduled check: ``correct`` asks to fix what the
    policy allows) or ``rollout`` (a deliberate change: refused outside the
    cluster's windows unless ``force_reason`` is given). For a rollout a
    cluster without windows is always open; a scheduled correction under the
    ``window`` policy needs a declared window that is open. ``locked_out``: the
    clusters whose estate lock another run holds - a drift check only reports them.
    """
    decisions = {}
    for name in sorted(clusters):
        windows = clusters[name].get("change_windows") or []
        window = open_window(windows, now)
        is_open = not windows or window is not None
        policy = dict(DEFAULT_POLICY, **(clusters[name].get("drift_policy") or {}))
        decision = {"windows": [describe(w) for w in windows], "open": is_open,
                    "window": describe(window) if window else None, "policy": policy, "forced": False}
        if mode == "rollout":
            decision["allowed"] = is_open or bool(force_reason)
            decision["forced"] = not is_open and bool(force_reason)
            decision["correct"] = dict((r, decision["allowed"]) for r in RESOURCES)
        else:
            # a scheduled correction under the "window" policy needs a declared window that is open now
            in_window = window is not None or bool(force_reason)
            decision["correct"] = dict(
                (r, bool(correct) and name not in locked_out and (policy[r] == "auto" or (policy[r] == "window" and in_window)))
                for r in RESOURCES)
            decision["allowed"] = True
            decision["locked_out"] = name in locked_out
            # forced: a correction the window policy holds back outside every window, made anyway for the reason
            decision["forced"] = bool(correct and force_reason and window is None and name not in locked_out
                                      and any(policy[r] == "window" for r in RESOURCES))
            if correct:
                decision["held_back"] = dict((r, _held_back(name, policy[r], windows, name in locked_out))
                                             for r in RESOURCES if not decision["correct"][r])
        decisions[name] = decision
    return decisions


def _held_back(name, policy, windows, locked_out):
    """Why a correcting drift check leaves a resource of cluster ``name`` as it is, and how to correct it."""
    if locked_out:
        return "not corrected: another run holds the estate lock of %s; the next drift check corrects it" % name
    if policy == "report":
        return ("not corrected: drift_policy report (a scheduled run never corrects it); apply the inventory with "
                "link-clusters.yml, or set drift_policy to auto or window")
    if not windows:
        return ("not corrected: drift_policy window, but %s declares no change window; declare one "
                "(impax_cluster.change_windows) or force with -e \"impax_force_reason='<ticket>'\"" % name)
    return ("not corrected: drift_policy window and no change window of %s is open now (%s); the check in the next "
            "window corrects it, or force now with -e \"impax_force_reason='<ticket>'\"" % (name, " | ".join(
                describe(w) for w in windows)))
