#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: source_stations
short_description: Reconcile a cluster's Source Manager sources in its configuration database
version_added: 0.1.0
description:
  - Makes the Source Manager sources of one IMPAX cluster what O(config) says, in one call and one transaction -
    the local modalities with their home CM and the other clusters' modalities with I(their) home CM (KB 10665).
  - Sources are keyed by AE title (case-sensitive). A visitor never gets automatic archiving (KB 10665); the module
    refuses a source that asks for both.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.config_db
  - impax.cluster_link.plan_slice
options:
  config:
    description: The sources. Unset fields are not managed under V(merged) and take their default otherwise.
    type: list
    elements: dict
    suboptions:
      ae_title:
        description: AE title, the key; compared byte for byte.
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
        description: Visitor source (default false).
        type: bool
      automatic_archiving:
        description: Other tab, automatic archiving (default true; must be false for a visitor).
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
"""

EXAMPLES = r"""
- name: Every source of the estate in this cluster, each with its own home CM
  impax.cluster_link.source_stations:
    database: {path: /var/lib/impax/config.sqlite}
    state: overridden
    config:
      - {ae_title: HBR_CT1, station_name: CT1, institution: Harbor General Hospital, department: Radiology,
         home_cm: HBR_CM}
      - {ae_title: VLY_CT1, station_name: CT1, institution: Valley Medical Centre, department: Radiology,
         home_cm: VLY_CM}
      - {ae_title: HBR_CDIMPORT, station_name: CDIMPORT, institution: Harbor General Hospital,
         department: Film Library, home_cm: HBR_CM, visitor: true, automatic_archiving: false}
"""

RETURN = r"""
# see the config_db documentation fragment for before, after, commands, gathered, rendered, statements_executed
"""

from ansible_collections.impax.cluster_link.plugins.module_utils import list_module
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import LargeListModule
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import SOURCE_STATIONS, archiving_visitors


def main():
    module = LargeListModule(argument_spec=list_module.common_argument_spec(SOURCE_STATIONS), large_lists=("config",),
                             required_if=list_module.required_if(), supports_check_mode=True)
    visitors = archiving_visitors(module.params["config"])
    if visitors:
        module.fail_json(msg="visitor sources must have automatic_archiving false (KB 10665): %s" % ", ".join(visitors))
    list_module.run(module, SOURCE_STATIONS, "source_stations")


if __name__ == "__main__":
    main()
