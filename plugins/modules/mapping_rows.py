#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mapping_rows
short_description: Reconcile one IMPAX group-mapping table (Body Part, Specialty, Patient Location)
version_added: 0.1.0
description:
  - Makes one mapping table of a cluster what O(config) says, in one call and one transaction - typically the
    estate's superset.
  - Rows are keyed by source pattern, compared case-sensitively. A pattern cannot be edited in IMPAX (KB 9496), so a
    changed pattern is a delete of the old row and a create of the new one; rule number and label are updated in
    place.
  - Saving a mapping applies it to new studies only; the managers' Update button (Body Part, Specialty) re-applies
    it to existing studies and is left to the operator (KB 9496, 9502).
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.config_db
  - impax.cluster_link.plan_slice
options:
  table:
    description: Which mapping table.
    type: str
    required: true
    choices: [body_part, specialty, patient_location]
  config:
    description: The rows.
    type: list
    elements: dict
    suboptions:
      pattern:
        description: Source Pattern, the key; case-sensitive, C(%) is the wildcard.
        type: str
        required: true
      rule:
        description: Rule Number; the lowest matching number wins (needed to create a row).
        type: int
      label:
        description: Body Part, Specialty or Mapped Location (needed to create a row).
        type: str
"""

EXAMPLES = r"""
- name: The Specialty superset of the estate on this cluster
  impax.cluster_link.mapping_rows:
    database: {path: /var/lib/impax/config.sqlite}
    table: specialty
    state: overridden
    config: "{{ plan.clusters.harbor.mappings.specialty }}"
"""

RETURN = r"""
# see the config_db documentation fragment for before, after, commands, gathered, rendered, statements_executed
"""

from ansible_collections.impax.cluster_link.plugins.module_utils import list_module
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import LargeListModule
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MAPPING_ROWS


def main():
    spec = list_module.common_argument_spec(MAPPING_ROWS)
    spec["table"] = dict(type="str", required=True, choices=["body_part", "specialty", "patient_location"])
    module = LargeListModule(argument_spec=spec, large_lists=("config",), required_if=list_module.required_if(),
                             supports_check_mode=True)
    list_module.run(module, MAPPING_ROWS, module.params["table"])


if __name__ == "__main__":
    main()
