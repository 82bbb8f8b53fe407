#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the rollout_summary action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_summary
short_description: Summarise, per cluster, what a link-clusters rollout changed and verified
version_added: 0.1.0
description:
  - Reads the results the rollout's roles registered on each node of each cluster of O(index) - hosts tables,
    Network Management, Source Manager, mappings, DICOM gateway, verification - and returns one line and one
    structured record per cluster.
  - Runs on the controller only and changes nothing.
author:
  - impax.cluster_link contributors (@impax)
options:
  index:
    description: The C(index) that C(impax.cluster_link.estate_plan) returns (per cluster, its nodes, database node
      and gateway nodes).
    type: dict
    required: true
  skipped:
    description: Clusters left out of the run (outside their change window); shown as such instead of "not run".
    type: list
    elements: str
    default: []
  guards:
    description:
      - Instead of a summary, collect what a real run would refuse (RV(refused)) from every stage result the nodes
        registered, and fail naming each refusal - the check before the first write in C(link_clusters.yml), run
        after its stages ran once in check mode. In check mode it reports without failing.
    type: bool
    default: false
extends_documentation_fragment:
  - impax.cluster_link.controller
attributes:
  check_mode:
    support: full
    description: Reads only.
"""

EXAMPLES = r"""
- name: Summarise the rollout
  impax.cluster_link.rollout_summary:
    index: "{{ impax_estate_plan.index }}"
  register: rollout

- name: Show it
  ansible.builtin.debug:
    msg: "{{ rollout.summary }}"
"""

RETURN = r"""
refused:
  description: "With O(guards), each refusal as C(cluster <name>, <node>: <what>)."
  returned: with O(guards)
  type: list
  elements: str
summary:
  description: One line per cluster.
  returned: unless O(guards)
  type: list
  elements: str
clusters:
  description:
    - Per cluster and stage - changed nodes, operations, the node that ran it, broken links.
    - C(dicom_gateway) has one entry per gateway node (C(nodes.<node>)); C(verify.broken) names each broken pair as
      C(source CM -> target).
  returned: unless O(guards)
  type: dict
"""
