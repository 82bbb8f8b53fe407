# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shapes of the estate inventory, as Ansible argument specs.

docs/inventory.md documents every field below; keep the two in step.
Shapes are checked with ansible-core's own ArgumentSpecValidator, one list
element at a time so an error can name ``impax_stations[3].port``.
"""

from __future__ import annotations

import datetime
import difflib
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

NODE_ROLES = ["connectivity_manager", "application", "database", "archive", "curator", "network_gateway", "web", "client"]
STATION_TYPES = ["Acquisition Station", "Review Station", "PACS", "HIS/RIS", "Other"]
VALIDATION_LEVELS = ["NONE", "FAIL", "WARN"]
LINK_FLAGS = ["cluster_linking", "link_internal_queries", "link_external_queries", "link_cluster_updates", "link_prefetching"]
# the mapping tables a cluster may have (Patient Location is optional in IMPAX); every module and rule names them so
MAPPING_TABLES = ("body_part", "specialty", "patient_location")
STUDY_IDENTIFICATION = ["accession_number", "study_date", "modality_with_study_date", "accession_number_else_study_date"]
PATIENT_IDENTIFICATION = ["patient_id", "patient_name", "patient_id_and_name"]
HIS_NOTIFICATIONS = ["received", "verified", "dictated"]

# Linking flags in one word, for summaries and the estate picture: L(inking) I(nternal) E(xternal) U(pdates) P(refetch)
LINK_FLAG_LETTERS = (("cluster_linking", "L"), ("link_internal_queries", "I"), ("link_external_queries", "E"),
                     ("link_cluster_updates", "U"), ("link_prefetching", "P"))


# wherever the letters are shown, this says what they mean
FLAG_LEGEND = ("link flags: L Cluster Linking, I Link Internal Queries, E Link External Queries, U Link Cluster Updates, "
               "P Link Prefetching")


def flag_letters(flags):
    return "".join(letter for flag, letter in LINK_FLAG_LETTERS if flags.get(flag)) or "-"


LINK_FLAGS_SPEC = dict((flag, dict(type="bool")) for flag in LINK_FLAGS)

CAPABILITIES_SPEC = dict(
    transmit_to_station=dict(type="bool"),
    query_retrieve=dict(type="bool"),
    query_user_information=dict(type="bool"),
    send_key_images_only=dict(type="bool"),
    send_multiframe=dict(type="bool"),
    send_storage_commit=dict(type="bool"),
)

DRIFT_RESOURCES = ["hosts", "network_management", "sources", "mappings", "dicom"]
# auto: a scheduled drift check with correct=true fixes it; window: only inside one of the
# cluster's change windows; report: never by itself (see docs/operations.md)
DRIFT_POLICY_SPEC = dict((resource, dict(type="str", choices=["auto", "window", "report"])) for resource in DRIFT_RESOURCES)

# objects of a cluster's targets the estate does not list and the rollout must never delete (made by hand in
# Administration Tools: a research workstation, a vendor's service station): AE titles, Orthanc modality names
KEEP_SPEC = dict(
    network_management=dict(type="list", elements="str", default=[]),
    sources=dict(type="list", elements="str", default=[]),
    dicom=dict(type="list", elements="str", default=[]),
)

CHANGE_WINDOW_SPEC = dict(
    days=dict(type="list", elements="str", required=True),
    start=dict(type="str", required=True),
    end=dict(type="str", required=True),
    timezone=dict(type="str", required=True),
)

ESTATE_SPEC = dict(
    name=dict(type="str", required=True),
    description=dict(type="str"),
    strict=dict(type="bool", default=False),
    clusters_group=dict(type="str", default="impax_clusters"),
    linking=dict(type="dict", options=LINK_FLAGS_SPEC),
    cross_cluster_external_search=dict(type="bool", default=False),
    patient_identity=dict(
        type="dict",
        options=dict(
            globally_unique_patient_ids=dict(type="bool", default=False),
            gpi_source=dict(type="str"),
            use_gpi_in_linked_queries=dict(type="bool", default=False),
        ),
    ),
    hub=dict(type="str"),
    specialty_catalog=dict(type="dict"),
    # the tables the clusters prefetch and route by: each becomes one superset on every cluster (KB 10665);
    # a table left out stays each cluster's own (docs/mappings.md says why both are the default)
    prefetch_and_route_by=dict(type="list", elements="str", choices=["body_part", "specialty"],
                               default=["body_part", "specialty"]),
    patient_location_superset=dict(type="bool", default=False),
    mapping_catch_all_rule=dict(type="int", default=1000000),
    # union: each row keeps its site's rule number; synthesized: the reviewed
    # impax_mapping_superset written by playbooks/synthesize_mappings.yml.
    mapping_superset=dict(type="str", choices=["union", "synthesized"], default="union"),
    drift_policy=dict(type="dict", options=DRIFT_POLICY_SPEC),
    # most objects one run may delete from one resource of one cluster (null: no limit)
    max_deletions=dict(type="int"),
)

# How the collection reaches a DICOM gateway's REST API (credentials: impax_gateway_username/password, never here)
GATEWAY_SPEC = dict(
    url=dict(type="str"),
    # the inventory node Ansible runs the gateway's tasks on (default: the CM's host)
    host=dict(type="str"),
    ca_path=dict(type="str"),
    validate_certs=dict(type="bool", default=True),
)

CLUSTER_SPEC = dict(
    name=dict(type="str", required=True),
    description=dict(type="str"),
    site=dict(type="str"),
    membership=dict(type="str", choices=["linked", "leaving"], default="linked"),
    topology_role=dict(type="str", choices=["peer", "hub", "spoke"], default="peer"),
    impax_version=dict(type="str", default="6.5.1"),
    update_syntax=dict(type="str", default="impax-6.5"),
    patient_id_domain=dict(type="str"),
    default_report_source=dict(type="str"),
    cc_objects=dict(type="bool", default=False),
    archives_to_idc=dict(type="bool", default=False),
    linking=dict(type="dict", options=LINK_FLAGS_SPEC),
    links=dict(type="dict"),
    station_containers=dict(type="list", elements="str", default=[]),
    database=dict(type="dict"),
    # the gateway of a one-CM cluster; with several CMs, the pattern of the others' (same scheme and port)
    gateway=dict(type="dict", options=GATEWAY_SPEC),
    change_windows=dict(type="list", elements="dict", options=CHANGE_WINDOW_SPEC, default=[]),
    drift_policy=dict(type="dict", options=DRIFT_POLICY_SPEC),
    keep=dict(type="dict", options=KEEP_SPEC),
    max_deletions=dict(type="int"),
)

NODE_SPEC = dict(
    hostname=dict(type="str", required=True),
    ip=dict(type="str", required=True),
    ipv6=dict(type="str"),
    roles=dict(type="list", elements="str", choices=NODE_ROLES, required=True),
    aliases=dict(type="list", elements="str", default=[]),
)

CM_SPEC = dict(
    station_name=dict(type="str", required=True),
    host=dict(type="str", required=True),
    ae_title=dict(type="str", required=True),
    port=dict(type="int", default=104),
    alias=dict(type="str"),
    station_type=dict(type="str", choices=STATION_TYPES, default="HIS/RIS"),
    study_observed_notifications=dict(type="bool", default=False),
    his_notifications=dict(type="list", elements="str", choices=HIS_NOTIFICATIONS, default=[]),
    third_party_peers=dict(type="list", elements="str", default=[]),
    validation_level=dict(type="str", choices=VALIDATION_LEVELS, default="WARN"),
    # this CM's own DICOM gateway connection (default: from impax_cluster.gateway, see docs/inventory.md)
    gateway=dict(type="dict", options=GATEWAY_SPEC),
)

HIS_VERIFICATION_SPEC = dict(
    study_identification=dict(type="list", elements="str", choices=STUDY_IDENTIFICATION, default=["accession_number"]),
    patient_identification=dict(type="str", choices=PATIENT_IDENTIFICATION, default="patient_id"),
    accession_number_identifies_patient=dict(type="bool", default=False),
)

STATION_SPEC = dict(
    station_name=dict(type="str", required=True),
    ae_title=dict(type="str", required=True),
    host=dict(type="str", required=True),
    ip=dict(type="str"),
    port=dict(type="int", default=104),
    alias=dict(type="str"),
    station_type=dict(type="str", choices=STATION_TYPES, default="Acquisition Station"),
    modality=dict(type="str"),
    institution=dict(type="str"),
    department=dict(type="str"),
    home_cm=dict(type="str"),
    # archived nowhere automatically, its home cluster included (CD import, outside studies)
    visitor=dict(type="bool", default=False),
    # at home; in every other cluster a source is a Visitor (KB 10665) unless that cluster is in archive_in
    automatic_archiving=dict(type="bool"),
    archive_in=dict(type="list", elements="str", default=[]),
    his_verification=dict(type="dict", options=HIS_VERIFICATION_SPEC),
    his_notifications=dict(type="list", elements="str", choices=HIS_NOTIFICATIONS, default=[]),
    study_observed_notifications=dict(type="bool", default=False),
    demographic_layout=dict(type="str", default="GENERIC_LAYOUT"),
    validation_level=dict(type="str", choices=VALIDATION_LEVELS, default="WARN"),
    capabilities=dict(type="dict", options=CAPABILITIES_SPEC),
)

DESTINATION_SPEC = dict(
    station_name=dict(type="str", required=True),
    ae_title=dict(type="str", required=True),
    host=dict(type="str", required=True),
    ip=dict(type="str", required=True),
    port=dict(type="int", default=104),
    alias=dict(type="str"),
    station_type=dict(type="str", choices=STATION_TYPES, default="PACS"),
    third_party_pacs=dict(type="bool", default=False),
    update_syntax=dict(type="str"),
    linking=dict(type="dict", options=LINK_FLAGS_SPEC),
    capabilities=dict(type="dict", options=CAPABILITIES_SPEC),
    validation_level=dict(type="str", choices=VALIDATION_LEVELS, default="WARN"),
)

MAPPING_ROW_SPEC = dict(
    pattern=dict(type="str", required=True),
    rule=dict(type="int", required=True),
    label=dict(type="str", required=True),
)

SUPERSET_ROW_SPEC = dict(MAPPING_ROW_SPEC, sites=dict(type="list", elements="str", default=[]))

SAMPLE_SPEC = dict(
    description=dict(type="str", required=True),
    label=dict(type="str", required=True),
)

_validators = {}


def _validator(spec):
    key = id(spec)
    if key not in _validators:
        _validators[key] = ArgumentSpecValidator(spec)
    return _validators[key]


_PLAIN_TYPES = {"str": str, "int": int, "bool": bool}


def _exactly(value, kind):
    """``value`` is of exactly ``kind`` (a bool is not an int here, unlike isinstance)."""
    return value.__class__ is kind


# Bounds: a 1 MB value is a broken export, not a name. DICOM LO (64 characters) for what IMPAX stores as one.
TEXT_LIMIT = 1024
TEXT_LIMITS = {"pattern": 64, "label": 64, "institution": 64, "department": 64, "station_name": 64, "alias": 64,
               "modality": 16}
NUMBER_MIN = {"rule": 0}


def _too_long(key, item):
    return isinstance(item, str) and len(item) > TEXT_LIMITS.get(key, TEXT_LIMIT)


def _already_valid(spec, value):
    """The normalised value when ``value`` needs no conversion and no check beyond types, else None.

    A fast path for the common case (thousands of stations and mapping rows):
    every key known, every value of exactly the declared Python type, choices
    respected, nothing nested. Anything else goes through ArgumentSpecValidator,
    which also writes every error message. tests/unit/test_schema.py checks that
    both paths agree.
    """
    for key, item in value.items():
        option = spec.get(key)
        if option is None:
            return None
        if item is None:
            if option.get("default") is not None:
                return None  # the validator rejects an explicit null where a default exists
            continue
        kind = option.get("type", "str")
        if kind == "list":
            elements = _PLAIN_TYPES.get(option.get("elements"))
            if not _exactly(item, list) or elements is None or any(not _exactly(e, elements) for e in item):
                return None
            if "choices" in option and any(e not in option["choices"] for e in item):
                return None
        elif not _exactly(item, _PLAIN_TYPES.get(kind)):
            return None
        elif "choices" in option and item not in option["choices"]:
            return None
        elif _too_long(key, item) or (key in NUMBER_MIN and item < NUMBER_MIN[key]):
            return None
    result = {}
    for key, option in spec.items():
        if key in value and value[key] is not None:
            result[key] = list(value[key]) if _exactly(value[key], list) else value[key]
        elif option.get("required"):
            return None
        else:
            default = option.get("default")
            result[key] = list(default) if _exactly(default, list) else default
    return result


# How YAML turns an unquoted value into something else (YAML 1.1, as Ansible reads it)
READ_AS = (
    (bool, "true or false (an unquoted yes, no, on, off, true or false)"),
    (int, "a number (unquoted digits: a leading zero is lost or read as octal, 0104 is 68; 22:00 is 1320)"),
    (float, "a number (unquoted 1.10 is 1.1)"),
    (datetime.date, "a date (an unquoted 2024-01-31)"),
)


def _read_as(value):
    for kind, words in READ_AS:
        if isinstance(value, kind):
            return words
    return type(value).__name__


def yaml_kind(value):
    """What a value is, in the words of YAML (not Python's type names)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "text"
    return _read_as(value)


def not_as_written(spec, value, path):
    """[(path, message)] for every text field YAML turned into another type, and every number given as true/false.

    Identifiers (AE titles, names, host names, patterns, labels) must be the text the file holds: the validator
    would quietly make 68 of an unquoted 0104, or "True" of a station named YES.
    """
    problems = []
    for key, item in value.items() if isinstance(value, dict) else ():
        option = spec.get(key)
        if option is None:
            continue
        kind, where = option.get("type", "str"), "%s.%s" % (path, key)
        if item is None:
            if option.get("required"):
                problems.append((where, "is required but empty (YAML reads ~, null or nothing as no value)"))
            continue
        if kind in ("dict", "list") and not isinstance(item, dict if kind == "dict" else list):
            wanted = "mapping (key: value)" if kind == "dict" else "list"
            problems.append((where, "must be a %s, got %s" % (wanted, yaml_kind(item))))
        elif _too_long(key, item):
            problems.append((where, "is %d characters long; at most %d (%r...)"
                             % (len(item), TEXT_LIMITS.get(key, TEXT_LIMIT), item[:40])))
        elif kind == "int" and isinstance(item, float) and not item.is_integer():
            problems.append((where, "must be a whole number, got %r" % item))
        elif kind == "int" and key in NUMBER_MIN and isinstance(item, int) and not isinstance(item, bool) \
                and item < NUMBER_MIN[key]:
            problems.append((where, "must be %d or more, got %d" % (NUMBER_MIN[key], item)))
        elif kind == "str" and not isinstance(item, str):
            problems.append((where, "must be text as written, but YAML read %r as %s: put it in quotes"
                             % (item, yaml_kind(item))))
        elif kind == "int" and isinstance(item, bool):
            problems.append((where, "must be a number, but YAML read it as %s" % _read_as(item)))
        elif kind == "list" and option.get("elements", "str") == "str" and isinstance(item, list):
            for index, element in enumerate(item):
                if _too_long(key, element):
                    problems.append(("%s[%d]" % (where, index), "is %d characters long; at most %d (%r...)"
                                     % (len(element), TEXT_LIMIT, element[:40])))
                elif element is not None and not isinstance(element, str):
                    problems.append(("%s[%d]" % (where, index), "must be text as written, but YAML read %r as %s: "
                                     "put it in quotes" % (element, _read_as(element))))
        elif kind == "dict" and option.get("options") and isinstance(item, dict):
            problems.extend(not_as_written(option["options"], item, where))
        elif kind == "list" and option.get("elements") == "dict" and option.get("options") and isinstance(item, list):
            for index, element in enumerate(item):
                if isinstance(element, dict):
                    problems.extend(not_as_written(option["options"], element, "%s[%d]" % (where, index)))
    return problems


def _empty_pattern(spec, value, path):
    if "pattern" in spec and value.get("pattern") == "":
        return [(path + ".pattern", "is empty: a row that matches nothing (use % for every description)")]
    return []


def check_shape(spec, value, path):
    """Validate ``value`` against ``spec``.

    Returns ``(normalised_dict_or_None, [(path, message), ...])``.
    """
    if not isinstance(value, dict):
        return None, [(path, "must be a mapping (key: value), got %s" % yaml_kind(value))]
    fast = _already_valid(spec, value)
    if fast is not None and not (fast.get("pattern") == "" and "pattern" in spec):
        return fast, []
    problems = not_as_written(spec, value, path) + _empty_pattern(spec, value, path)
    if problems:
        return None, problems
    unknown = _unknown_keys(spec, value, path)
    if unknown:
        return None, unknown
    result = _validator(spec).validate(value)
    problems = [_located(path, str(err)) for err in result.errors.errors]
    if problems:
        return None, problems
    return result.validated_parameters, []


KIND_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number", "dict": "a mapping (key: value)",
              "list": "a list", "str": "text"}
VALIDATOR_SAYS = (
    (re.compile(r"^argument '([^']+)' is of type \w+(?: found in '([^']+)')?\.? and we were unable to convert to (\w+)"),
     lambda m, v: ("%s.%s" % (m.group(2), m.group(1)) if m.group(2) else m.group(1),
                   "must be %s" % KIND_WORDS.get(m.group(3), m.group(3)))),
    (re.compile(r"^value of ([\w.]+) must be one or more of: (.*)\. Got no match for: (.*)$"),
     lambda m, v: (m.group(1).split(".")[-1], "must be among %s, got %s" % (m.group(2), m.group(3)))),
    (re.compile(r"^value of ([\w.]+) must be one of: (.*), got: (.*?)(?: found in (\S+))?$"),
     lambda m, v: ("%s.%s" % (m.group(4), m.group(1)) if m.group(4) else m.group(1).split(".")[-1],
                   "must be one of %s, got %s" % (m.group(2), m.group(3)))),
    (re.compile(r"^missing required arguments: (.*)$"), lambda m, v: (m.group(1).split(", ")[0], "is required")),
)


def _located(path, message):
    """(path of the field, message in the inventory's words) of one ArgumentSpecValidator error."""
    for pattern, words in VALIDATOR_SAYS:
        match = pattern.match(message)
        if match:
            key, text = words(match, message)
            return "%s.%s" % (path, key), text
    return path, message


def _unknown_keys(spec, value, path):
    """[(path, message)] for every key of ``value`` (and of its nested mappings) that ``spec`` does not have."""
    problems = []
    for key in sorted(value, key=str):
        option = spec.get(key)
        if option is None:
            problems.append(("%s.%s" % (path, key), "is not a field of %s%s" % (path, _nearest(str(key), spec))))
        elif option.get("options") and isinstance(value[key], dict):
            problems.extend(_unknown_keys(option["options"], value[key], "%s.%s" % (path, key)))
    return problems


def _nearest(key, spec):
    close = difflib.get_close_matches(key, sorted(spec), n=1, cutoff=0.7)
    return " - did you mean %s?" % close[0] if close else " (its fields: %s)" % ", ".join(sorted(spec))


def check_salvaged(spec, value, path):
    """``check_shape``, but a mapping with some bad keys keeps its good ones: the bad keys are reported and left
    out (their defaults apply), so one wrong value in impax_estate does not throw the whole estate away and
    bring false findings of everything it holds. None only when what is left is still invalid."""
    checked, problems = check_shape(spec, value, path)
    if checked is not None or not isinstance(value, dict):
        return checked, problems
    bad = set()
    for where, unused in problems:
        key = where[len(path) + 1:].split(".")[0].split("[")[0] if where.startswith(path + ".") else None
        if key not in value:
            return None, problems  # a problem not at one key: nothing to keep
        bad.add(key)
    rest = dict((k, v) for k, v in value.items() if k not in bad)
    # a required text field that was bad stands in as "?" (the estate is invalid either way; the rest still counts)
    rest.update((k, "?") for k in bad if spec.get(k, {}).get("required") and spec[k].get("type", "str") == "str")
    kept, more = check_shape(spec, rest, path)
    return kept, problems if kept is not None else problems + more


def check_list(spec, value, path):
    """Validate each element of a list; returns ``([(index, item)], problems)``."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [(path, "must be a list, got %s" % yaml_kind(value))]
    items, problems = [], []
    for index, element in enumerate(value):
        item, errs = check_shape(spec, element, "%s[%d]" % (path, index))
        problems.extend(errs)
        if item is not None:
            items.append((index, item))
    return items, problems
