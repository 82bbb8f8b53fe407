# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reference table profile: the lab's schema (roles/lab/files/reference_schema.sql), and the shape of any
site's profile - for each resource, its table and the column of each field (docs/targets.md)."""

from __future__ import annotations

PROFILE = {
    "network_management": {
        "table": "network_station",
        "columns": dict([
            ("ae_title", "ae_title"), ("station_name", "station_name"), ("host", "host_name"), ("port", "port"),
            ("alias", "alias"), ("station_type", "station_type"), ("validation_level", "validation_level"),
            ("capabilities.transmit_to_station", "transmit_to_station"),
            ("capabilities.query_retrieve", "query_retrieve"),
            ("capabilities.query_user_information", "query_user_information"),
            ("capabilities.send_key_images_only", "send_key_images_only"),
            ("capabilities.send_multiframe", "send_multiframe"),
            ("capabilities.send_storage_commit", "send_storage_commit"),
            ("cluster_linking", "cluster_linking"), ("link_internal_queries", "link_internal_queries"),
            ("link_external_queries", "link_external_queries"), ("link_cluster_updates", "link_cluster_updates"),
            ("link_prefetching", "link_prefetching"), ("study_observed_notifications", "study_observed_notifications"),
        ]),
    },
    "sources": {
        "table": "source_station",
        "columns": dict([
            ("ae_title", "ae_title"), ("station_name", "station_name"), ("institution", "institution_name"),
            ("department", "institutional_department_name"), ("home_cm", "home_cm"), ("visitor", "visitor"),
            ("automatic_archiving", "automatic_archiving"),
            ("his_verification.study_identification", "study_identification"),
            ("his_verification.patient_identification", "patient_identification"),
            ("his_verification.accession_number_identifies_patient", "accession_identifies_patient"),
            ("his_notifications", "his_notifications"),
            ("study_observed_notifications", "study_observed_notifications"),
            ("demographic_layout", "demographic_layout"),
        ]),
    },
    "body_part": {"table": "body_part_mapping",
                  "columns": {"pattern": "source_pattern", "rule": "rule_number", "label": "body_part"}},
    "specialty": {"table": "specialty_mapping",
                  "columns": {"pattern": "source_pattern", "rule": "rule_number", "label": "specialty"}},
    "patient_location": {"table": "patient_location_mapping",
                         "columns": {"pattern": "source_pattern", "rule": "rule_number", "label": "mapped_location"}},
}
