# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-estate validation rules (impax-domain.md, section 3).

Each ``rule_*`` function checks one domain rule over the loaded estate and adds
findings; ``validate`` runs them all so one run reports every problem.
Rules 4 and 5 (never rename a node, never hot-edit a node's own IP) need the
live state of a node: the hosts module enforces them on the target.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import mapping, schema
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.names import ae_title_problem

BUILTIN_LINKING = {
    "cluster_linking": True,
    "link_internal_queries": True,
    "link_external_queries": True,
    "link_cluster_updates": True,
    "link_prefetching": False,
}
SUB_FLAGS = ["link_internal_queries", "link_external_queries", "link_cluster_updates", "link_prefetching"]
SOURCE_TYPES = ("Acquisition Station",)


def _merge_flags(*layers):
    """The flags of ``layers``, least specific first, over the built-in defaults.

    Cluster Linking off means off: a sub-flag the layer that turns it off (or a more specific one) does not set
    itself is off too; one such a layer sets on stays on, and ICL028 names it.
    """
    flags = dict(BUILTIN_LINKING)
    deciding = -1  # the layer that set cluster_linking last
    for index, layer in enumerate(layers):
        for key, value in (layer or {}).items():
            if value is not None:
                flags[key] = value
                if key == "cluster_linking":
                    deciding = index
    if not flags["cluster_linking"]:
        explicit = set(key for layer in layers[max(deciding, 0):] for key, value in (layer or {}).items()
                       if value is not None)
        for flag in SUB_FLAGS:
            if flag not in explicit:
                flags[flag] = False
    return flags


def link_flags(estate, from_cluster, to_cluster):
    """Flags ``from_cluster`` sets on its entries for ``to_cluster``'s CMs."""
    settings = estate.clusters[from_cluster]["settings"]
    return _merge_flags(estate.settings.get("linking"), settings.get("linking"),
                        (settings.get("links") or {}).get(to_cluster))


def destination_flags(destination):
    """Linking flags of an external destination: off unless it asks for them."""
    if not destination.get("linking"):
        return dict((k, False) for k in BUILTIN_LINKING)
    return _merge_flags(destination["linking"])


def is_source(station):
    return station["station_type"] in SOURCE_TYPES


def cm_index(estate):
    return dict((cm["station_name"], cm) for cm in estate.all_cms())


def resolve_cm(estate, reference):
    """The CM a reference (station name or AE title) names, exactly; else (None, near_miss)."""
    exact, folded = estate.cm_lookup()
    if reference in exact:
        return exact[reference], None
    return None, folded.get(reference.casefold())


def host_ip(estate, obj):
    """The IP the hosts table gives ``obj['host']``, or None."""
    node = estate.node_index().get(obj["host"])
    if node is not None:
        return node["ip"]
    return obj.get("ip")


# -- hosts table: rules 1, 2, 3 -----------------------------------------------------
def rule_hosts(estate):
    nodes = estate.node_index()
    claims = {}
    for node in estate.all_nodes():
        if node["ip"]:
            for name in [node["hostname"]] + node["aliases"]:
                claims.setdefault(name, []).append((node["ip"], node["cluster"], "hosts", node["path"]))
    for obj in estate.all_cms() + estate.all_stations() + estate.all_destinations():
        node = nodes.get(obj["host"])
        if node is not None and obj.get("ip") and node["ip"] and obj["ip"] != node["ip"]:
            estate.add("ICL003", "%s host %s is node %s with IP %s, but the entry gives IP %s; host name and IP must "
                       "match exactly" % (obj["station_name"], obj["host"], node["hostname"], node["ip"], obj["ip"]),
                       obj["cluster"], obj["var"], obj["path"] + ".ip", obj["station_name"])
        if node is None and obj.get("ip"):
            claims.setdefault(obj["host"], []).append((obj["ip"], obj["cluster"], obj["var"], obj["path"]))
    for obj in estate.all_cms():
        if obj["host"] not in nodes:
            estate.add("ICL002", "Connectivity Manager %s is on host %r, which is not a node of the inventory, so "
                       "the hosts table cannot list it" % (obj["station_name"], obj["host"]),
                       obj["cluster"], obj["var"], obj["path"] + ".host", obj["station_name"])
    for obj in estate.all_stations():
        if obj["host"] not in nodes and not obj.get("ip"):
            estate.add("ICL003", "station %s: host %r does not resolve through the hosts table (give ip, or make "
                       "it a node of the inventory)" % (obj["station_name"], obj["host"]),
                       obj["cluster"], obj["var"], obj["path"] + ".host", obj["station_name"])
    for name, entries in sorted(claims.items()):
        ips = sorted(set(e[0] for e in entries))
        if len(ips) > 1:
            where = "; ".join("%s in cluster %s (%s)" % (ip, c, p) for ip, c, unused, p in entries)
            first = entries[0]
            estate.add("ICL001", "host name %r maps to several IPs: %s" % (name, where), first[1], first[2], first[3], name)
    by_ip = {}
    for name, entries in claims.items():
        for ip, cluster, var, path in entries:
            by_ip.setdefault(ip, set()).add(name)
    for ip, names in sorted(by_ip.items()):
        primaries = [n for n in names if n in nodes and nodes[n]["ip"] == ip]
        others = sorted(n for n in names if n not in nodes)
        if len(primaries) > 1 or (primaries and others and not set(others) <= set(nodes[primaries[0]]["aliases"])):
            estate.add("ICL001", "IP %s is claimed by several host names (%s); list extra names as aliases of one node"
                       % (ip, ", ".join(sorted(names))), None, None, "hosts", ip)


# -- AE titles: rules 6, 7, 8 -----------------------------------------------------------
def rule_ae_titles(estate):
    seen = {}
    for obj in estate.all_cms() + estate.all_stations() + estate.all_destinations():
        seen.setdefault(obj["ae_title"], []).append(obj)
    for ae, objs in sorted(seen.items()):
        if len(objs) > 1:
            where = ", ".join("%s in cluster %s (%s)" % (o["station_name"], o["cluster"], o["path"]) for o in objs)
            for obj in objs[1:]:
                estate.add("ICL006", "AE title %r is used by %s" % (ae, where), obj["cluster"], obj["var"],
                           obj["path"] + ".ae_title", ae)
    folded = {}
    for ae in seen:
        folded.setdefault(ae.casefold(), []).append(ae)
    for twins in folded.values():
        if len(twins) > 1:
            obj = seen[twins[1]][0]
            estate.findings.add("ICL006", "AE titles %s differ only in case; IMPAX matches them case-sensitively, but "
                                "devices that upper-case AE titles will collide" % ", ".join(repr(t) for t in sorted(twins)),
                                cluster=obj["cluster"], obj=twins[1], field=obj["path"] + ".ae_title",
                                file=estate.origin(obj["cluster"], obj["var"]), severity="warning")
    for name, cluster in estate.clusters.items():
        for index, container in enumerate(cluster["settings"].get("station_containers") or []):
            if len(container) > 13 or " " in container:
                estate.add("ICL008", "station container %r must have 13 characters or fewer and no spaces (its AE "
                           "title gets the CS_ prefix)" % container, name, "impax_cluster",
                           "impax_cluster.station_containers[%d]" % index, container)


# -- objects kept by hand (impax_cluster.keep): rules 6, 8 -----------------------------------
KEPT_KINDS = (("network_management", "Network Management station"), ("sources", "Source Manager source"),
              ("dicom", "gateway modality"))


def rule_kept(estate):
    """What a cluster keeps by hand must be valid and must not be something the estate writes itself."""
    managed = {}
    for obj in estate.all_cms() + estate.all_stations() + estate.all_destinations():
        managed.setdefault(obj["ae_title"], obj)
    kept_where = {}
    for name, cluster in sorted(estate.clusters.items()):
        keep = cluster["settings"].get("keep") or {}
        for resource, what in KEPT_KINDS:
            seen = set()
            for index, value in enumerate(keep.get(resource) or []):
                path = "impax_cluster.keep.%s[%d]" % (resource, index)
                problem = ae_title_problem(value) if resource != "dicom" else ("is empty" if not value.strip() else None)
                if problem:
                    estate.add("ICL008" if resource != "dicom" else "ICL101", "kept %s %r %s" % (what, value, problem),
                               name, "impax_cluster", path, value)
                    continue
                if value in seen:
                    estate.add("ICL105", "keep.%s lists %r twice" % (resource, value), name, "impax_cluster", path, value)
                seen.add(value)
                obj = managed.get(value)
                # a cluster's gateway does not register its own CMs: keeping such an entry there is not a conflict
                if obj and not (resource == "dicom" and obj["var"] == "impax_connectivity_managers" and obj["cluster"] == name):
                    estate.add("ICL006", "keep.%s names %r, the AE title of %s in cluster %s (%s); the estate writes that "
                               "object in every cluster, so it cannot also be kept by hand: remove it from keep"
                               % (resource, value, obj["station_name"], obj["cluster"], obj["path"]),
                               name, "impax_cluster", path, value)
                elif resource != "dicom":
                    kept_where.setdefault(value, set()).add(name)
    for value, clusters in sorted(kept_where.items()):
        if len(clusters) > 1:
            first = sorted(clusters)[0]
            estate.findings.add("ICL006", "AE title %r is kept by hand in clusters %s; AE titles should be unique across "
                                "the linked estate (linked queries name a station by its AE title)"
                                % (value, ", ".join(sorted(clusters))), cluster=first, obj=value,
                                field="impax_cluster.keep", file=estate.origin(first, "impax_cluster"), severity="warning")


# -- Connectivity Managers: rules 9, 10 -------------------------------------------------
def rule_connectivity_managers(estate):
    nodes = estate.node_index()
    if len(estate.clusters) > 1:
        for name, cluster in sorted(estate.clusters.items()):
            if not cluster["cms"]:
                estate.add("ICL009", "cluster %s has no Connectivity Manager; the other clusters cannot link to it"
                           % name, name, "impax_connectivity_managers")
    names = {}
    for cm in estate.all_cms():
        names.setdefault(cm["station_name"], []).append(cm)
        if cm["station_type"] != "HIS/RIS":
            estate.add("ICL010", "Connectivity Manager %s has station type %r; it must be HIS/RIS"
                       % (cm["station_name"], cm["station_type"]), cm["cluster"], cm["var"],
                       cm["path"] + ".station_type", cm["station_name"])
        node = nodes.get(cm["host"])
        if node is not None and node["cluster"] != cm["cluster"]:
            estate.add("ICL010", "Connectivity Manager %s of cluster %s runs on %s, a node of cluster %s"
                       % (cm["station_name"], cm["cluster"], cm["host"], node["cluster"]), cm["cluster"], cm["var"],
                       cm["path"] + ".host", cm["station_name"])
        elif node is not None and "connectivity_manager" not in node["roles"]:
            estate.add("ICL010", "Connectivity Manager %s runs on %s, whose roles (%s) do not include "
                       "connectivity_manager" % (cm["station_name"], cm["host"], ", ".join(node["roles"])),
                       cm["cluster"], cm["var"], cm["path"] + ".host", cm["station_name"])
    for name, cms in sorted(names.items()):
        for cm in cms[1:]:
            estate.add("ICL011", "Connectivity Manager station name %r is defined %d times (%s)"
                       % (name, len(cms), ", ".join("%s %s" % (c["cluster"], c["path"]) for c in cms)),
                       cm["cluster"], cm["var"], cm["path"] + ".station_name", name)


# -- Sources: rules 11 to 16 --------------------------------------------------------------
def _spelling_key(text):
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def rule_sources(estate):
    cm_names = set(cm["station_name"] for cm in estate.all_cms())
    identities, by_name_institution = {}, {}
    spellings = {"institution": {}, "department": {}}
    for st in estate.all_stations():
        label = st["station_name"]
        if st["station_name"] in cm_names:
            estate.add("ICL011", "station name %r is also a Connectivity Manager's" % label, st["cluster"], st["var"],
                       st["path"] + ".station_name", label)
        if not is_source(st):
            continue
        for field in ("institution", "department"):
            if not st.get(field):
                estate.add("ICL012", "source %s has no %s; Institution and Department must be set on every source"
                           % (label, field.capitalize()), st["cluster"], st["var"], "%s.%s" % (st["path"], field), label)
            else:
                spellings[field].setdefault(_spelling_key(st[field]), {}).setdefault(st[field], []).append(st)
        identity = (st["station_name"], st.get("institution"), st.get("department"))
        identities.setdefault(identity, []).append(st)
        by_name_institution.setdefault((st["station_name"], st.get("institution")), []).append(st)

        verification = st.get("his_verification") or {"study_identification": ["accession_number"],
                                                      "patient_identification": "patient_id",
                                                      "accession_number_identifies_patient": False}
        study = verification["study_identification"] or []
        if "accession_number" not in study:
            severity = "warning" if "accession_number_else_study_date" in study else "error"
            estate.findings.add("ICL013", "source %s does not identify studies by Accession Number (%s)"
                                % (label, ", ".join(study) or "nothing"), cluster=st["cluster"], obj=label,
                                field=st["path"] + ".his_verification.study_identification",
                                file=estate.origin(st["cluster"], st["var"]), severity=severity)
        if verification["patient_identification"] not in ("patient_id", "patient_id_and_name"):
            estate.add("ICL013", "source %s does not identify patients by Patient ID (%s)"
                       % (label, verification["patient_identification"]), st["cluster"], st["var"],
                       st["path"] + ".his_verification.patient_identification", label)
        if verification["accession_number_identifies_patient"]:
            estate.findings.add("ICL013", "source %s uses the accession number to identify both study and patient; "
                                "the KB advises against it" % label, cluster=st["cluster"], obj=label,
                                field=st["path"] + ".his_verification.accession_number_identifies_patient",
                                file=estate.origin(st["cluster"], st["var"]), severity="warning")

        if not st.get("home_cm"):
            estate.add("ICL014", "source %s has no home_cm; every source HIS-verifies against its home cluster's CM"
                       % label, st["cluster"], st["var"], st["path"] + ".home_cm", label)
        else:
            cm, near = resolve_cm(estate, st["home_cm"])
            if cm is None and near is not None:
                estate.add("ICL007", "source %s: home_cm %r differs from %r (station %s) only in case; references "
                           "must match byte for byte" % (label, st["home_cm"], near["ae_title"], near["station_name"]),
                           st["cluster"], st["var"], st["path"] + ".home_cm", label)
            elif cm is None:
                estate.add("ICL106", "source %s: home_cm %r is not a Connectivity Manager of the estate"
                           % (label, st["home_cm"]), st["cluster"], st["var"], st["path"] + ".home_cm", label)
            elif cm["cluster"] != st["cluster"]:
                estate.add("ICL014", "source %s of cluster %s has home_cm %s, a CM of cluster %s; a modality "
                           "verifies against its own cluster's CM" % (label, st["cluster"], cm["station_name"], cm["cluster"]),
                           st["cluster"], st["var"], st["path"] + ".home_cm", label)

        if st["visitor"] and st.get("automatic_archiving"):
            estate.add("ICL016", "source %s is a visitor and has automatic_archiving on; visitors must not be "
                       "archived automatically" % label, st["cluster"], st["var"], st["path"] + ".automatic_archiving", label)
        _check_archive_in(estate, st)
        if st["validation_level"] == "FAIL":
            estate.add("ICL037", "source %s uses DICOM validation level FAIL; WARN is advised while a modality is "
                       "brought onto the gateway" % label, st["cluster"], st["var"], st["path"] + ".validation_level", label)

    for identity, stations in sorted(identities.items(), key=lambda kv: str(kv[0])):
        for st in stations[1:]:
            estate.add("ICL011", "source %s (%s / %s) is defined %d times: %s"
                       % (identity[0], identity[1], identity[2], len(stations),
                          ", ".join("%s %s" % (s["cluster"], s["path"]) for s in stations)),
                       st["cluster"], st["var"], st["path"] + ".station_name", identity[0])
    for (name, institution), stations in sorted(by_name_institution.items(), key=lambda kv: str(kv[0])):
        departments = set(s.get("department") for s in stations)
        if len(stations) > 1 and len(departments) == len(stations):
            # KB 10665 lets Department tell them apart; a warning, as a reader of a study list may not
            for st in stations[1:]:
                estate.findings.add("ICL012", "station name %s appears %d times in Institution %r, told apart only by "
                                    "Department (%s)" % (name, len(stations), institution,
                                                         ", ".join(sorted(str(d) for d in departments))),
                                    cluster=st["cluster"], obj=name, field=st["path"] + ".department",
                                    file=estate.origin(st["cluster"], st["var"]), severity="warning")
    for field, groups in spellings.items():
        for variants in groups.values():
            if len(variants) > 1:
                where = "; ".join("%r in %s" % (text, ", ".join("%s %s" % (s["cluster"], s["path"]) for s in sts))
                                  for text, sts in sorted(variants.items()))
                first = sorted(variants.items())[1][1][0]
                estate.add("ICL012", "%s is spelled in several ways: %s" % (field.capitalize(), where),
                           first["cluster"], first["var"], "%s.%s" % (first["path"], field), first["station_name"])


def _check_archive_in(estate, st):
    """``archive_in``: the other clusters that archive this source's studies on purpose (a shared archive)."""
    seen = set()
    for index, target in enumerate(st.get("archive_in") or []):
        where = "%s.archive_in[%d]" % (st["path"], index)
        shown = target if len(target) <= 64 else target[:61] + "..."  # a huge value is named, not repeated
        if target in seen:
            estate.add("ICL105", "source %s: archive_in lists %r twice" % (st["station_name"], shown),
                       st["cluster"], st["var"], where, st["station_name"])
        seen.add(target)
        if st["visitor"]:
            estate.add("ICL016", "source %s is a visitor (archived nowhere automatically) but archive_in names %r"
                       % (st["station_name"], shown), st["cluster"], st["var"], where, st["station_name"])
        elif target == st["cluster"]:
            estate.add("ICL016", "source %s: archive_in names its home cluster %s; at home automatic_archiving "
                       "decides" % (st["station_name"], shown), st["cluster"], st["var"], where, st["station_name"])
        elif target not in estate.clusters:
            estate.add("ICL106", "source %s: archive_in names %r, which is not a cluster of the estate"
                       % (st["station_name"], shown), st["cluster"], st["var"], where, st["station_name"])


def archives_in(station, cluster):
    """Whether ``station``'s entry in ``cluster`` archives automatically (KB 10665).

    At home as configured (default on unless a visitor); elsewhere a Visitor, unless the estate names that
    cluster in ``archive_in``.
    """
    if station["visitor"]:
        return False
    if cluster == station["cluster"]:
        return station.get("automatic_archiving") is not False
    return cluster in (station.get("archive_in") or ())


# -- Linking flags: rules 28 to 32 --------------------------------------------------------
def _check_flag_set(estate, flags, where, cluster, var):
    if not flags["cluster_linking"]:
        on = [f for f in SUB_FLAGS if flags[f]]
        if on:
            estate.add("ICL028", "%s: %s on but cluster_linking off; the sub-flags need Cluster Linking"
                       % (where, ", ".join(on)), cluster, var, where)
    if flags["cluster_linking"] and flags["link_prefetching"] and not flags["link_internal_queries"]:
        # (under linking off, ICL028 has said it: every sub-flag is off)
        estate.add("ICL029", "%s: link_prefetching needs link_internal_queries" % where, cluster, var, where)
    identity = estate.settings.get("patient_identity") or {}
    if identity.get("use_gpi_in_linked_queries") and flags["cluster_linking"] and not flags["link_internal_queries"]:
        estate.add("ICL029", "%s: GPI-based linked queries need link_internal_queries" % where, cluster, var, where)
    if estate.settings.get("cross_cluster_external_search") and flags["cluster_linking"] and not flags["link_external_queries"]:
        estate.add("ICL030", "%s: the estate asks for cross-cluster search from external systems, which needs "
                   "link_external_queries" % where, cluster, var, where)


def _flags_origin(estate, from_cluster, to_cluster):
    """(variable, field) that decides the flags ``from_cluster`` sets towards ``to_cluster``."""
    settings = estate.clusters[from_cluster]["settings"]
    if (settings.get("links") or {}).get(to_cluster):
        return "impax_cluster", "impax_cluster.links.%s" % to_cluster
    if settings.get("linking"):
        return "impax_cluster", "impax_cluster.linking"
    return "impax_estate", "impax_estate.linking"


def rule_linking(estate):
    names = sorted(estate.clusters)
    for name in names:
        settings = estate.clusters[name]["settings"]
        for target in sorted(settings.get("links") or {}):
            if target == name:
                estate.add("ICL106", "impax_cluster.links names %r, this cluster itself: a cluster does not link to "
                           "itself (its own CMs carry no linking flags)" % target,
                           name, "impax_cluster", "impax_cluster.links.%s" % target)
            elif target not in estate.clusters:
                estate.add("ICL106", "impax_cluster.links names %r, which is not a cluster of the estate" % target,
                           name, "impax_cluster", "impax_cluster.links.%s" % target)
        for target in names:
            if target == name:
                continue
            flags = link_flags(estate, name, target)
            var, where = _flags_origin(estate, name, target)
            _check_flag_set(estate, flags, where, name, var)
            if name < target and flags["cluster_linking"] != link_flags(estate, target, name)["cluster_linking"]:
                on, off = (name, target) if flags["cluster_linking"] else (target, name)
                var_on, where_on = _flags_origin(estate, on, off)
                var_off, where_off = _flags_origin(estate, off, on)
                estate.findings.add("ICL028", "cluster linking is on from %s to %s (%s of %s) but off from %s to %s (%s of "
                                    "%s): %s's queries reach %s, not the other way round"
                                    % (on, off, where_on, on, off, on, where_off, off, on, off),
                                    cluster=off, field=where_off, file=estate.origin(off, var_off), severity="warning")
            other = estate.clusters[target]["settings"]
            if flags["cluster_linking"] and flags["link_cluster_updates"] and other.get("update_syntax") != settings.get("update_syntax"):
                estate.add("ICL031", "%s links cluster updates to %s, whose update syntax %r differs from %r"
                           % (name, target, other.get("update_syntax"), settings.get("update_syntax")),
                           name, var, where)
    third_party = [d for d in estate.all_destinations() if d["third_party_pacs"]]
    for dest in estate.all_destinations():
        if not dest.get("linking"):
            continue
        flags = destination_flags(dest)
        _check_flag_set(estate, flags, dest["path"] + ".linking", dest["cluster"], dest["var"])
        if dest["third_party_pacs"] and flags["cluster_linking"] and flags["link_cluster_updates"]:
            estate.add("ICL031", "%s is a third-party PACS; Link Cluster Updates only works between IMPAX peers with "
                       "the same update syntax" % dest["station_name"], dest["cluster"], dest["var"],
                       dest["path"] + ".linking.link_cluster_updates", dest["station_name"])
    third_party_names = set(d["station_name"] for d in third_party)
    for obj in estate.all_cms() + estate.all_stations():
        if not obj.get("study_observed_notifications"):
            continue
        if obj["station_type"] != "HIS/RIS":
            estate.add("ICL032", "%s receives Study Observed Notifications but is not a HIS/RIS station"
                       % obj["station_name"], obj["cluster"], obj["var"], obj["path"] + ".study_observed_notifications",
                       obj["station_name"])
        elif not third_party:
            estate.add("ICL032", "%s receives Study Observed Notifications, but no third-party PACS is in the linked "
                       "set" % obj["station_name"], obj["cluster"], obj["var"],
                       obj["path"] + ".study_observed_notifications", obj["station_name"])
        elif not set(obj.get("third_party_peers") or []) & third_party_names:
            estate.add("ICL032", "%s receives Study Observed Notifications but deals with no third-party PACS "
                       "(third_party_peers: %s)" % (obj["station_name"], ", ".join(sorted(third_party_names))),
                       obj["cluster"], obj["var"], obj["path"] + ".third_party_peers", obj["station_name"])
        for peer in obj.get("third_party_peers") or []:
            if peer not in third_party_names:
                estate.add("ICL106", "%s: third_party_peers names %r, which is not an external destination marked "
                           "third_party_pacs" % (obj["station_name"], peer), obj["cluster"], obj["var"],
                           obj["path"] + ".third_party_peers", obj["station_name"])


# -- Topology, identity, cc objects: rules 33, 35, 39 ----------------------------------------
def rule_topology(estate):
    hub = estate.settings.get("hub")
    if hub and hub not in estate.clusters:
        estate.add("ICL106", "impax_estate.hub names %r, which is not a cluster" % hub, None, "impax_estate", "impax_estate.hub")
    elif hub:
        if estate.clusters[hub]["settings"].get("topology_role") == "spoke":
            estate.add("ICL106", "impax_estate.hub names %r, whose impax_cluster.topology_role says spoke: make it the "
                       "hub (topology_role: hub) or name the hub cluster" % hub, hub, "impax_cluster",
                       "impax_cluster.topology_role")
        source = estate.clusters[hub]["settings"].get("default_report_source")
        for name, cluster in sorted(estate.clusters.items()):
            mine = cluster["settings"].get("default_report_source")
            if mine and source and mine != source:
                estate.add("ICL033", "cluster %s uses default report source %r; in a multi-cluster enterprise the hub's "
                           "(%r) is the default" % (name, mine, source), name, "impax_cluster",
                           "impax_cluster.default_report_source")
    identity = estate.settings.get("patient_identity") or {}
    domains = set(c["settings"].get("patient_id_domain") or name for name, c in estate.clusters.items())
    if len(domains) > 1 and not identity.get("globally_unique_patient_ids") and not identity.get("gpi_source"):
        estate.add("ICL035", "the clusters use %d patient ID domains (%s) and the estate states no GPI strategy "
                   "(patient_identity.gpi_source or globally_unique_patient_ids)" % (len(domains), ", ".join(sorted(domains))),
                   None, "impax_estate", "impax_estate.patient_identity")
    for name, cluster in sorted(estate.clusters.items()):
        hosts = set(n["hostname"] for n in cluster["nodes"])
        named = (cluster["settings"].get("database") or {}).get("host")
        if named and named not in hosts:
            estate.add("ICL106", "impax_cluster.database.host names %r, which is not a node of cluster %s"
                       % (named, name), name, "impax_cluster", "impax_cluster.database.host")
        if cluster["settings"].get("cc_objects") and not cluster["settings"].get("archives_to_idc"):
            estate.add("ICL039", "cluster %s enables cc objects but does not archive to an IMPAX Data Center" % name,
                       name, "impax_cluster", "impax_cluster.cc_objects")


# -- DICOM gateways: one per Connectivity Manager node (KB 10665: every CM is a linked endpoint) -----
def gateway_connections(cluster):
    """({node: gateway}, problems) of a cluster's DICOM gateways, one per CM node (docs/inventory.md, "Gateways").

    A CM's own ``gateway`` wins. Else ``impax_cluster.gateway`` serves the CM on its ``host`` (or the cluster's
    only CM node), and each other CM node gets the same scheme, port and CA on its own host name. With no gateway
    setting at all the cluster has none. A gateway: ``{cm, ae_title, port, url, ca_path, validate_certs}``;
    a problem: ``(var, path, message)``.
    """
    shared = cluster["settings"].get("gateway") or {}
    cms = sorted(cluster["cms"], key=lambda c: c["ae_title"])
    cm_hosts = sorted(set(cm["host"] for cm in cms))
    nodes = set(n["hostname"] for n in cluster["nodes"])
    gateways, problems = {}, []
    if shared.get("host") and shared["host"] not in nodes:
        problems.append(("impax_cluster", "impax_cluster.gateway.host", "impax_cluster.gateway.host names %r, which "
                         "is not a node of cluster %s" % (shared["host"], cluster["name"])))
        shared = {}  # said once: no CM is given a gateway on a node that is not there
    elif len(cm_hosts) > 1 and shared.get("url") and shared.get("host") and shared["host"] not in cm_hosts:
        problems.append(("impax_cluster", "impax_cluster.gateway.host", "impax_cluster.gateway.host names %r, which "
                         "runs none of the cluster's %d Connectivity Managers: give each CM its own gateway "
                         "(impax_connectivity_managers[].gateway)" % (shared["host"], len(cms))))
    if "url" in shared or shared.get("host"):
        problem = _gateway_url_problem(shared.get("url"))
        if problem:  # said once, at the cause: every CM it would serve is left without a gateway
            problems.append(("impax_cluster", "impax_cluster.gateway.url", "impax_cluster.gateway: %s" % problem))
            shared = {}
    for cm in cms:
        own = cm.get("gateway")
        if own:
            where, connection, node = (cm["var"], cm["path"] + ".gateway"), own, own.get("host") or cm["host"]
            problem = _gateway_url_problem(own.get("url"))
            if problem:
                problems.append((where[0], where[1] + ".url", "the DICOM gateway of %s: %s" % (cm["station_name"], problem)))
                continue
        elif shared.get("url"):
            if cm["host"] not in nodes and shared.get("host") != cm["host"] and len(cm_hosts) > 1:
                continue  # a CM on no node of the cluster: ICL002 says so, at the CM's host
            where = ("impax_cluster", "impax_cluster.gateway")
            if shared.get("host") == cm["host"] or len(cm_hosts) == 1:
                connection, node = shared, shared.get("host") or cm["host"]
            else:
                connection, node = dict(shared, url=_url_on_host(shared["url"], cm["host"])), cm["host"]
        else:
            continue
        if node not in nodes:
            problems.append((where[0], where[1] + (".host" if connection.get("host") else ""),
                             "the DICOM gateway of %s runs on %r, which is not a node of cluster %s (set gateway.host "
                             "to the node that reaches it)" % (cm["station_name"], node, cluster["name"])))
            continue
        if node in gateways:
            if gateways[node]["url"] != connection["url"] or not own:
                problems.append((where[0], where[1], "%s and %s would share the DICOM gateway on %s: a node runs one "
                                 "gateway, with one AE title; give %s a gateway of its own node (gateway.host)"
                                 % (gateways[node]["cm"], cm["station_name"], node, cm["station_name"])))
            continue
        gateways[node] = {"cm": cm["station_name"], "ae_title": cm["ae_title"], "port": cm["port"],
                          "url": connection["url"].rstrip("/"), "ca_path": connection.get("ca_path"),
                          "validate_certs": connection.get("validate_certs", True) is not False}
    return gateways, problems


def _url_on_host(url, host):
    if "{{" in url or "{%" in url:
        return url  # not rendered (see _gateway_url_problem): nothing to derive from
    parts = urlsplit(url)
    netloc = host + (":%d" % parts.port if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _gateway_url_problem(url):
    if not url:
        return "no url (the gateway's REST API, for example https://cm01.example.org:8042)"
    if "{{" in url or "{%" in url:
        return None  # a template the planner was not asked to render (estate_plan renders connection settings first)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number, or outside 0 to 65535
    except ValueError as exc:
        return "url %r is not a URL (%s)" % (url, exc)
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        return "url %r must be http:// or https:// with a host name" % url
    if parts.username or parts.password:
        return "url %r carries credentials: give them as impax_gateway_username/impax_gateway_password " \
               "(vaulted), which never enter the plan or its files" % re.sub(r"//[^@/]*@", "//***@", url)
    if parts.query or parts.fragment:
        return "url %r has a query or fragment; give the API's base URL" % url
    return None


def rule_gateways(estate):
    for name, cluster in sorted(estate.clusters.items()):
        gateways, problems = gateway_connections(cluster)
        for var, path, message in problems:
            estate.add("ICL109", message, name, var, path)
        if cluster["cms"] and not gateways and not problems:
            estate.add("ICL109", "cluster %s names no DICOM gateway (impax_cluster.gateway or a CM's gateway): its "
                       "links are written to its database but not pushed to a gateway nor verified live" % name,
                       name, "impax_cluster", "impax_cluster.gateway", severity="info")


# -- Mappings: rules 17 to 24 -------------------------------------------------------------
def shared_tables(estate):
    """The mapping tables that become one superset on every cluster: those the estate prefetches and routes by
    (KB 10665), and Patient Location where asked for."""
    shared = set(estate.settings.get("prefetch_and_route_by") or ())
    if estate.settings.get("patient_location_superset"):
        shared.add("patient_location")
    return shared


def mapping_tables(estate):
    """{table: {site: rows}} of the tables that become supersets."""
    tables, shared = {}, shared_tables(estate)
    for name, cluster in estate.clusters.items():
        for table, rows in cluster["mappings"].items():
            if table in shared:
                tables.setdefault(table, {})[name] = rows
    return tables


def rule_specialty_catalog(estate):
    catalog = estate.settings.get("specialty_catalog")
    shared = dict((str(k), str(v)) for k, v in (catalog or {}).items())
    allowed = set(shared) | {mapping.DEFAULT_LABELS["specialty"]}
    for name, cluster in sorted(estate.clusters.items()):
        used = [(r["label"], "impax_mappings", "impax_mappings.specialty[%d].label" % i)
                for i, r in enumerate(cluster["mappings"].get("specialty", []))]
        used += [(s["label"], "impax_mapping_samples", "impax_mapping_samples.specialty[%d].label" % i)
                 for i, s in enumerate(cluster["samples"].get("specialty", []))]
        if catalog is None:  # needed where the clusters prefetch by specialty (one superset, one meaning)
            if used and "specialty" in shared_tables(estate):
                estate.add("ICL019", "the estate prefetches and routes by specialty but has no shared "
                           "specialty_catalog, so nobody can check that a label means the same everywhere",
                           name, "impax_estate", "impax_estate.specialty_catalog")
            continue
        for label, var, path in used:
            if label not in allowed:
                estate.add("ICL019", "specialty label %r is not in the shared specialty_catalog" % label, name, var, path, label)
        for label, meaning in sorted(cluster["catalog"].items()):
            if label not in shared:
                estate.add("ICL019", "the site catalog defines %r, which the shared specialty_catalog does not have"
                           % label, name, "impax_specialty_catalog", "impax_specialty_catalog.%s" % label, label)
            elif _spelling_key(meaning) != _spelling_key(shared[label]):
                estate.add("ICL019", "%r means %r here but %r in the shared catalog" % (label, meaning, shared[label]),
                           name, "impax_specialty_catalog", "impax_specialty_catalog.%s" % label, label)


SHARING_SETTING = {"body_part": "prefetch_and_route_by", "specialty": "prefetch_and_route_by",
                   "patient_location": "patient_location_superset"}


def rule_own_tables(estate):
    """Tables each cluster keeps as its own: said once per table when they differ (info: nothing wrong with it)."""
    shared = shared_tables(estate)

    def origin(cluster):
        return estate.origin(cluster, "impax_mappings")

    for table in sorted(set(SHARING_SETTING) - shared):
        tables = dict((n, c["mappings"].get(table)) for n, c in estate.clusters.items() if c["mappings"].get(table))
        for site in sorted(tables):  # one pattern, one row (ICL021, ICL105) and rule hygiene, table by table
            rows = mapping.build_superset(table, {site: tables[site]}, estate.findings, origin=origin,
                                          catch_all_rule=estate.settings.get("mapping_catch_all_rule") or 1000000)
            samples = [s["description"] for s in estate.clusters[site]["samples"].get(table, [])]
            mapping.report_underscores(table, site, rows, samples, estate.findings, origin)
        distinct = set(tuple(sorted((r["pattern"], r["rule"], r["label"]) for r in rows)) for rows in tables.values())
        if len(distinct) > 1:
            setting = SHARING_SETTING[table]
            estate.add("ICL020", "the %s tables differ between clusters (%s); the estate does not share them (%s), so "
                       "each cluster keeps its own and a linked query shows each site's own labels"
                       % (table, ", ".join(sorted(tables)), setting), None, "impax_estate", "impax_estate." + setting)


REFUSED_ROW = re.compile(r"^impax_(?:mappings|mapping_superset)\.([a-z_]+)\[")


def analyse_mappings(estate, structural=True):
    """Supersets of every shared table, adding conflict and shadowing findings."""
    tables = mapping_tables(estate)
    samples = {}
    for name, cluster in estate.clusters.items():
        for table, rows in cluster["samples"].items():
            samples.setdefault(table, {})[name] = rows

    def origin(site):
        return estate.origin(site, "impax_mappings")

    # a row refused for its shape (ICL101) is missing from its site's table: analysing what is left of that table
    # would only repeat the cause as conflicts, shadowing and ICL205 errors, so that table waits for clean input
    refused = set()
    for finding in estate.findings:
        match = REFUSED_ROW.match(finding.field or "") if finding.rule == "ICL101" else None
        if match:
            refused.add(match.group(1))
    tables = dict((table, sites) for table, sites in tables.items() if table not in refused)
    samples = dict((table, sites) for table, sites in samples.items() if table not in refused)
    given = None
    if estate.settings.get("mapping_superset") == "synthesized":
        given = estate.superset
        for table in sorted(set(tables) - set(given)):
            estate.add("ICL205", "impax_estate.mapping_superset is 'synthesized' but impax_mapping_superset has no %s "
                       "table; run playbooks/synthesize_mappings.yml" % table, None, "impax_estate",
                       "impax_estate.mapping_superset")
    return mapping.analyse(tables, samples, estate.findings, origin=origin, structural=structural,
                           catch_all_rule=estate.settings.get("mapping_catch_all_rule") or 1000000, given=given,
                           given_file=estate.origin("all", "impax_mapping_superset"))


RULES = (rule_hosts, rule_ae_titles, rule_kept, rule_connectivity_managers, rule_sources, rule_linking, rule_topology,
         rule_gateways,
         rule_specialty_catalog, rule_own_tables)


def validate(estate, structural=True):
    """Run every rule; returns the superset tables (the findings are on ``estate``)."""
    for rule in RULES:
        rule(estate)
    return analyse_mappings(estate, structural=structural)


__all__ = ["validate", "link_flags", "destination_flags", "is_source", "host_ip", "schema"]
