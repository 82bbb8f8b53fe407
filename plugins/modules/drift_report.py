#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the drift_report action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: drift_report
short_description: Report drift (or the plan of a change) per cluster and resource, with a picture of the estate
version_added: 0.1.0
description:
  - Collects what the reconcile roles registered in a run of C(playbooks/drift_check.yml) (hosts tables on each
    node, Network Management, Source Manager, each mapping table, the DICOM registry) and classifies each
    target as C(in_sync), C(drift) (with the exact objects and fields), C(corrected), C(unreachable) or C(error).
  - Writes C(<name>.json), C(<name>.md), C(<name>.html) and the estate picture (C(<name>.dot), and
    C(<name>.svg) when Graphviz C(dot) is installed; it runs offline) into O(report_dir).
  - The estate's status is the worst of its resources'; C(exit_status) is what the runner of the C(drift_schedule) role exits with
    (0 in sync or corrected, 2 drift, 3 unreachable, 1 error).
author:
  - impax.cluster_link contributors (@impax)
options:
  plan:
    description: The plan returned by M(impax.cluster_link.estate_plan).
    type: dict
    required: true
  decisions:
    description: The C(clusters) returned by M(impax.cluster_link.change_window) in C(drift) mode.
    type: dict
    default: {}
  now:
    description: When the check ran (shown in the report).
    type: str
    required: true
  report_dir:
    description: Folder for the report files (created when missing).
    type: path
    required: true
  kind:
    description: C(drift) for a drift report, C(plan) for the plan of a change submitted for approval.
    type: str
    choices: [drift, plan]
    default: drift
  name:
    description: Base name of the files; default C(<kind>-<estate>).
    type: str
  max_deletions:
    description:
      - The deletion limit of the run the report is for, in place of each cluster's C(max_deletions) from the plan
        (the playbooks pass C(impax_max_deletions)). A resource whose drift deletes more is named in its message.
    type: int
  run_id:
    description:
      - Written into the JSON report as C(run_id), so the run that asked for the report can tell it from a report an
        earlier run left (the C(drift_schedule) role's runner passes C(impax_run_id)).
    type: str
extends_documentation_fragment:
  - impax.cluster_link.controller
attributes:
  check_mode:
    support: full
    description: The report is written in check mode too (it is what check mode is for).
"""

EXAMPLES = r"""
- name: Write the drift report
  impax.cluster_link.drift_report:
    plan: "{{ impax_estate_plan.plan }}"
    decisions: "{{ impax_drift_decisions.clusters }}"
    now: "{{ impax_drift_decisions.now }}"
    report_dir: build/reports
  register: impax_drift
"""

RETURN = r"""
status:
  description: The estate's status.
  returned: always
  type: str
  sample: drift
exit_status:
  description: The exit status a scheduler acts on.
  returned: always
  type: int
  sample: 2
report:
  description: The whole report (also written as JSON).
  returned: always
  type: dict
files:
  description: The files written, by kind (json, md, html, dot, svg).
  returned: always
  type: dict
summary:
  description: One line per cluster, one per drifted target and one per object.
  returned: always
  type: list
  elements: str
"""
