# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: from a valid estate, what every cluster should hold.

``plan_estate(raw)`` loads, validates and plans in one go and returns a plain,
sorted, JSON-serialisable dict. The hosts table is one list for the whole
estate (KB 10663: identical on every node of every linked cluster); Network
Management, Source Manager and mapping lists are per cluster.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import rules, windows
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import ERROR, INFO, WARNING
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.model import Estate

PLAN_FORMAT = 1
NO_FLAGS = dict((flag, False) for flag in rules.BUILTIN_LINKING)
CAPABILITY_DEFAULTS = {
    "Acquisition Station": {},
    "Review Station": {"transmit_to_station": True},
    "PACS": {"transmit_to_station": True, "query_retrieve": True},
    "HIS/RIS": {},
    "Other": {},
}
CAPABILITY_KEYS = ("transmit_to_station", "query_retrieve", "query_user_information",
                   "send_key_images_only", "send_multiframe", "send_storage_commit")


def _capabilities(station_type, given, extra=None):
    caps = dict((k, False) for k in CAPABILITY_KEYS)
    caps.update(CAPABILITY_DEFAULTS.get(station_type, {}))
    caps.update(extra or {})
    for key, value in (given or {}).items():
        if value is not None:
            caps[key] = value
    return caps


def hosts_table(estate):
    """The estate's master hosts table: nodes, then modalities, then external destinations."""
    entries, seen = [], set()
    ae_by_host = {}
    for obj in estate.all_cms() + estate.all_stations() + estate.all_destinations():
        ae_by_host.setdefault(obj["host"], []).append(obj["ae_title"])
    nodes = estate.node_index()

    def comment(cluster, what, host):
        parts = ["cluster %s" % cluster, what]
        if ae_by_host.get(host):
            parts.append("AE " + ",".join(sorted(set(ae_by_host[host]))))
        return "; ".join(parts)

    for name in sorted(estate.clusters):
        for node in sorted(estate.clusters[name]["nodes"], key=lambda n: n["hostname"]):
            what = "+".join(node["roles"])
            for ip in [node["ip"]] + ([node["ipv6"]] if node.get("ipv6") else []):
                entries.append({"ip": ip, "hostname": node["hostname"], "aliases": sorted(node["aliases"]),
                                "comment": comment(name, what, node["hostname"])})
            seen.add(node["hostname"])
    for kind, objs in (("station", estate.all_stations()), ("external destination", estate.all_destinations())):
        for obj in sorted(objs, key=lambda o: (o["host"], o["cluster"])):
            if obj["host"] in seen or obj["host"] in nodes or not obj.get("ip"):
                continue
            seen.add(obj["host"])
            what = kind if kind != "station" else obj["station_type"]
            entries.append({"ip": obj["ip"], "hostname": obj["host"], "aliases": [],
                            "comment": comment(obj["cluster"], what, obj["host"])})
    return entries


def _nm_entry(obj, kind, home_cluster, flags, capabilities):
    entry = {
        "station_name": obj["station_name"],
        "ae_title": obj["ae_title"],
        "host": obj["host"],
        "port": obj["port"],
        "alias": obj.get("alias"),
        "station_type": obj["station_type"],
        "kind": kind,
        "home_cluster": home_cluster,
        "validation_level": obj["validation_level"],
        "study_observed_notifications": bool(obj.get("study_observed_notifications")),
        "capabilities": capabilities,
    }
    entry.update(flags)
    return entry


def station_entries(estate):
    """Network Management entries of stations and external destinations: the same in every cluster."""
    entries = []
    for st in estate.all_stations():
        entries.append(_nm_entry(st, "station", st["cluster"], dict(NO_FLAGS),
                                 _capabilities(st["station_type"], st.get("capabilities"))))
    for dest in estate.all_destinations():
        entries.append(_nm_entry(dest, "external_destination", dest["cluster"], rules.destination_flags(dest),
                                 _capabilities(dest["station_type"], dest.get("capabilities"))))
    return sorted(entries, key=lambda e: e["ae_title"])


def network_management(estate, cluster, shared=None):
    """Network Management stations of one cluster, sorted by AE title (the key).

    Every CM of every cluster is listed (KB 10665); the entries for other
    clusters' CMs carry the linking flags this cluster uses towards them. An
    entry is local where ``home_cluster`` is this cluster.
    """
    entries = []
    for cm in estate.all_cms():
        local = cm["cluster"] == cluster
        flags = NO_FLAGS if local else rules.link_flags(estate, cluster, cm["cluster"])
        linked = flags["cluster_linking"]
        extra = {} if local else {"transmit_to_station": linked,
                                  "query_retrieve": linked and (flags["link_internal_queries"] or flags["link_external_queries"])}
        entries.append(_nm_entry(cm, "connectivity_manager", cm["cluster"], dict(flags),
                                 _capabilities("HIS/RIS", None, extra)))
    entries.extend(station_entries(estate) if shared is None else shared)
    return sorted(entries, key=lambda e: e["ae_title"])


def source_entries(estate):
    """Source Manager sources as their home cluster holds them (KB 10665: remote ones keep their home CM)."""
    result = []
    for st in estate.all_stations():
        if not rules.is_source(st):
            continue
        home = rules.resolve_cm(estate, st["home_cm"])[0]
        verification = st.get("his_verification") or {"study_identification": ["accession_number"],
                                                      "patient_identification": "patient_id",
                                                      "accession_number_identifies_patient": False}
        result.append({
            "station_name": st["station_name"],
            "ae_title": st["ae_title"],
            "host": st["host"],
            "modality": st.get("modality"),
            "institution": st["institution"],
            "department": st["department"],
            "home_cm": home["station_name"] if home else st["home_cm"],
            "home_cm_ae_title": home["ae_title"] if home else None,
            "home_cluster": st["cluster"],
            "visitor": st["visitor"],
            "automatic_archiving": rules.archives_in(st, st["cluster"]),
            "archive_in": sorted(st.get("archive_in") or []),
            "his_verification": {
                "study_identification": sorted(verification["study_identification"]),
                "patient_identification": verification["patient_identification"],
                "accession_number_identifies_patient": verification["accession_number_identifies_patient"],
            },
            "his_notifications": sorted(st["his_notifications"]),
            "study_observed_notifications": st["study_observed_notifications"],
            "demographic_layout": st["demographic_layout"],
        })
    return sorted(result, key=lambda s: s["ae_title"])


def sources(estate, cluster, shared=None):
    """Source Manager sources of one cluster: local modalities and every remote one, each with its home CM.

    A source's entry in a cluster other than its home is a Visitor there (KB 10665: no automatic archiving, its
    studies belong to its home cluster's database) unless ``archive_in`` names the cluster: then it archives
    there too. Entries that do not differ are shared between the clusters' lists: read-only.
    """
    result = []
    for entry in source_entries(estate) if shared is None else shared:
        if entry["home_cluster"] == cluster:
            result.append(entry)
        elif entry["visitor"]:
            result.append(entry)  # a Visitor everywhere already
        elif cluster in entry["archive_in"]:
            result.append(entry if entry["automatic_archiving"] else dict(entry, automatic_archiving=True))
        else:
            result.append(dict(entry, visitor=True, automatic_archiving=False))
    return result


def _role_node(cluster, setting, role):
    """The node that serves a cluster's ``setting`` (database): named in the settings or the first with ``role``."""
    named = (cluster["settings"].get(setting) or {}).get("host")
    nodes = sorted(cluster["nodes"], key=lambda n: n["hostname"])
    if named and any(n["hostname"] == named for n in nodes):
        return named
    for node in nodes:
        if role in node["roles"]:
            return node["hostname"]
    return None


def _queries(flags):
    """The link queries (and so retrieves: C-MOVE follows C-FIND) over it."""
    return bool(flags["cluster_linking"] and (flags["link_internal_queries"] or flags["link_external_queries"]
                                              or flags["link_prefetching"]))


def _updates(flags):
    return bool(flags["cluster_linking"] and flags["link_cluster_updates"])


def permissions(entry, inbound=None):
    """What the gateway lets ``entry`` do, from both directions of the link (docs/targets.md, "Permissions").

    ``entry``: this cluster's Network Management entry (its flags: what this cluster does towards the node);
    ``inbound``: for another cluster's CM, the flags that cluster sets on its entries for this cluster's CMs.
    """
    commit = entry["capabilities"]["send_storage_commit"]
    rights = {"echo": True, "find": False, "move": False, "store": False, "commit": commit}
    if entry["kind"] == "connectivity_manager":
        inbound = inbound or NO_FLAGS
        # the peer queries (and retrieves from) this cluster; this cluster relays updates to the peer, which
        # C-MOVEs what an update names and this cluster lacks (KB 10713)
        rights["find"] = _queries(inbound)
        rights["move"] = _queries(inbound) or _updates(entry)
        # the peer relays its updates (a C-STORE of a private SOP class), or answers this cluster's C-MOVE:
        # this cluster queries or prefetches from it, or C-MOVEs what the peer's updates name
        rights["store"] = _updates(inbound) or _queries(entry)
    elif entry["station_type"] == "Acquisition Station":
        rights["store"] = True
    elif entry["station_type"] == "Review Station":
        rights["find"] = rights["move"] = True
    else:  # PACS and other external destinations: linked ones as a peer that speaks the same flags both ways
        rights["find"] = rights["move"] = _queries(entry)
        rights["store"] = _updates(entry) or _queries(entry) or entry["capabilities"]["query_retrieve"]
    return rights


def permission_summary(entries, registry):
    """The gateway's registry at a glance, least privilege: per right, the AE titles that have it (modalities,
    many and alike, counted). Rights: store, query (C-FIND), retrieve (C-MOVE), commit; echo_only: nothing else."""
    sources = set(e["ae_title"] for e in entries if e["station_type"] == "Acquisition Station")
    summary = {}
    for item in registry:
        rights = [right for right, field in (("store", "allow_store"), ("query", "allow_find"),
                                             ("retrieve", "allow_move"), ("commit", "allow_n_action")) if item[field]]
        for right in rights or ["echo_only"]:
            entry = summary.setdefault(right, {"ae_titles": [], "modalities": 0})
            if item["ae_title"] in sources:
                entry["modalities"] += 1
            else:
                entry["ae_titles"].append(item["ae_title"])
    for entry in summary.values():
        entry["ae_titles"].sort()
    return summary


def gateway_modalities(cluster, entries, inbound=None):
    """The registry every DICOM gateway of the cluster holds, from its Network Management entries (docs/targets.md).

    Every node the gateways talk to except the cluster's own CMs (each gateway is one of them; ``gateways`` adds
    the others), by AE title and host name, with the least each needs (``permissions``): ``inbound`` gives, per
    other cluster, the flags it sets towards this one.
    """
    return [_registry_entry(entry, permissions(entry, (inbound or {}).get(entry["home_cluster"])))
            for entry in entries if not (entry["kind"] == "connectivity_manager" and entry["home_cluster"] == cluster)]


def _registry_entry(entry, rights):
    return {
        "name": entry["ae_title"],
        "ae_title": entry["ae_title"],
        "host": entry["host"],
        "port": entry["port"],
        "manufacturer": "AgfaImpax" if entry["kind"] == "connectivity_manager" else "Generic",
        "allow_echo": rights["echo"],
        "allow_find": rights["find"],
        "allow_get": False,  # IMPAX retrieves with C-MOVE
        "allow_move": rights["move"],
        "allow_store": rights["store"],
        "allow_find_worklist": False,
        "allow_n_action": rights["commit"],
        "allow_event_report": rights["commit"],
        "allow_transcoding": True,
    }


# a CM of the same cluster: the CMs share the cluster's database, so they only need to answer each other's C-ECHO
SIBLING_RIGHTS = {"echo": True, "find": False, "move": False, "store": False, "commit": False}


def gateways(name, connections, entries, registry, all_gateways, addresses, targets):
    """{node: gateway} of one cluster: each CM node's gateway with its registry (the cluster's, plus its sibling
    CMs for C-ECHO), its peers (every other cluster's gateways) and what it verifies (every CM of the other
    clusters and its siblings)."""
    siblings = [e for e in entries if e["kind"] == "connectivity_manager" and e["home_cluster"] == name]
    result = {}
    for node, connection in sorted(connections.items()):
        checked = [cm for cm in targets if cm["ae_title"] != connection["ae_title"]]
        result[node] = dict(
            connection,
            modalities=registry + [_registry_entry(e, SIBLING_RIGHTS) for e in siblings
                                   if e["ae_title"] != connection["ae_title"]],
            peers=[{"name": other if len(theirs) == 1 else "%s_%s" % (other, gateway["ae_title"]),
                    "node": peer, "url": gateway["url"]}
                   for other, theirs in sorted(all_gateways.items()) if other != name
                   for peer, gateway in sorted(theirs.items())],
            verify_targets=[{"name": cm["ae_title"], "ae_title": cm["ae_title"], "host": cm["host"], "port": cm["port"],
                             "cluster": cm["cluster"]} for cm in checked],
            # where the controller's second opinion reaches them (their lines of the cluster's hosts table)
            verify_addresses=dict((cm["host"], addresses[cm["host"]]) for cm in checked if cm["host"] in addresses),
        )
    return result


def digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def split_membership(raw):
    """The raw estates to plan: the linked clusters together, and each cluster leaving on its own.

    A cluster with ``impax_cluster.membership: leaving`` is unlinked: the clusters that stay are planned
    without it (they drop its CMs, sources, hosts entries, gateway modalities and mapping rows) and it is
    planned as an estate of its own (its own CMs without linking flags, its own stations and tables).
    Returns ``(linked raw or None, {leaving cluster: raw}, notes)``: the notes are ``Estate.add`` arguments
    (findings about references to leaving clusters).
    """
    clusters = raw.get("clusters") or {}
    leaving = sorted(name for name, data in clusters.items()
                     if isinstance(((data or {}).get("vars") or {}).get("impax_cluster"), dict)
                     and data["vars"]["impax_cluster"].get("membership") == "leaving")
    if not leaving:
        return raw, {}, []
    notes = []
    settings = raw.get("estate") if isinstance(raw.get("estate"), dict) else {}
    if settings.get("mapping_superset") == "synthesized":
        for name in leaving:
            # a warning, so the failure message shows it next to the ICL205 errors it explains
            notes.append(dict(rule="ICL108", severity=WARNING, cluster=name, var="impax_estate",
                              path="impax_estate.mapping_superset",
                              message="%s is leaving: its rows leave the synthesized superset too; run "
                                      "synthesize_mappings.yml again (ICL205 names the rows still in it)" % name))
    if settings.get("hub") in leaving:
        notes.append(dict(rule="ICL108", message="impax_estate.hub names %r, which is leaving the linked estate; make "
                          "another cluster the hub first" % settings["hub"], cluster=settings["hub"],
                          var="impax_estate", path="impax_estate.hub"))

    def edited(data, edit):
        """``data`` with a copy of its impax_cluster changed by ``edit`` (the inventory's values stay as they are)."""
        variables = dict(data.get("vars") or {})
        if isinstance(variables.get("impax_cluster"), dict):
            variables["impax_cluster"] = dict(variables["impax_cluster"])
            edit(variables["impax_cluster"])
        return dict(data, vars=variables)

    def forget_leaving(own):
        links = own.get("links") if isinstance(own.get("links"), dict) else {}
        for target in sorted(t for t in links if t in leaving):
            notes.append(dict(rule="ICL108", severity=INFO, cluster=own.get("name"), var="impax_cluster",
                              path="impax_cluster.links.%s" % target,
                              message="impax_cluster.links.%s is not used: %s is leaving the linked estate" % (target, target)))
        if links:
            own["links"] = dict((k, v) for k, v in links.items() if k not in leaving)

    def standalone(own):
        for key in ("links", "linking", "topology_role"):
            own.pop(key, None)

    def archived_apart(name, data, gone):
        """``data`` without the ``archive_in`` names of clusters no longer in its part of the estate (said as info)."""
        stations = (data.get("vars") or {}).get("impax_stations")
        if not isinstance(stations, list):
            return data
        kept = []
        for index, station in enumerate(stations):
            names = station.get("archive_in") if isinstance(station, dict) else None
            if isinstance(names, list) and set(names) & gone:
                notes.append(dict(rule="ICL108", severity=INFO, cluster=name, var="impax_stations",
                                  path="impax_stations[%d].archive_in" % index,
                                  message="%s: archive_in names %s, which %s linked with %s any more: not archived "
                                          "there" % (station.get("station_name"), ", ".join(sorted(set(names) & gone)),
                                                     "is not" if len(set(names) & gone) == 1 else "are not", name)))
                station = dict(station, archive_in=[n for n in names if n not in gone])
            kept.append(station)
        return dict(data, vars=dict(data["vars"], impax_stations=kept))

    staying = dict((name, archived_apart(name, edited(data or {}, forget_leaving), set(leaving)))
                   for name, data in clusters.items() if name not in leaving)
    linked = dict(raw, clusters=staying) if staying else None
    if linked is not None and settings.get("hub") in leaving:
        linked["estate"] = dict(settings, hub=None)  # ICL108 says it once (not also "not a cluster")
    alone_settings = dict(settings, hub=None, mapping_superset="union")
    alone = dict((name, {"estate": alone_settings, "origins": raw.get("origins") or {}, "superset": None,
                         "clusters": {name: archived_apart(name, edited(clusters[name] or {}, standalone),
                                                           set(clusters) - {name})}}) for name in leaving)
    return linked, alone, notes


def _plan_clusters(estate, supersets):
    """The hosts table and the per-cluster plans of one (sub-)estate."""
    table = hosts_table(estate)
    clusters = {}
    shared_stations = station_entries(estate)
    shared_sources = source_entries(estate)
    shared = rules.shared_tables(estate)
    connections = dict((name, rules.gateway_connections(cluster)[0]) for name, cluster in estate.clusters.items())
    all_cms = sorted(estate.all_cms(), key=lambda c: c["ae_title"])
    addresses = {}
    for entry in table:
        addresses.setdefault(entry["hostname"], entry["ip"])  # a node's first line: its IPv4 address when it has both
    for name in sorted(estate.clusters):
        cluster = estate.clusters[name]
        tables = dict((t, [{"pattern": r["pattern"], "rule": r["rule"], "label": r["label"]} for r in rows])
                      for t, rows in supersets.items())
        for own, rows in sorted(cluster["mappings"].items()):  # the tables the estate does not share: its own
            if own not in shared and rows:
                tables[own] = sorted(rows, key=lambda r: (r["rule"], r["pattern"]))
        roles = {}
        for node in cluster["nodes"]:
            for role in node["roles"]:
                roles.setdefault(role, []).append(node["hostname"])
        nm = network_management(estate, name, shared_stations)
        links = dict((other, rules.link_flags(estate, name, other)) for other in sorted(estate.clusters) if other != name)
        registry = gateway_modalities(name, nm, dict((other, rules.link_flags(estate, other, name))
                                                     for other in estate.clusters if other != name))
        clusters[name] = {
            "membership": "linked",
            "nodes": sorted(n["hostname"] for n in cluster["nodes"]),
            "database_node": _role_node(cluster, "database", "database"),
            # one DICOM gateway per CM node (rules.gateway_connections), each with the registry it holds
            "gateways": gateways(name, connections[name], nm, registry, connections, addresses, all_cms),
            "nodes_by_role": dict((r, sorted(h)) for r, h in sorted(roles.items())),
            "connectivity_managers": sorted(cm["station_name"] for cm in cluster["cms"]),
            "cm_ae_titles": sorted(cm["ae_title"] for cm in cluster["cms"]),
            # a modality of this cluster: every other gateway registers it to store only, so its C-FIND must be refused
            "verify_refused_as": next((st["ae_title"] for st in sorted(cluster["stations"], key=lambda s: s["ae_title"])
                                       if rules.is_source(st)), None),
            "links": links,
            "network_management": nm,
            "gateway_permissions": permission_summary(nm, registry),
            # the clusters this one queries and retrieves from (verify_links finds and retrieves a study there)
            "queries": sorted(other for other, flags in links.items() if _queries(flags)),
            "sources": sources(estate, name, shared_sources),
            "mappings": tables,
            "mapping_tables": sorted(tables),
            # objects made by hand that the rollout never deletes, and the most one run may delete per resource
            "keep": dict((resource, sorted(set((cluster["settings"].get("keep") or {}).get(resource) or [])))
                         for resource in ("network_management", "sources", "dicom")),
            "max_deletions": next((limit for limit in (cluster["settings"].get("max_deletions"),
                                                       estate.settings.get("max_deletions")) if limit is not None), None),
            "change_windows": cluster["settings"].get("change_windows") or [],
            "drift_policy": dict(windows.DEFAULT_POLICY, **dict(
                (k, v) for source in (estate.settings.get("drift_policy") or {}, cluster["settings"].get("drift_policy") or {})
                for k, v in source.items() if v is not None)),
        }
    return table, clusters


def plan_estate(raw, structural=True, strict=None):
    """Validate and plan. Returns the plan; ``plan['valid']`` is False when any error was found.

    Clusters leaving the linked estate (``split_membership``) are validated and planned on their own; such a
    cluster's plan has ``membership: leaving`` and its own ``hosts_table`` (the top-level one is the linked
    clusters').
    """
    linked_raw, leaving_raw, notes = split_membership(raw)
    linked = Estate(linked_raw) if linked_raw is not None else None
    leaving = dict((name, Estate(part)) for name, part in leaving_raw.items())
    parts = ([linked] if linked is not None else []) + [leaving[name] for name in sorted(leaving)]
    if any(problem.get("unread") for problem in raw.get("problems") or ()):
        # a variable too large to read (an alias bomb) leaves a partial estate: judging it would only report
        # what is missing because of that one cause
        supersets = [{} for part in parts]
    else:
        supersets = [rules.validate(part, structural=structural) for part in parts]
    everything = parts[0].findings
    for part in parts[1:]:
        everything.extend(part.findings)
    for note in notes:
        parts[0].add(note.pop("rule"), note.pop("message"), **note)  # the origins are the same in every part
    settings = parts[0].settings
    strict = settings.get("strict") if strict is None else strict
    findings = everything.sorted()
    blocking = everything.errors(strict=strict)
    plan = {
        "format": PLAN_FORMAT,
        "estate": settings.get("name"),
        "strict": bool(strict),
        "valid": not blocking,
        "counts": {
            "errors": sum(1 for f in findings if f.severity == ERROR),
            "warnings": sum(1 for f in findings if f.severity == WARNING),
            "info": sum(1 for f in findings if f.severity == INFO),
        },
        "findings": [f.as_dict() for f in findings],
        "clusters": {},
    }
    if blocking:
        return plan
    table, clusters = _plan_clusters(linked, supersets[0]) if linked is not None else ([], {})
    plan["hosts_table"] = table
    plan["hosts_table_sha256"] = digest(table)
    plan["mappings"] = supersets[0] if linked is not None else {}
    for part, superset in zip(parts, supersets):
        if part is linked:
            continue
        name = list(part.clusters)[0]  # a leaving part holds its one cluster
        own_table, own = _plan_clusters(part, superset)
        own[name].update(membership="leaving", hosts_table=own_table, hosts_table_sha256=digest(own_table))
        clusters.update(own)
    plan["clusters"] = dict(sorted(clusters.items()))
    return plan
