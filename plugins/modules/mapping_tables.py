#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mapping_tables
short_description: Reconcile a cluster's IMPAX group-mapping tables together, in one transaction
version_added: 0.2.0
description:
  - Makes each mapping table O(config) names (Body Part, Specialty, Patient Location) what it says, in one call
    and one transaction - typically the estate's supersets. A table O(config) does not name is left alone.
  - Every table is read and planned before anything is written, and the writes of all of them are committed
    together or not at all; a guard refusing one table (O(max_deletions), a row missing a field) writes none.
  - Each table is reconciled as M(impax.cluster_link.mapping_rows) reconciles one; see there for keys (source
    pattern, case-sensitive) and what a changed pattern means.
  - One call instead of one per table, because on a converged estate each call's start-up on the node is most of its
    cost (docs/benchmarks.md).
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.config_db
options:
  config:
    description:
      - The rows of each table, by table. V(gathered) returns the same shape.
      - O(protected), O(allow_empty) and O(max_deletions) apply to each table on its own.
    type: dict
    suboptions:
      body_part:
        description: The Body Part mapping rows.
        type: list
        elements: dict
        suboptions: &rows
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
      specialty:
        description: The Specialty mapping rows.
        type: list
        elements: dict
        suboptions: *rows
      patient_location:
        description: The Patient Location mapping rows (optional in IMPAX).
        type: list
        elements: dict
        suboptions: *rows
  from_plan:
    description:
      - Take a table's rows from the plan on the controller instead of from the task - for each table, a reference
        from the C(index) that M(impax.cluster_link.estate_plan) returns (C(index.<cluster>.slices.mappings)).
      - The action plugin reads each file on the controller, refuses one whose SHA-256 is not the planned one, and
        sends its text; the module checks it again before it takes the rows. A table may not be given in both
        O(config) and O(from_plan).
    type: dict
    suboptions:
      body_part:
        description: The Body Part rows' slice.
        type: dict
        suboptions: &slice
          file:
            description: The slice file on the controller.
            type: path
            required: true
          sha256:
            description: SHA-256 of the file's bytes, as planned.
            type: str
            required: true
          drop_keys:
            description: Keys of each object to leave out.
            type: list
            elements: str
            default: []
      specialty:
        description: The Specialty rows' slice.
        type: dict
        suboptions: *slice
      patient_location:
        description: The Patient Location rows' slice.
        type: dict
        suboptions: *slice
  gather:
    description: The tables V(gathered) reads.
    type: list
    elements: str
    choices: [body_part, specialty, patient_location]
    default: [body_part, specialty, patient_location]
attributes:
  action:
    support: full
    description: An action plugin reads O(from_plan) on the controller (before the module, when it runs on a target).
"""

EXAMPLES = r"""
- name: The mapping supersets of the estate on this cluster, all or nothing
  impax.cluster_link.mapping_tables:
    database: {path: /var/lib/impax/config.sqlite}
    state: overridden
    config:
      body_part: "{{ plan.clusters.harbor.mappings.body_part }}"
      specialty: "{{ plan.clusters.harbor.mappings.specialty }}"

- name: Read every mapping table (the result's gathered is a valid config)
  impax.cluster_link.mapping_tables:
    database: {path: /var/lib/impax/config.sqlite}
    state: gathered
  register: mappings
"""

RETURN = r"""
tables:
  description:
    - For each table of O(config), what M(impax.cluster_link.mapping_rows) returns for one table - C(changed),
      C(before), C(after), C(count_before), C(count_after) and C(commands) (see the config_db documentation
      fragment).
  returned: for merged, replaced, overridden and deleted
  type: dict
  sample: {specialty: {changed: true, count_before: 1000, count_after: 1001, before: [],
                       after: [{pattern: "%NEURO%", rule: 40, label: Neuro}], commands: []}}
gathered:
  description: Each table of O(gather) in O(config) shape.
  returned: for gathered
  type: dict
rendered:
  description: Each table of O(config) with defaults filled in, as it would be stored.
  returned: for rendered
  type: dict
commands:
  description: For rendered, each table's INSERT statements and parameters.
  returned: for rendered
  type: dict
statements_executed:
  description: Number of SQL statements run, for all tables together.
  returned: when connected
  type: int
"""

from ansible_collections.impax.cluster_link.plugins.module_utils import list_module
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import LargeListModule
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MAPPING_ROWS, argspec

TABLES = ("body_part", "specialty", "patient_location")


def argument_spec():
    spec = list_module.common_argument_spec(MAPPING_ROWS)
    spec["config"] = dict(type="dict", options=dict(
        (table, dict(type="list", elements="dict", options=argspec(MAPPING_ROWS))) for table in TABLES))
    spec["from_plan"] = dict(type="dict", options=dict((table, dict(FROM_PLAN)) for table in TABLES))
    spec["gather"] = dict(type="list", elements="str", choices=list(TABLES), default=list(TABLES))
    return spec


def main():
    module = LargeListModule(argument_spec=argument_spec(),
                             large_lists=tuple("config.%s" % table for table in TABLES),
                             plan_refs=dict(("from_plan.%s" % table, "config.%s" % table) for table in TABLES),
                             required_if=list_module.required_if(), supports_check_mode=True)
    refs = module.params["from_plan"] or {}
    unresolved = [table for table in TABLES if refs.get(table) is not None]
    if unresolved:
        module.fail_json(msg="from_plan is read on the controller by this module's action plugin, which did not run "
                             "(%s); call the module as a task (impax.cluster_link.mapping_tables)" % ", ".join(unresolved))
    module.params["from_plan"] = None
    config = module.params["config"] or {}
    if module.params["state"] == "gathered":
        tables = [(table, table, []) for table in TABLES if table in module.params["gather"]]
    else:
        tables = [(table, table, config[table]) for table in TABLES if config.get(table) is not None]
    list_module.run_tables(module, MAPPING_ROWS, tables)


if __name__ == "__main__":
    main()
