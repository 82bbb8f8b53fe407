#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the change_window action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: change_window
short_description: Decide per cluster whether a change may happen now (change windows, drift policy)
version_added: 0.1.0
description:
  - Evaluates each cluster's C(impax_cluster.change_windows) (days the window opens, start and end time, IANA
    time zone; a window may cross midnight) at O(now).
  - In C(rollout) mode a cluster outside all of its windows is refused with a clear message, unless
    O(force_reason) is given; a forced change is recorded (who, when, which clusters, why) in O(record_file).
    A cluster that declares no windows is not restricted.
  - With O(outside=skip) the clusters outside their windows are left out of the run instead (C(skipped)), so
    each site can be changed in its own window by the same scheduled job; the others go ahead.
  - In C(drift) mode it returns, per cluster and resource, whether a scheduled drift check may correct it now
    (C(impax_cluster.drift_policy) / C(impax_estate.drift_policy) - C(auto), C(window) = only inside a declared
    window that is open, or outside one with O(force_reason) - a forced correction, recorded - and C(report) =
    never), and in C(held_back) why a resource is not corrected and how to apply it.
author:
  - impax.cluster_link contributors (@impax)
options:
  index:
    description: The per-cluster index returned by M(impax.cluster_link.estate_plan).
    type: dict
    required: true
  mode:
    description: C(rollout) refuses clusters outside their windows; C(drift) decides corrections.
    type: str
    choices: [drift, rollout]
    default: rollout
  correct:
    description: In C(drift) mode, whether corrections were asked for at all.
    type: bool
    default: false
  now:
    description: The moment to decide for, ISO 8601 with a UTC offset; default the current time. Tests inject it.
    type: str
  force_reason:
    description: Change outside the window anyway, for this recorded reason (e.g. the change ticket).
    type: str
  outside:
    description:
      - In C(rollout) mode, what a cluster outside its windows does to the run - V(fail) refuses the whole run
        before anything is touched, V(skip) leaves that cluster out (listed in C(skipped)) and lets the others
        change.
    type: str
    choices: [fail, skip]
    default: fail
  locked_out:
    description:
      - In C(drift) mode, the clusters whose estate lock another run holds (M(impax.cluster_link.estate_lock)) - they
        are checked and reported, never corrected (C(locked_out) true in their decision).
    type: list
    elements: str
    default: []
  record_file:
    description:
      - JSON-lines file that receives one record per forced change (not written in check mode). A relative path is
        taken from the directory C(ansible-playbook) runs in.
      - Give it where the change goes ahead - the playbooks decide without it first, and record after the estate
        lock and every guard have let the run through, so a run refused later leaves no record.
    type: path
  playbook:
    description: The playbook that makes the change, written into the record.
    type: str
extends_documentation_fragment:
  - impax.cluster_link.controller
attributes:
  check_mode:
    support: full
    description: Decides the same way; a forced change is not recorded in check mode.
"""

EXAMPLES = r"""
- name: Refuse clusters outside their change windows
  impax.cluster_link.change_window:
    index: "{{ impax_estate_plan.index }}"
    mode: rollout
    force_reason: "{{ impax_force_reason | default(omit) }}"
    record_file: build/changes/forced.jsonl
"""

RETURN = r"""
clusters:
  description: Per cluster - C(open), C(window) (the open one), C(windows), C(allowed), C(forced), C(policy) and C(correct) per resource.
  returned: always
  type: dict
  sample: {"north": {"open": false, "allowed": true, "forced": true, "window": null,
                     "windows": ["sat,sun 22:00-04:00 Europe/Brussels"], "correct": {"hosts": true}}}
now:
  description: The moment decided for, in UTC.
  returned: always
  type: str
forced:
  description: The record of a forced change.
  returned: when a change was forced
  type: dict
skipped:
  description: The clusters left out of this run because they are outside their windows (O(outside=skip)).
  returned: in rollout mode
  type: list
  elements: str
"""
