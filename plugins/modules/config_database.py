#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_database
short_description: Reconcile a cluster's Network Management, Source Manager and mapping tables in one transaction
version_added: 0.3.0
description:
  - Makes the parts of one IMPAX cluster's configuration database that the task names what it says, in one call
    and one transaction - O(network_management) (as M(impax.cluster_link.network_stations)), O(sources) (as
    M(impax.cluster_link.source_stations)) and O(mappings) (as M(impax.cluster_link.mapping_tables)). A part the
    task does not name is left alone.
  - Every table is read and planned before anything is written, and the writes of all of them are committed
    together or not at all - a cluster never holds the new Network Management with the old Source Manager. A
    guard refusing one table (O(max_deletions), a row missing a field, a contradicting linking flag, an
    archiving visitor) writes none.
  - One call instead of one per resource, because on a converged estate each call's start-up on the node is most
    of its cost (docs/benchmarks.md). The C(config_database) role runs it, with the application service reset
    when cluster linking changed.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.config_db
options:
  state:
    description:
      - For each part, as its own module - V(merged) creates missing objects and updates only the fields given;
        V(replaced) makes each listed object exactly as given; V(overridden) is replaced plus deleting every object
        not listed, except protected ones; V(deleted) deletes the listed keys; V(gathered) reads the tables of
        O(gather) and returns them in the options' shape; V(rendered) returns the rows and statements for the lists
        given, without connecting.
    type: str
    default: merged
    choices: [merged, replaced, overridden, deleted, gathered, rendered]
  protected:
    description:
      - Keys never deleted from any table of the call, besides each part's own O(network_management.protected)
        and O(sources.protected).
    type: list
    elements: str
    default: []
  allow_empty:
    description:
      - Allow V(overridden) with an empty list in every part, which deletes every unprotected object of its table;
        each part also has its own (O(network_management.allow_empty), O(sources.allow_empty),
        O(mappings.allow_empty)).
    type: bool
    default: false
  network_management:
    description: The Network Management stations.
    type: dict
    suboptions:
      config:
        description:
          - The stations, each with the suboptions of O(impax.cluster_link.network_stations#module:config) (checked
            the same way, with the same messages).
        type: list
        elements: dict
      from_plan:
        description: The stations' slice (C(index.<cluster>.slices.network_management)), as O(mappings.from_plan).
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
            description: Keys of each object to leave out (the plan's planning-only keys).
            type: list
            elements: str
            default: []
      protected:
        description: AE titles never deleted (the cluster's own system stations the estate does not list).
        type: list
        elements: str
        default: []
      allow_empty:
        description: Allow V(overridden) with an empty O(network_management.config) (or O(allow_empty) for every part).
        type: bool
        default: false
  sources:
    description: The Source Manager sources.
    type: dict
    suboptions:
      config:
        description:
          - The sources, each with the suboptions of O(impax.cluster_link.source_stations#module:config).
        type: list
        elements: dict
      from_plan:
        description: The sources' slice (C(index.<cluster>.slices.sources)), as O(mappings.from_plan).
        type: dict
        suboptions: *slice
      protected:
        description: AE titles never deleted.
        type: list
        elements: str
        default: []
      allow_empty:
        description: Allow V(overridden) with an empty O(sources.config) (or O(allow_empty) for every part).
        type: bool
        default: false
  mappings:
    description: The mapping tables; a table not named is left alone.
    type: dict
    suboptions:
      allow_empty:
        description: Allow V(overridden) with an empty table (or O(allow_empty) for every part).
        type: bool
        default: false
      config:
        description: The rows of each table, each row with the suboptions of M(impax.cluster_link.mapping_rows).
        type: dict
        suboptions:
          body_part:
            description: The Body Part mapping rows.
            type: list
            elements: dict
          specialty:
            description: The Specialty mapping rows.
            type: list
            elements: dict
          patient_location:
            description: The Patient Location mapping rows (optional in IMPAX).
            type: list
            elements: dict
      from_plan:
        description:
          - Take a part's rows from the plan on the controller instead of from the task - for each table, a reference
            from the C(index) that M(impax.cluster_link.estate_plan) returns (C(index.<cluster>.slices.mappings)).
          - The action plugin reads each file on the controller, refuses one whose SHA-256 is not the planned one,
            and sends its text; the module checks it again before it takes the rows. A list may not be given in
            both O(mappings.config) and O(mappings.from_plan) (nor the stations or sources in both of theirs).
        type: dict
        suboptions:
          body_part:
            description: The Body Part rows' slice.
            type: dict
            suboptions: *slice
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
    choices: [network_management, sources, body_part, specialty, patient_location]
    default: [network_management, sources, body_part, specialty, patient_location]
attributes:
  action:
    support: full
    description: An action plugin reads the slices on the controller (before the module, when it runs on a target).
"""

EXAMPLES = r"""
- name: A cluster's stations, sources and mapping supersets, all or nothing
  impax.cluster_link.config_database:
    database: {path: /var/lib/impax/config.sqlite}
    state: overridden
    max_deletions: 50
    network_management:
      config: "{{ plan.clusters.harbor.network_management }}"
      protected: [HBR_CM]
    sources:
      config: "{{ plan.clusters.harbor.sources }}"
    mappings:
      config:
        body_part: "{{ plan.clusters.harbor.mappings.body_part }}"
        specialty: "{{ plan.clusters.harbor.mappings.specialty }}"
  register: cluster_database

- name: Read the whole configuration (gathered is a valid input of each part)
  impax.cluster_link.config_database:
    database: {path: /var/lib/impax/config.sqlite}
    state: gathered
  register: current
"""

RETURN = r"""
network_management:
  description:
    - What M(impax.cluster_link.network_stations) returns - C(changed), C(before), C(after), C(count_before),
      C(count_after), C(commands) and C(linking_changed), the application service reset's trigger.
  returned: for merged, replaced, overridden and deleted, when O(network_management) is given
  type: dict
sources:
  description: What M(impax.cluster_link.source_stations) returns.
  returned: for merged, replaced, overridden and deleted, when O(sources) is given
  type: dict
mappings:
  description: What M(impax.cluster_link.mapping_tables) returns - C(changed) and each table's result in C(tables).
  returned: for merged, replaced, overridden and deleted, when O(mappings) is given
  type: dict
  sample: {changed: false, tables: {body_part: {changed: false, count_before: 3006, count_after: 3006}}}
gathered:
  description:
    - Each table of O(gather) - C(network_management) and C(sources) as lists, C(mappings) as a dict of tables -
      in the shape the options take.
  returned: for gathered
  type: dict
rendered:
  description: The same shape as C(gathered), for each list the task gives, with defaults filled in.
  returned: for rendered
  type: dict
commands:
  description: For rendered, the INSERT statements and parameters, in the same shape.
  returned: for rendered
  type: dict
statements_executed:
  description: Number of SQL statements run, for all tables together (one read per table, one per changed object,
    one verifying read per changed table).
  returned: when connected
  type: int
fingerprint_matched:
  description:
    - The parts the action plugin sent as a fingerprint (in place of the list), each found exactly so in its
      table - the converged re-run's short way (module_utils/fingerprints).
  returned: when the action plugin sent probes and every table matched
  type: list
  elements: str
  sample: [network_management, sources, mappings.body_part]
needs_content:
  description:
    - The parts whose table is not exactly the list their probe stands for (the action plugin then runs the
      module again with the lists; a task never ends with it). Nothing was written.
  returned: when the action plugin sent probes and a table differs
  type: list
  elements: str
service_unreachable:
  description: On a database failure, true when the database could not be reached at all, false when it answered
    and refused.
  returned: when the database failed
  type: bool
"""

import copy

from ansible_collections.impax.cluster_link.plugins.module_utils import list_module
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import LargeListModule
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN, get_path
from ansible_collections.impax.cluster_link.plugins.module_utils.reconcile import ACTION_STATES
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    MAPPING_ROWS, NETWORK_STATIONS, SOURCE_STATIONS, archiving_visitors, argspec, linking_changed,
    linking_flag_problems)

TABLES = ("body_part", "specialty", "patient_location")
# the station parts: option, resource, table profile key
STATIONS = (("network_management", NETWORK_STATIONS, "network_stations"), ("sources", SOURCE_STATIONS, "source_stations"))
GATHER = ("network_management", "sources") + TABLES
# each list the module takes, with the suboptions its items are checked against (large_lists.item_options)
ITEM_OPTIONS = dict([("%s.config" % name, argspec(resource)) for name, resource, _key in STATIONS]
                    + [("mappings.config.%s" % table, argspec(MAPPING_ROWS)) for table in TABLES])
PLAN_REFS = dict([("%s.from_plan" % name, "%s.config" % name) for name, _r, _k in STATIONS]
                 + [("mappings.from_plan.%s" % table, "mappings.config.%s" % table) for table in TABLES])


def argument_spec():
    spec = list_module.common_argument_spec(MAPPING_ROWS)
    del spec["config"], spec["from_plan"]
    items = dict(type="list", elements="dict")
    for name, _resource, _key in STATIONS:
        spec[name] = dict(type="dict", options=dict(config=dict(items), from_plan=copy.deepcopy(FROM_PLAN),
                                                    protected=dict(type="list", elements="str", default=[]),
                                                    allow_empty=dict(type="bool", default=False)))
    spec["mappings"] = dict(type="dict", options=dict(
        allow_empty=dict(type="bool", default=False),
        config=dict(type="dict", options=dict((table, dict(items)) for table in TABLES)),
        from_plan=dict(type="dict", options=dict((table, copy.deepcopy(FROM_PLAN)) for table in TABLES))))
    spec["gather"] = dict(type="list", elements="str", choices=list(GATHER), default=list(GATHER))
    return spec


def linking_result(ops):
    return {"linking_changed": linking_changed(ops)}


def parts(module):
    """The tables this call reconciles (or reads), as list_module.Part, in a fixed order: with gathered those of
    O(gather), else those the task gives a list for."""
    params = module.params
    gathering = params["state"] == "gathered"
    protected = params["protected"]
    found = []
    for name, resource, profile_key in STATIONS:
        part = params[name] or {}
        want = [] if gathering else part.get("config")
        if (name in params["gather"]) if gathering else (want is not None):
            extra = linking_result if name == "network_management" else None
            found.append(list_module.Part(name, name, resource, list_module.table_map(module, resource, profile_key),
                                          want, protected + (part.get("protected") or []),
                                          params["allow_empty"] or bool(part.get("allow_empty")), extra,
                                          module.probes.get("%s.config" % name)))
    mappings = params["mappings"] or {}
    tables = mappings.get("config") or {}
    for table in TABLES:
        want = [] if gathering else tables.get(table)
        if (table in params["gather"]) if gathering else (want is not None):
            found.append(list_module.Part(table, "mappings.%s" % table, MAPPING_ROWS,
                                          list_module.table_map(module, MAPPING_ROWS, table), want, protected,
                                          params["allow_empty"] or bool(mappings.get("allow_empty")), None,
                                          module.probes.get("mappings.config.%s" % table)))
    return found


def rule_problems(params):
    """The domain's rules on the lists themselves, checked before anything is read or written."""
    problems = []
    flags = linking_flag_problems(get_path(params, "network_management.config"))
    if flags:
        problems.append("network_management: linking flags contradict each other: %s" % "; ".join(flags))
    visitors = archiving_visitors(get_path(params, "sources.config"))
    if visitors:
        problems.append("sources: visitor sources must have automatic_archiving false (KB 10665): %s"
                        % ", ".join(visitors))
    return problems


def shaped(by_key):
    """{part key: value} in the shape of the options: the mapping tables under mappings."""
    out = dict((name, by_key[name]) for name, _r, _k in STATIONS if name in by_key)
    tables = dict((table, by_key[table]) for table in TABLES if table in by_key)
    if tables:
        out["mappings"] = tables
    return out


def main():
    module = LargeListModule(argument_spec=argument_spec(), item_options=ITEM_OPTIONS, plan_refs=PLAN_REFS,
                             required_if=[("state", state, ("database",)) for state in ACTION_STATES + ("gathered",)],
                             supports_check_mode=True)
    unresolved = [path for path in PLAN_REFS if get_path(module.params, path) is not None]
    if unresolved:
        module.fail_json(msg="%s: read on the controller by this module's action plugin, which did not run; call the "
                             "module as a task (impax.cluster_link.config_database)" % ", ".join(sorted(unresolved)))
    params = module.params
    problems = rule_problems(params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    found = parts(module)
    if not found and params["state"] != "gathered":
        module.fail_json(msg="state=%s needs network_management, sources or mappings with their config or from_plan"
                             % params["state"])

    out = list_module.run_parts(module, found, "config_database")
    executed = out["statements_executed"]
    if "needs_content" in out:  # a probed table is not exactly its list: the action sends the lists
        module.exit_json(changed=False, needs_content=out["needs_content"], statements_executed=executed)
    if "rendered" in out:
        module.exit_json(changed=False, rendered=shaped(out["rendered"]), commands=shaped(out["commands"]))
    if params["state"] == "gathered":
        module.exit_json(changed=False, gathered=shaped(out["gathered"] or {}), statements_executed=executed)
    results = out["results"]
    result = shaped(results)
    if "mappings" in result:
        result["mappings"] = dict(changed=any(r["changed"] for r in result["mappings"].values()),
                                  tables=result["mappings"])
    result.update(changed=any(r["changed"] for r in results.values()), statements_executed=executed)
    if module.probes:  # every probed table held exactly its list
        result["fingerprint_matched"] = [part.where for part in found if part.probe is not None]
    result.update(list_module.diffs(module, results, [(part.key, part.where) for part in found]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
