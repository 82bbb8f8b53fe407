#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: network_stations
short_description: Reconcile a cluster's Network Management stations in its configuration database
version_added: 0.1.0
description:
  - Makes the Network Management stations of one IMPAX cluster (every CM of every linked cluster, the modalities,
    review stations and external destinations) what O(config) says, in one call and one transaction.
  - Stations are keyed by AE title (case-sensitive). The linking flags are checked before anything is written -
    the sub-flags need C(cluster_linking) and C(link_prefetching) needs C(link_internal_queries) (KB 10689, 10711).
  - After a change of the linking flags IMPAX needs an IIS reset on the Application Server; the
    C(network_management) role does it once per cluster as a handler.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.config_db
  - impax.cluster_link.plan_slice
options:
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
"""

EXAMPLES = r"""
- name: Register every CM of the estate in this cluster, removing stations the estate does not have
  impax.cluster_link.network_stations:
    database:
      engine: postgresql
      host: harbor-db01
      name: impax_harbor
      user: impax
      password: "{{ impax_database_password }}"
    state: overridden
    protected: [HBR_CM]
    config:
      - ae_title: VLY_CM
        station_name: VLY_CM
        host: valley-cm01
        station_type: HIS/RIS
        cluster_linking: true
        link_internal_queries: true
        link_external_queries: true
        capabilities: {transmit_to_station: true, query_retrieve: true}

- name: Export the stations in config shape
  impax.cluster_link.network_stations:
    database: {path: /var/lib/impax/config.sqlite}
    state: gathered
  register: stations
"""

RETURN = r"""
# see the config_db documentation fragment for before, after, commands, gathered, rendered, statements_executed
linking_changed:
  description: Whether any linking flag changed - the trigger for the application service reset.
  returned: for merged, replaced, overridden and deleted
  type: bool
"""

from ansible_collections.impax.cluster_link.plugins.module_utils import list_module
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import LargeListModule
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    NETWORK_STATIONS, linking_changed, linking_flag_problems)


def check_flags(module):
    """Rules 28 and 29 of the domain doc, before anything is read or written."""
    problems = linking_flag_problems(module.params["config"])
    if problems:
        module.fail_json(msg="linking flags contradict each other: " + "; ".join(problems))


def main():
    module = LargeListModule(argument_spec=list_module.common_argument_spec(NETWORK_STATIONS), large_lists=("config",),
                             required_if=list_module.required_if(), supports_check_mode=True)
    check_flags(module)
    list_module.run(module, NETWORK_STATIONS, "network_stations", extra=linking_result)


def linking_result(ops):
    return {"linking_changed": linking_changed(ops)}


if __name__ == "__main__":
    main()
