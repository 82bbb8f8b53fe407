-- Reference cluster configuration database of the lab (IMPAX's own schema is not public).
-- One table per resource; the table profile (docs/targets.md) maps resources to these tables.
-- Portable between SQLite and PostgreSQL: TEXT, INTEGER, SMALLINT 0/1 for flags.
CREATE TABLE network_station (
    ae_title TEXT PRIMARY KEY,
    station_name TEXT NOT NULL,
    host_name TEXT NOT NULL,
    port INTEGER NOT NULL DEFAULT 104,
    alias TEXT,
    station_type TEXT NOT NULL,
    validation_level TEXT NOT NULL DEFAULT 'WARN',
    transmit_to_station SMALLINT NOT NULL DEFAULT 0,
    query_retrieve SMALLINT NOT NULL DEFAULT 0,
    query_user_information SMALLINT NOT NULL DEFAULT 0,
    send_key_images_only SMALLINT NOT NULL DEFAULT 0,
    send_multiframe SMALLINT NOT NULL DEFAULT 0,
    send_storage_commit SMALLINT NOT NULL DEFAULT 0,
    cluster_linking SMALLINT NOT NULL DEFAULT 0,
    link_internal_queries SMALLINT NOT NULL DEFAULT 0,
    link_external_queries SMALLINT NOT NULL DEFAULT 0,
    link_cluster_updates SMALLINT NOT NULL DEFAULT 0,
    link_prefetching SMALLINT NOT NULL DEFAULT 0,
    study_observed_notifications SMALLINT NOT NULL DEFAULT 0
);
CREATE TABLE source_station (
    ae_title TEXT PRIMARY KEY,
    station_name TEXT NOT NULL,
    institution_name TEXT NOT NULL,
    institutional_department_name TEXT NOT NULL,
    home_cm TEXT NOT NULL,
    visitor SMALLINT NOT NULL DEFAULT 0,
    automatic_archiving SMALLINT NOT NULL DEFAULT 1,
    study_identification TEXT NOT NULL DEFAULT 'accession_number',
    patient_identification TEXT NOT NULL DEFAULT 'patient_id',
    accession_identifies_patient SMALLINT NOT NULL DEFAULT 0,
    his_notifications TEXT NOT NULL DEFAULT '',
    study_observed_notifications SMALLINT NOT NULL DEFAULT 0,
    demographic_layout TEXT NOT NULL DEFAULT 'GENERIC_LAYOUT'
);
CREATE TABLE body_part_mapping (
    source_pattern TEXT PRIMARY KEY,
    rule_number INTEGER NOT NULL,
    body_part TEXT NOT NULL
);
CREATE TABLE specialty_mapping (
    source_pattern TEXT PRIMARY KEY,
    rule_number INTEGER NOT NULL,
    specialty TEXT NOT NULL
);
CREATE TABLE patient_location_mapping (
    source_pattern TEXT PRIMARY KEY,
    rule_number INTEGER NOT NULL,
    mapped_location TEXT NOT NULL
);
