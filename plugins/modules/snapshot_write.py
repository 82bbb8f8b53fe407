#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the snapshot_write action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: snapshot_write
short_description: Write each cluster's snapshot (every resource, as the reconcile modules take it)
version_added: 0.1.0
description:
  - Used by C(playbooks/snapshot.yml) after it read every cluster (C(state=gathered) of C(hosts_block) on each
    node, C(config_database) on the database node and C(dicom_nodes) on each gateway node); writes
    C(<folder>/<cluster>.json) (format 2) with the managed hosts entries per node, Network Management, Source
    Manager, each mapping table and, under C(gateways.<node>), each DICOM gateway's modalities. C(playbooks/rollback.yml) writes such a snapshot back.
  - Fails, writing nothing, when a read did not succeed for some node.
author:
  - impax.cluster_link contributors (@impax)
options:
  index:
    description: The per-cluster index returned by M(impax.cluster_link.estate_plan) (nodes, database node and gateway nodes).
    type: dict
    required: true
  estate:
    description: The estate's name (recorded in each file).
    type: str
    required: true
  id:
    description: The snapshot's name (recorded in each file).
    type: str
    required: true
  folder:
    description: Folder for the files (created when missing).
    type: path
    required: true
extends_documentation_fragment:
  - impax.cluster_link.controller
attributes:
  check_mode:
    support: none
    description: The playbook skips snapshots in check mode.
"""

EXAMPLES = r"""
- name: Write each cluster's snapshot
  impax.cluster_link.snapshot_write:
    index: "{{ impax_estate_plan.index }}"
    estate: "{{ impax_estate_plan.plan.estate }}"
    id: 20261128T220000Z
    folder: build/snapshots/riverside-health/20261128T220000Z
"""

RETURN = r"""
folder:
  description: The snapshot's folder.
  returned: success
  type: str
files:
  description: The file written per cluster.
  returned: success
  type: dict
  sample: {"north": "build/snapshots/riverside-health/20261128T220000Z/north.json"}
"""
