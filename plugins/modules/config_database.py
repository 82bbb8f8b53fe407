#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_database
short_description: Reconcile a cluster's Network Management, Source Manager and mapping tables in one transaction
version_added: 0.1.0
description:
  - Makes the parts of one IMPAX cluster's configuration database that the task names what it says, in one call
    and one transaction - the Network Management stations (O(network_management)), the Source Manager sources
    (O(sources)) and the Body Part, Specialty and Patient Location tables (O(mappings)). A part the task does not
    name is left alone.
  - Every table is read and planned before anything is written, and the writes of all of them are committed
    together or not at all - a cluster never holds the new Network Management with the old Source Manager. A
    guard refusing one table (O(max_deletions), a row missing a field, a contradicting linking flag, an
    archiving visitor) writes none.
  - The C(config_database) role runs it in the rollout, with the application service reset when cluster linking
    changed; the C(network_management), C(source_manager) and C(mappings) roles run it with one part each.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.config_db
  - impax.cluster_link.config_db.connection
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
  lock:
    description:
      - Write only while this run holds the cluster's estate lock (M(impax.cluster_link.estate_lock)). The check is
        made inside the write's own transaction, which also renews the lock's lease; a run whose lock was taken over
        (or never taken) fails and writes nothing. Check mode and V(gathered) do not look at the lock.
    type: dict
    suboptions:
      run_id:
        description: The run that holds the lock (default this ansible-playbook run, as estate_lock names it).
        type: str
      table:
        description: The lock's table.
        type: str
        default: impax_cluster_link_lock
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
        description: The stations. Unset fields are not managed under V(merged) and take their default otherwise.
        type: list
        elements: dict
        suboptions:
          ae_title:
            description: AE title, the key; compared byte for byte.
            type: str
            required: true
          station_name:
            description: Station name (needed to create a station).
            type: str
          host:
            description: Host name, which must resolve through the hosts table (needed to create a station).
            type: str
          port:
            description: DICOM port (default 104).
            type: int
          alias:
            description: Free descriptive name.
            type: str
          station_type:
            description: Capabilities tab station type (default C(Other)).
            type: str
            choices: [Acquisition Station, Review Station, PACS, HIS/RIS, Other]
          validation_level:
            description: DICOM validation level (default C(WARN)).
            type: str
            choices: [NONE, FAIL, WARN]
          capabilities:
            description: What the server is allowed to do with the station (all false by default).
            type: dict
            suboptions:
              transmit_to_station:
                description: Transmit to Station.
                type: bool
              query_retrieve:
                description: Query/Retrieve from Station.
                type: bool
              query_user_information:
                description: Query Station for User Information.
                type: bool
              send_key_images_only:
                description: Send Key Images Only.
                type: bool
              send_multiframe:
                description: Send Multiframe.
                type: bool
              send_storage_commit:
                description: Send Storage Commit.
                type: bool
          study_observed_notifications:
            description: The HIS station receives Study Observed Notifications.
            type: bool
          cluster_linking:
            description: Cluster Linking (the master switch).
            type: bool
          link_internal_queries:
            description: Link Internal Queries.
            type: bool
          link_external_queries:
            description: Link External Queries.
            type: bool
          link_cluster_updates:
            description: Link Cluster Updates.
            type: bool
          link_prefetching:
            description: Link Prefetching.
            type: bool
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
          content:
            description: The slice's bytes, as the action plugin sends them to the module; never set it in a task.
            type: str
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
        description: The sources, each with its own defaults (below) when V(replaced) or V(overridden).
        type: list
        elements: dict
        suboptions:
          ae_title:
            description: The source's AE title - its key, case-sensitive.
            type: str
            required: true
          station_name:
            description: IMPAX station_name (needed to create a source).
            type: str
          institution:
            description: Institution name (needed to create a source).
            type: str
          department:
            description: Institutional department name (needed to create a source).
            type: str
          home_cm:
            description: Station name of the source's home Connectivity Manager, its HIS-verification target.
            type: str
          visitor:
            description:
              - A Visitor in this cluster (default false) - KB 10665, studies that should not be stored in this
                cluster's database. The rollout sets it on every source whose home is another cluster (unless the
                estate names this cluster in the source's C(archive_in)), and on a source the estate declares a
                Visitor everywhere.
              - A Visitor has automatic archiving off; one with O(sources.config[].automatic_archiving=true) is
                refused before anything is read.
            type: bool
          automatic_archiving:
            description: Other tab, automatic archiving (default true; must be false for a Visitor).
            type: bool
          his_verification:
            description: HIS verification options (KB 8958).
            type: dict
            suboptions:
              study_identification:
                description: How studies are identified (default C(accession_number)).
                type: list
                elements: str
                choices: [accession_number, study_date, modality_with_study_date, accession_number_else_study_date]
              patient_identification:
                description: How patients are identified (default C(patient_id)).
                type: str
                choices: [patient_id, patient_name, patient_id_and_name]
              accession_number_identifies_patient:
                description: Use accession number to identify both study and patient (default false).
                type: bool
          his_notifications:
            description: HIS (MPPS) notifications.
            type: list
            elements: str
            choices: [received, verified, dictated]
          study_observed_notifications:
            description: Study Observed Notifications (default false).
            type: bool
          demographic_layout:
            description: Demographic layout (default C(GENERIC_LAYOUT)).
            type: str
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
        description: The rows of each table.
        type: dict
        suboptions:
          body_part:
            description: The Body Part mapping rows.
            type: list
            elements: dict
            suboptions: &row
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
            suboptions: *row
          patient_location:
            description: The Patient Location mapping rows (optional in IMPAX).
            type: list
            elements: dict
            suboptions: *row
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
  description: What the run does to the Network Management stations.
  returned: for merged, replaced, overridden and deleted, when O(network_management) is given
  type: dict
  contains: &part
    changed:
      description: Whether the table changes.
      type: bool
    before:
      description:
        - The objects the run creates, updates or deletes, as they were, sorted by key; objects it leaves alone are
          not listed (V(gathered) lists them all).
      type: list
      elements: dict
    after:
      description: The same objects after the run (predicted in check mode); a deleted one is absent.
      type: list
      elements: dict
    count_before:
      description: Objects in the table before the run.
      type: int
    count_after:
      description: Objects in the table after the run.
      type: int
    commands:
      description: Per create, update or delete - C(op), C(key), the changed C(fields) or the C(values), and the
        C(sql) run with its C(params).
      type: list
      elements: dict
    linking_changed:
      description: Network Management only - whether a linking flag changed or a linked station came or went, the
        application service reset's trigger.
      type: bool
  sample:
    changed: true
    before: [{ae_title: VLY_CM, station_name: VLY_CM, host: valley-cm01, port: 104, cluster_linking: false}]
    after: [{ae_title: VLY_CM, station_name: VLY_CM, host: valley-cm01, port: 104, cluster_linking: true}]
    count_before: 12
    count_after: 12
    commands: [{op: update, key: VLY_CM, fields: {cluster_linking: [false, true]}, sql: "UPDATE ...", params: [1, VLY_CM]}]
    linking_changed: true
sources:
  description: The same for the Source Manager sources.
  returned: for merged, replaced, overridden and deleted, when O(sources) is given
  type: dict
  contains: *part
mappings:
  description: Whether any mapping table changes (C(changed)), and the same for each table named, under C(tables).
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
refused:
  description: In check mode, what a real run refuses (O(max_deletions)), one line per table.
  returned: in check mode, when a guard would refuse
  type: list
  elements: str
statements_executed:
  description: Number of SQL statements run, for all tables together (one read per table, one per changed object,
    one verifying read per changed table).
  returned: when connected
  type: int
service_unreachable:
  description: On a database failure, true when the database could not be reached at all, false when it answered
    and refused.
  returned: when the database failed
  type: bool
"""

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.impax.cluster_link.plugins.module_utils import driver, profiles, reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN, take
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.schema import MAPPING_TABLES
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    MAPPING_ROWS, NETWORK_MANAGEMENT, SOURCES, archiving_visitors, argspec, linking_changed, linking_flag_problems)
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import (
    ConfigDbError, DatabaseTarget, Dialect, TableMap, database_options)
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.estate_lock import DEFAULT_TABLE

# the station parts: option (and table profile key), resource
STATIONS = (("network_management", NETWORK_MANAGEMENT), ("sources", SOURCES))
GATHER = ("network_management", "sources") + MAPPING_TABLES
# profile entries named after their module before every name of a resource became one (docs/targets.md)
RENAMED_PROFILE_KEYS = {"network_stations": "network_management", "source_stations": "sources"}


def argument_spec():
    spec = dict(
        state=dict(type="str", default="merged", choices=list(reconcile.STATES)),
        database=dict(type="dict", options=database_options()),
        profile=dict(type="raw", default=profiles.DEFAULT),
        protected=dict(type="list", elements="str", default=[]),
        allow_empty=dict(type="bool", default=False),
        max_deletions=dict(type="int"),
        lock=dict(type="dict", options=dict(run_id=dict(type="str"),
                                            table=dict(type="str", default=DEFAULT_TABLE))),
        gather=dict(type="list", elements="str", choices=list(GATHER), default=list(GATHER)),
    )
    for name, resource in STATIONS:
        spec[name] = dict(type="dict", options=dict(
            config=dict(type="list", elements="dict", options=argspec(resource)), from_plan=copy.deepcopy(FROM_PLAN),
            protected=dict(type="list", elements="str", default=[]), allow_empty=dict(type="bool", default=False)))
    rows = dict(type="list", elements="dict", options=argspec(MAPPING_ROWS))
    spec["mappings"] = dict(type="dict", options=dict(
        allow_empty=dict(type="bool", default=False),
        config=dict(type="dict", options=dict((table, copy.deepcopy(rows)) for table in MAPPING_TABLES)),
        from_plan=dict(type="dict", options=dict((table, copy.deepcopy(FROM_PLAN)) for table in MAPPING_TABLES))))
    return spec


def table_map(module, resource, profile_key):
    """The TableMap of ``profile_key`` in the module's profile, for its database engine; fails the module on a
    profile without that entry or with an unusable one."""
    profile = module.params["profile"]
    if isinstance(profile, str):
        if profile not in profiles.PROFILES:
            module.fail_json(msg="profile %r is not a table profile of the collection (%s); give a site's own as a "
                                 "dict" % (profile, ", ".join(sorted(profiles.PROFILES))))
        profile = profiles.PROFILES[profile]
    if not isinstance(profile, dict):
        module.fail_json(msg="profile must name a table profile or be one (a dict), got %r" % (profile,))
    if profile_key not in profile:
        renamed = dict((new, old) for old, new in RENAMED_PROFILE_KEYS.items())
        hint = "; it names %s, the entry's name before 0.1.0 - rename it" % renamed[profile_key] \
            if renamed.get(profile_key) in profile else ""
        module.fail_json(msg="the table profile has no entry for %s%s" % (profile_key, hint))
    try:
        dialect = Dialect((module.params["database"] or {}).get("engine") or "sqlite")
        return TableMap(resource, profile[profile_key], dialect)
    except ConfigDbError as exc:
        module.fail_json(msg=str(exc))


def linking_result(ops):
    return {"linking_changed": linking_changed(ops)}


def parts(module):
    """(the parts this call reconciles or reads, their tables), in a fixed order: with gathered those of
    O(gather), else those the task gives a list for (in config or from_plan)."""
    params = module.params
    gathering = params["state"] == "gathered"
    found, tables = [], {}

    def add(key, where, resource, profile_key, want, own, extra=None):
        if (key in params["gather"]) if gathering else (want is not None):
            found.append(driver.Part(key, where, resource, want, params["protected"] + (own.get("protected") or []),
                                     params["allow_empty"] or bool(own.get("allow_empty")), params["max_deletions"],
                                     extra))
            tables[key] = table_map(module, resource, profile_key)

    for name, resource in STATIONS:
        own = params[name] or {}
        want = take(module, "%s.from_plan" % name, own.get("config"))
        add(name, name, resource, name, want, own, linking_result if name == "network_management" else None)
    mappings = params["mappings"] or {}
    for table in MAPPING_TABLES:
        want = take(module, "mappings.from_plan.%s" % table, (mappings.get("config") or {}).get(table))
        add(table, "mappings.%s" % table, MAPPING_ROWS, table, want, mappings)
    return found, tables


def rule_problems(found):
    """The domain's rules on the lists themselves, checked before anything is read or written."""
    problems = []
    want = dict((part.key, part.want) for part in found)
    flags = linking_flag_problems(want.get("network_management"))
    if flags:
        problems.append("network_management: linking flags contradict each other: %s" % "; ".join(flags))
    visitors = archiving_visitors(want.get("sources"))
    if visitors:
        problems.append("sources: visitor sources must have automatic_archiving false (KB 10665): %s"
                        % ", ".join(visitors))
    return problems


def shaped(by_key):
    """{part key: value} in the shape of the options: the mapping tables under mappings."""
    out = dict((name, by_key[name]) for name, _r in STATIONS if name in by_key)
    tables = dict((table, by_key[table]) for table in MAPPING_TABLES if table in by_key)
    if tables:
        out["mappings"] = tables
    return out


def main():
    module = AnsibleModule(argument_spec=argument_spec(),
                           required_if=[("state", state, ("database",)) for state in reconcile.ACTION_STATES + ("gathered",)],
                           supports_check_mode=True)
    params = module.params
    if params["lock"] is not None and not params["lock"]["run_id"]:
        module.fail_json(msg="lock needs the run_id of the run that holds the estate lock")
    found, tables = parts(module)
    problems = rule_problems(found)
    if problems:
        module.fail_json(msg="; ".join(problems))
    if not found and params["state"] != "gathered":
        module.fail_json(msg="state=%s needs network_management, sources or mappings with their config or from_plan"
                             % params["state"])

    if params["state"] == "rendered":  # offline: the rows and the INSERTs that would create them
        items = {}
        for part in found:
            try:
                items[part.key] = driver.rendered(part)
            except reconcile.ReconcileError as exc:
                module.fail_json(msg="%s: %s" % (part.where, exc))
        commands = dict((key, [dict(zip(("sql", "params"), tables[key].insert(i))) for i in rows])
                        for key, rows in items.items())
        module.exit_json(changed=False, rendered=shaped(items), commands=shaped(commands))
    if not found:  # gathered with nothing named
        module.exit_json(changed=False, gathered={}, statements_executed=0)
    out = driver.run(module, DatabaseTarget(params["database"], tables, params["lock"]), found, "config_database")
    executed = out["statements_executed"]
    if params["state"] == "gathered":
        module.exit_json(changed=False, gathered=shaped(out["gathered"]), statements_executed=executed)
    results = out["results"]
    result = shaped(results)
    if "mappings" in result:
        result["mappings"] = dict(changed=any(r["changed"] for r in result["mappings"].values()),
                                  tables=result["mappings"])
    result.update(changed=out["changed"], statements_executed=executed)
    if out.get("refused"):
        result["refused"] = out["refused"]
    result.update(driver.diffs(module, results, found))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
