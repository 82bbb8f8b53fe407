#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the estate_plan action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: estate_plan
short_description: Validate a linked IMPAX estate and compute the per-cluster plan
version_added: 0.1.0
description:
  - Reads the estate from the inventory (one group per cluster under O(clusters_group), cluster variables
    in C(group_vars/<cluster>/), estate-wide settings in C(impax_estate)) and validates it as a whole against
    the IMPAX cluster-linking rules (C(ICL001)..C(ICL040) follow the numbering of the domain rules; C(ICL1xx)
    are input hygiene; C(ICL2xx) mapping analysis). See C(docs/rules.md).
  - Every problem is reported in one run, naming the rule, the cluster, the inventory file and the field.
  - When the estate is valid, returns the plan - the master hosts table, and per cluster the Network
    Management stations, Source Manager sources and mapping supersets - sorted and JSON-serialisable.
  - Runs on the controller only; it never connects to a target, so an invalid estate stops the play before
    any host is touched.
author:
  - impax.cluster_link contributors (@impax)
options:
  clusters_group:
    description: Inventory group whose children are the clusters.
    type: str
    default: impax_clusters
  strict:
    description:
      - Treat warnings as errors. Defaults to C(impax_estate.strict).
    type: bool
  structural_shadowing:
    description:
      - Also search for rows of other sites that can overtake a local row (rule C(ICL203)), each finding
        proven by an example string. Sample-based shadowing (C(ICL202)) always runs.
    type: bool
    default: true
  plan_file:
    description:
      - Write the plan as JSON to this path on the controller, keys sorted.
      - Indented for reading when the estate is small; one line when the clusters' lists hold more than
        20,000 objects (indenting is done in pure Python, 5x slower than the compact form).
    type: path
  fail_on_invalid:
    description: Fail the task when blocking findings exist. Set to V(false) to only report them.
    type: bool
    default: true
  summary_per_rule:
    description:
      - At most this many findings of one rule (and severity) in C(summary), then one line saying how many more
        and where they all are (the plan file). A large estate can have thousands of shadowing warnings.
      - V(0) lists every finding.
    type: int
    default: 20
  by_reference:
    description:
      - With O(plan_file), leave the large parts out of the returned C(plan) - the hosts tables, the supersets and
        each cluster's C(network_management), C(sources), C(mappings) and each gateway's C(modalities). They are in
        the plan file and in C(index.<cluster>.slices), which the rollout's roles read; the playbooks use the small
        keys (C(mapping_tables), each gateway's connection, C(verify_targets) and C(verify_addresses)). On a large estate the returned plan then
        shrinks from tens of MB to a few, which every later task that reads it pays for. C(playbooks/plan.yml)
        sets it.
      - Of the findings, the returned plan keeps the first 100 (errors first, then warnings, then info;
        C(plan.findings_left_out) counts the others); the plan file and C(summary) have them all.
    type: bool
    default: false
extends_documentation_fragment:
  - impax.cluster_link.controller
attributes:
  check_mode:
    support: full
    description: Reads only; behaves the same in check mode.
notes:
  - Action plugin; runs on the controller. Set O(fail_on_invalid=false) to collect the findings of a bad estate
    without failing.
seealso:
  - name: Inventory format
    description: Every field of the estate inventory.
    link: https://github.com/impax/cluster_link/blob/main/docs/inventory.md
"""

EXAMPLES = r"""
- name: Validate the estate and plan every cluster
  impax.cluster_link.estate_plan:
    plan_file: "{{ playbook_dir }}/build/plan.json"
  register: estate
  run_once: true
  delegate_to: localhost

- name: Show the per-cluster summary
  ansible.builtin.debug:
    var: estate.summary
"""

RETURN = r"""
valid:
  description: Whether the estate has no blocking finding.
  returned: always
  type: bool
  sample: true
summary:
  description:
    - One line for the estate, the hosts table, each superset, each cluster and each finding (at most
      O(summary_per_rule) per rule, then how many more).
  returned: unless the task fails on an invalid estate
  type: list
  elements: str
findings:
  description: Every finding (rule, severity, cluster, file, field, message, KB topic) of an invalid estate.
  returned: when the task fails on an invalid estate and no O(plan_file) holds them
  type: list
  elements: dict
blocking:
  description: The blocking findings of an invalid estate, one line each (rule, severity, cluster, file, field, message).
  returned: when the task fails on an invalid estate
  type: list
  elements: str
warnings_too:
  description: The warnings of an invalid estate, one line each.
  returned: when the task fails on an invalid estate that has warnings
  type: list
  elements: str
not_shown:
  description: How many info findings are left out of the failure, and where every finding is (O(plan_file)).
  returned: when the task fails on an invalid estate that has info findings
  type: str
plan:
  description: The plan. C(hosts_table), C(mappings) and C(clusters) are present only when the estate is valid.
  returned: unless the task fails on an invalid estate
  type: dict
  contains:
    estate:
      description: Estate name.
      type: str
    valid:
      description: Whether the estate has no blocking finding.
      type: bool
    counts:
      description: Number of errors, warnings and info findings.
      type: dict
    findings:
      description:
        - Every finding with rule, severity, cluster, file, field, message and KB topic.
        - With O(by_reference), the first 100 (see O(by_reference)).
      type: list
      elements: dict
    findings_left_out:
      description: With O(by_reference), how many findings are left out of C(findings) (in the plan file).
      type: int
      returned: when O(by_reference) left findings out
    hosts_table:
      description:
        - The master hosts table (ip, hostname, aliases, comment), identical for every node of the linked clusters.
        - A cluster leaving the estate (C(impax_cluster.membership=leaving)) has its own in C(clusters.<name>.hosts_table).
      type: list
      elements: dict
    hosts_table_sha256:
      description: Digest of the hosts table.
      type: str
    mappings:
      description: Superset rows of each shared mapping table, with the sites each row comes from.
      type: dict
    clusters:
      description:
        - Per cluster - membership (C(linked) or C(leaving)), nodes, nodes_by_role, links, network_management, sources,
          mappings; a leaving cluster also its own hosts_table and hosts_table_sha256, planned as an estate of its
          own (no other cluster's CMs, sources, hosts or mapping rows).
        - Also gateways - per node, one DICOM gateway for each CM node - C(cm), C(ae_title), C(port), C(url),
          C(ca_path), C(validate_certs), C(modalities) (its registry), C(peers) (the other clusters' gateways),
          C(verify_targets) (every CM of the other clusters and its own cluster's other CMs) and C(verify_addresses)
          (their host name -> IP); gateway_permissions (the registry at a glance), queries, verify_refused_as and
          mapping_tables (the table names).
        - Also keep (per resource C(network_management), C(sources), C(dicom) - the objects the cluster keeps by hand,
          never deleted) and max_deletions (the cluster's deletion limit, else the estate's; null - no limit).
        - With O(by_reference), without the large parts (see O(by_reference)).
      type: dict
index:
  description:
    - Per cluster, its membership, nodes, database node and gateway nodes, change windows, drift policy and deletion limit (C(max_deletions)) - small,
      for grouping hosts.
    - With O(plan_file), also C(slices) - the cluster's large lists (C(hosts_table), C(network_management),
      C(sources), C(mappings.<table>), C(gateways.<node>) - each gateway's registry) written once as files next to the plan, each a
      C(file) and C(sha256) to give to a module's C(from_plan) (the rollout's roles do).
  returned: when the estate is valid
  type: dict
hosts_tables:
  description:
    - Which nodes carry the same hosts table - C(linked estate) for the linked clusters' nodes and, for each
      cluster leaving the estate, its name for its nodes. For the C(hosts_file_tables) of the hosts_file role.
  returned: when the estate is valid
  type: dict
  sample: {"linked estate": ["harbor-cm01", "summit-cm01"], "valley": ["valley-cm01"]}
plan_file:
  description: Where the plan was written.
  returned: when O(plan_file) is set
  type: str
msg:
  description: Every blocking finding, one per line.
  returned: when the estate is invalid
  type: str
"""
