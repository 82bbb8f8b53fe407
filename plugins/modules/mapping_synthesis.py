#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the mapping_synthesis action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mapping_synthesis
short_description: Propose one global rule order for each shared IMPAX mapping table
version_added: 0.1.0
description:
  - Linked clusters carry the same Body Part and Specialty tables, but IMPAX picks the matching row with the
    lowest rule number, so a naive union lets one site's row take another site's descriptions (shadowing).
  - This plugin renumbers the union so that each site's rows keep their relative order, every description of a
    site's evidence (C(impax_mapping_samples) and the optional corpus CSV named by C(impax_mapping_corpus)) that
    the site's own rows label keeps its label, and free rows are ordered most specific first, catch-alls last,
    in steps of O(step).
  - Where sites contradict each other it reports each conflict with the descriptions and rows on both sides and
    a suggested fix, and still returns the best order for everything else.
  - Runs on the controller only and never writes to a cluster; C(playbooks/synthesize_mappings.yml) writes the
    proposal into the inventory for review. See C(docs/mappings.md).
author:
  - impax.cluster_link contributors (@impax)
options:
  clusters_group:
    description: Inventory group whose children are the clusters.
    type: str
    default: impax_clusters
  tables:
    description: Tables to synthesise; default every shared table of the estate.
    type: list
    elements: str
    choices: [body_part, specialty, patient_location]
  step:
    description: Distance between consecutive rule numbers.
    type: int
    default: 10
extends_documentation_fragment:
  - impax.cluster_link.controller
attributes:
  check_mode:
    support: full
    description: Reads only; the result is the same in check mode.
notes:
  - A corpus is a CSV of C(description,count) (header optional), for example exported from a site's study list.
    Relative paths are relative to the inventory directory.
"""

EXAMPLES = r"""
- name: Propose the global tables
  impax.cluster_link.mapping_synthesis:
  register: impax_synthesis

- name: Show conflicts and per-site label changes
  ansible.builtin.debug:
    msg: "{{ impax_synthesis.summary }}"
"""

RETURN = r"""
superset:
  description: The proposed tables, ready for C(impax_mapping_superset).
  returned: success
  type: dict
  sample: {"specialty": [{"pattern": "%HEAD%", "rule": 10, "label": "NEURO", "sites": ["north"]}]}
synthesis:
  description: >-
    Per table - C(rows), C(conflicts) (kind C(cycle), C(label), C(order) or C(catch_all), with C(message),
    C(suggestion), the C(broken) constraint and the C(cycle) that forced it), C(relaxed) (site orders given up
    where they change no label), C(gained) (descriptions no local row matched that gain a label), C(unevidenced)
    (structural shadowing no evidence decides) and C(report) (per site, descriptions changed under the naive
    union and under the proposal, with examples).
  returned: success
  type: dict
summary:
  description: One line per table and site, and one per conflict.
  returned: success
  type: list
  elements: str
estate:
  description: The estate's name.
  returned: success
  type: str
"""
