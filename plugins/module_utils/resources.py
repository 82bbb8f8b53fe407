# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The list resources of the collection: fields, kinds, keys and server defaults.

Each module's argument spec is built from these (``argspec``), so the schema of
a resource lives in one place. ``required_on_create`` lists what an object needs
to be created; its key alone is enough to delete it or update given fields. Defaults are what the target holds when a field
is not set; they are used by ``replaced``/``overridden``, never injected into
``merged`` (where an unset field means "leave it alone").
"""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.names import ae_title_problem, hostname_problem
from ansible_collections.impax.cluster_link.plugins.module_utils.reconcile import Field, Resource

FLAGS = ("cluster_linking", "link_internal_queries", "link_external_queries", "link_cluster_updates", "link_prefetching")
CAPABILITIES = ("transmit_to_station", "query_retrieve", "query_user_information", "send_key_images_only",
                "send_multiframe", "send_storage_commit")
STATION_TYPES = ["Acquisition Station", "Review Station", "PACS", "HIS/RIS", "Other"]
VALIDATION_LEVELS = ["NONE", "FAIL", "WARN"]

NETWORK_MANAGEMENT = Resource("network_management", ["ae_title"], dict(
    [("ae_title", Field()), ("station_name", Field()), ("host", Field()), ("port", Field("int", 104)),
     ("alias", Field()), ("station_type", Field("str", "Other")), ("validation_level", Field("str", "WARN")),
     ("capabilities", Field("dict", fields=dict((c, Field("bool", False)) for c in CAPABILITIES))),
     ("study_observed_notifications", Field("bool", False))]
    + [(flag, Field("bool", False)) for flag in FLAGS]), required_on_create=("station_name", "host"))

SOURCES = Resource("sources", ["ae_title"], dict([
    ("ae_title", Field()), ("station_name", Field()), ("institution", Field()), ("department", Field()),
    ("home_cm", Field()), ("visitor", Field("bool", False)), ("automatic_archiving", Field("bool", True)),
    ("his_verification", Field("dict", fields={
        "study_identification": Field("set", ["accession_number"]),
        "patient_identification": Field("str", "patient_id"),
        "accession_number_identifies_patient": Field("bool", False)})),
    ("his_notifications", Field("set", [])), ("study_observed_notifications", Field("bool", False)),
    ("demographic_layout", Field("str", "GENERIC_LAYOUT")),
]), required_on_create=("station_name", "institution", "department", "home_cm"))

MAPPING_ROWS = Resource("mapping_rows", ["pattern"], dict([
    ("pattern", Field()), ("rule", Field("int")), ("label", Field()),
]), required_on_create=("rule", "label"))

CHOICES = {
    "station_type": STATION_TYPES,
    "validation_level": VALIDATION_LEVELS,
    "patient_identification": ["patient_id", "patient_name", "patient_id_and_name"],
    "study_identification": ["accession_number", "study_date", "modality_with_study_date",
                             "accession_number_else_study_date"],
    "his_notifications": ["received", "verified", "dictated"],
}
ANSIBLE_TYPES = {"str": "str", "int": "int", "bool": "bool", "set": "list", "list": "list", "dict": "dict"}


def argspec(resource):
    """The ``config`` suboptions of a resource, with no defaults (None means not managed)."""
    def option(name, field, required=False):
        spec = {"type": ANSIBLE_TYPES[field.kind]}
        if field.kind in ("set", "list"):
            spec["elements"] = "str"
        if field.kind == "dict":
            spec["options"] = dict((sub, option(sub, subfield)) for sub, subfield in field.fields.items())
        if name in CHOICES:
            spec["choices"] = CHOICES[name]
        if required:
            spec["required"] = True
        return spec
    return dict((name, option(name, field, name in resource.key)) for name, field in resource.fields.items())


def linking_flag_problems(items):
    """Rules 28 and 29 of the domain doc for Network Management items: flags that need another flag on."""
    problems = []
    for item in items or []:
        if item.get("cluster_linking") is False:
            on = [flag for flag in FLAGS[1:] if item.get(flag)]
            if on:
                problems.append("%s: %s need cluster_linking" % (item["ae_title"], ", ".join(on)))
        if item.get("link_prefetching") and item.get("link_internal_queries") is False:
            problems.append("%s: link_prefetching needs link_internal_queries" % item["ae_title"])
    return problems


# what linked clusters use of a linked entry besides its flags (its AE title is the key: a new one is a delete and
# a create)
LINKED_ADDRESS = ("host", "port")


def linking_changed(ops):
    """Whether planned Network Management operations change cluster linking - the application service reset's
    trigger (KB 10689): a linking flag changed anywhere, a linked entry created or deleted, or the address (host,
    port) of a linked entry changed."""
    for op in ops:
        linked = (op.before or {}).get("cluster_linking") or (op.after or {}).get("cluster_linking")
        if op.action != "update":
            if linked:
                return True
            continue
        fields = set(op.fields())
        if fields & set(FLAGS) or (linked and fields & set(LINKED_ADDRESS)):
            return True
    return False


def archiving_visitors(items):
    """Source Manager entries that are Visitors in this cluster and would archive automatically (KB 10665 forbids
    it): their AE titles. The planner makes every entry of a source away from its home a Visitor."""
    return [item["ae_title"] for item in items or []
            if item.get("visitor") and item.get("automatic_archiving") is not False]


# Orthanc's registry. Defaults are what Orthanc stores when a field is omitted from a PUT (every Allow* true).
ORTHANC_PERMISSIONS = ("allow_echo", "allow_find", "allow_find_worklist", "allow_get", "allow_move", "allow_store",
                       "allow_n_action", "allow_event_report", "allow_transcoding")
MODALITIES = Resource("modalities", ["name"], dict(
    [("name", Field()), ("ae_title", Field()), ("host", Field()), ("port", Field("int", 104)),
     ("manufacturer", Field("str", "Generic"))]
    + [(flag, Field("bool", True)) for flag in ORTHANC_PERMISSIONS]
    + [("use_dicom_tls", Field("bool", False)), ("local_ae_title", Field("str", "")), ("timeout", Field("int", 0))]),
    required_on_create=("ae_title", "host"))
PEERS = Resource("peers", ["name"], dict([
    ("name", Field()), ("url", Field()), ("username", Field()), ("password", Field()),
]), required_on_create=("url",))
CHOICES["manufacturer"] = ["Generic", "GenericNoWildcardInDates", "GenericNoUniversalWildcard", "StoreScp", "Vitrea",
                           "GE", "AgfaImpax", "EFilm2", "Syngo"]
# option name -> Orthanc's JSON field
MODALITY_FIELDS = dict([("ae_title", "AET"), ("host", "Host"), ("port", "Port"), ("manufacturer", "Manufacturer"),
                        ("allow_echo", "AllowEcho"), ("allow_find", "AllowFind"), ("allow_find_worklist", "AllowFindWorklist"),
                        ("allow_get", "AllowGet"), ("allow_move", "AllowMove"), ("allow_store", "AllowStore"),
                        ("allow_n_action", "AllowNAction"), ("allow_event_report", "AllowEventReport"),
                        ("allow_transcoding", "AllowTranscoding"), ("use_dicom_tls", "UseDicomTls"),
                        ("local_ae_title", "LocalAet"), ("timeout", "Timeout")])
# Orthanc 1.10 stores these manufacturers under another name (seen with PUT then GET); compare canonically.
CANONICAL_MANUFACTURER = {"AgfaImpax": "GenericNoWildcardInDates", "StoreScp": "GenericNoUniversalWildcard",
                          "EFilm2": "Generic", "Syngo": "Generic"}


def canonical_modalities(items):
    """The modalities with each manufacturer as Orthanc stores it."""
    return [dict(item, manufacturer=CANONICAL_MANUFACTURER[item["manufacturer"]])
            if item.get("manufacturer") in CANONICAL_MANUFACTURER else item for item in items]


def modality_problems(items):
    """What dicom_nodes refuses before any call: AE titles, host names and ports no DICOM peer can use."""
    problems = []
    for index, item in enumerate(items or []):
        if item.get("ae_title") is not None and ae_title_problem(item["ae_title"]):
            problems.append("modalities[%d].ae_title %r %s" % (index, item["ae_title"], ae_title_problem(item["ae_title"])))
        if item.get("host") is not None and hostname_problem(item["host"]):
            problems.append("modalities[%d].host %r %s" % (index, item["host"], hostname_problem(item["host"])))
        if item.get("port") is not None and not 1 <= item["port"] <= 65535:
            problems.append("modalities[%d].port %d is outside 1 to 65535" % (index, item["port"]))
    return problems
