# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate model: load inventory variables into checked, normalised objects.

Input is the *raw estate*: the variables of the inventory, grouped per cluster
(see ``inventory.raw_estate_from_hostvars``)::

    {"estate": {...impax_estate...},
     "clusters": {"north": {"vars": {"impax_cluster": ..., "impax_stations": [...], ...},
                            "nodes": [{"hostname": ..., "ip": ..., "roles": [...]}, ...]}},
     "origins": {"north": {"impax_stations": "group_vars/north/stations.yml"}, "all": {...}}}

Objects stay plain dicts (serialisable, easy to compare) annotated with
``cluster`` and ``path`` so every finding can name where it came from.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import mapping, schema, windows
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import Findings
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.names import ae_title_problem, hostname_problem

# keys that hold credentials, in any connection setting (they have variables of their own)
CREDENTIAL_KEYS = {"user", "username", "password", "passwd", "pass", "secret", "token", "api_key"}

CLUSTER_VARS = {
    "impax_cluster": ("dict", None),
    "impax_connectivity_managers": ("list", schema.CM_SPEC),
    "impax_stations": ("list", schema.STATION_SPEC),
    "impax_external_destinations": ("list", schema.DESTINATION_SPEC),
    "impax_mappings": ("dict", None),
    "impax_mapping_samples": ("dict", None),
    "impax_specialty_catalog": ("dict", None),
    "impax_mapping_corpus": ("dict", None),
}


def ip_problem(value, version=None):
    try:
        addr = ipaddress.ip_address(value)
    except (ValueError, TypeError):
        return "%r is not an IPv4 or IPv6 address" % (value,)
    if version and addr.version != version:
        return "%r is not an IPv%d address" % (value, version)
    if addr.is_loopback or addr.is_unspecified:
        return "%r is a %s address: every node and station must be reachable at an address of its own" % (
            value, "loopback" if addr.is_loopback else "wildcard")
    return None


def normalise_ip(value):
    return str(ipaddress.ip_address(value))


class Estate(object):
    """A loaded estate. ``findings`` holds everything loading found wrong."""

    def __init__(self, raw):
        self.raw = raw
        self.findings = Findings()
        self.origins = raw.get("origins") or {}
        self.settings = {}
        self.clusters = {}
        self._node_index = None
        self._cm_lookup = None
        self._load()

    # -- where things come from -------------------------------------------------
    def origin(self, cluster, var):
        return (self.origins.get(cluster) or {}).get(var) or (self.origins.get("all") or {}).get(var)

    def add(self, rule, message, cluster=None, var=None, path=None, obj=None, severity=None):
        self.findings.add(rule, message, cluster=cluster, obj=obj, field=path or var, severity=severity,
                          file=self.origin(cluster, var) if var else None)

    # -- loading ------------------------------------------------------------------
    def _load(self):
        estate, problems = schema.check_salvaged(schema.ESTATE_SPEC, self.raw.get("estate") or {}, "impax_estate")
        if any(p.get("unread") and p.get("var") == "impax_estate" for p in self.raw.get("problems") or []):
            problems = []  # too large to read: that is the one finding, not what it lacks
        for path, message in problems:
            self.add("ICL101", message, var="impax_estate", path=path)
        for problem in self.raw.get("problems") or []:
            where = problem.get("file") or (self.origin(problem.get("cluster"), problem["var"]) if problem.get("var") else None)
            self.findings.add(problem["rule"], problem["message"], cluster=problem.get("cluster"),
                              field=problem.get("field"), file=where)
        self.settings = estate or {"name": "unnamed", "strict": False, "linking": None,
                                   "cross_cluster_external_search": False, "patient_identity": None,
                                   "hub": None, "specialty_catalog": None, "patient_location_superset": False,
                                   "prefetch_and_route_by": ["body_part", "specialty"],
                                   "mapping_catch_all_rule": 1000000, "mapping_superset": "union",
                                   "max_deletions": None}
        if (self.settings.get("max_deletions") or 0) < 0:
            self.add("ICL101", "max_deletions must be 0 or more (0: the rollout deletes nothing; null: no limit), got %d"
                     % self.settings["max_deletions"], var="impax_estate", path="impax_estate.max_deletions")
        self.superset = self._load_superset(self.raw.get("superset"))
        clusters = self.raw.get("clusters") or {}
        if not clusters:
            self.add("ICL101", "the estate has no clusters: put each cluster's group under the clusters group",
                     var="impax_estate")
        for name in sorted(clusters):
            self.clusters[name] = self._load_cluster(name, clusters[name])

    def _load_cluster(self, name, data):
        variables = data.get("vars") or {}
        cluster = {"name": name, "nodes": [], "cms": [], "stations": [], "destinations": [],
                   "mappings": {}, "samples": {}, "catalog": {}, "corpus": {}, "settings": {}}
        for var, (kind, _spec) in CLUSTER_VARS.items():
            value = variables.get(var)
            if value is not None and not isinstance(value, dict if kind == "dict" else list):
                self.add("ICL101", "%s must be a %s" % (var, "mapping" if kind == "dict" else "list"), name, var)
                variables = dict(variables)
                variables[var] = None

        variables = self._without_credentials(name, variables)
        settings, problems = schema.check_salvaged(schema.CLUSTER_SPEC, variables.get("impax_cluster") or {}, "impax_cluster")
        for path, message in problems:
            self.add("ICL101", message, name, "impax_cluster", path)
        cluster["settings"] = settings or {"name": name, "membership": "linked", "linking": None, "links": None, "topology_role": "peer",
                                           "update_syntax": "impax-6.5", "station_containers": [],
                                           "cc_objects": False, "archives_to_idc": False,
                                           "default_report_source": None, "patient_id_domain": None,
                                           "change_windows": [], "drift_policy": None, "keep": None,
                                           "max_deletions": None}
        if settings and settings["name"] != name:
            self.add("ICL101", "impax_cluster.name is %r but its variables belong to the inventory group %r"
                     % (settings["name"], name), name, "impax_cluster", "impax_cluster.name")
        if (cluster["settings"].get("max_deletions") or 0) < 0:
            self.add("ICL101", "max_deletions must be 0 or more (0: the rollout deletes nothing; null: the estate's "
                     "limit), got %d" % cluster["settings"]["max_deletions"], name, "impax_cluster", "impax_cluster.max_deletions")
        for index, window in enumerate(cluster["settings"].get("change_windows") or []):
            for problem in windows.check_window(window, "impax_cluster.change_windows[%d]" % index):
                self.add("ICL101", problem, name, "impax_cluster", problem.split(":")[0].split(" ")[0])
        for link_target, flags in sorted((cluster["settings"].get("links") or {}).items()):
            checked, problems = schema.check_shape(schema.LINK_FLAGS_SPEC, flags or {}, "impax_cluster.links.%s" % link_target)
            for path, message in problems:
                self.add("ICL101", message, name, "impax_cluster", path)
            cluster["settings"]["links"][link_target] = checked or {}

        for index, node in enumerate(data.get("nodes") or []):
            path = "host %s" % node.get("hostname")
            checked, problems = schema.check_shape(schema.NODE_SPEC, node, path)
            for where, message in problems:
                self.add("ICL101", message.replace("found in %s" % path, ""), name, "hosts", where)
            if checked is None:
                continue
            checked["cluster"], checked["path"] = name, path
            for field in ("ip", "ipv6"):
                if checked.get(field) is not None:
                    problem = ip_problem(checked[field], 6 if field == "ipv6" else None)
                    if problem:
                        self.add("ICL103", problem, name, "hosts", "%s: impax_%s" % (path, field), checked["hostname"])
                        checked[field] = None
                    else:
                        checked[field] = normalise_ip(checked[field])
            for alias in [checked["hostname"]] + checked["aliases"]:
                problem = hostname_problem(alias)
                if problem:
                    self.add("ICL102", "host name %r %s" % (alias, problem), name, "hosts", path, alias)
            cluster["nodes"].append(checked)

        lists = (("cms", "impax_connectivity_managers", schema.CM_SPEC),
                 ("stations", "impax_stations", schema.STATION_SPEC),
                 ("destinations", "impax_external_destinations", schema.DESTINATION_SPEC))
        for key, var, spec in lists:
            items, problems = schema.check_list(spec, variables.get(var), var)
            for path, message in problems:
                self.add("ICL101", message, name, var, path)
            if key == "cms":
                items = self._cms_kept_for_reference(items, variables.get(var), spec, var)
            for index, item in items:
                item["cluster"], item["path"], item["var"] = name, "%s[%d]" % (var, index), var
                self._hygiene(item)
                cluster[key].append(item)

        self._load_mappings(cluster, variables)
        return cluster

    @staticmethod
    def _cms_kept_for_reference(items, given, spec, var):
        """``items`` plus, for a CM refused for a field other than its identity, the CM by its name, AE title and
        host: it is still there, so its sources and its cluster are not reported again for what only follows from
        the one cause (the ICL101 already said; the estate is invalid either way)."""
        valid = set(index for index, unused in items)
        for index, cm in enumerate(given if isinstance(given, list) else []):
            if index in valid or not isinstance(cm, dict):
                continue
            identity = dict((k, cm.get(k)) for k in ("station_name", "ae_title", "host"))
            stub, problems = schema.check_shape(spec, identity, "%s[%d]" % (var, index))
            if stub is not None and not problems:
                items.append((index, dict(stub, refused=True)))
        return sorted(items, key=lambda pair: pair[0])

    def _without_credentials(self, name, variables):
        """``variables`` without credentials put into a connection setting (ICL111, named by field, never by value):
        they belong in impax_database_* / impax_gateway_* (vaulted), which never enter the plan or its files."""
        def strip(setting, path, var):
            if not isinstance(setting, dict):
                return setting
            found = sorted(k for k in setting if str(k).lower() in CREDENTIAL_KEYS)
            for key in found:
                kind = "database" if path.endswith(".database") else "gateway"
                self.add("ICL111", "%s.%s is a credential: give it as impax_%s_%s (vaulted), never in the estate's "
                         "data" % (path, key, kind, "password" if "pass" in str(key).lower() else "username"),
                         name, var, "%s.%s" % (path, key))
            return dict((k, v) for k, v in setting.items() if k not in found) if found else setting

        cluster = variables.get("impax_cluster")
        if isinstance(cluster, dict):
            cluster = dict(cluster, **dict((key, strip(cluster[key], "impax_cluster.%s" % key, "impax_cluster"))
                                           for key in ("database", "gateway") if key in cluster))
            variables = dict(variables, impax_cluster=cluster)
        cms = variables.get("impax_connectivity_managers")
        if isinstance(cms, list):
            variables = dict(variables, impax_connectivity_managers=[
                dict(cm, gateway=strip(cm["gateway"], "impax_connectivity_managers[%d].gateway" % index,
                                       "impax_connectivity_managers"))
                if isinstance(cm, dict) and "gateway" in cm else cm for index, cm in enumerate(cms)])
        return variables

    def _hygiene(self, item):
        cluster, var, path = item["cluster"], item["var"], item["path"]
        problem = ae_title_problem(item["ae_title"])
        if problem:
            self.add("ICL008", "AE title %r %s" % (item["ae_title"], problem), cluster, var, path + ".ae_title", item["ae_title"])
        problem = hostname_problem(item["host"])
        if problem:
            self.add("ICL102", "host name %r %s" % (item["host"], problem), cluster, var, path + ".host", item["host"])
        if item.get("ip") is not None:
            problem = ip_problem(item["ip"])
            if problem:
                self.add("ICL103", problem, cluster, var, path + ".ip", item["station_name"])
                item["ip"] = None
            else:
                item["ip"] = normalise_ip(item["ip"])
        if not 1 <= item["port"] <= 65535:
            self.add("ICL104", "port %d is outside 1 to 65535" % item["port"], cluster, var, path + ".port", item["station_name"])

    def _load_mappings(self, cluster, variables):
        name = cluster["name"]
        for var, target, spec in (("impax_mappings", "mappings", schema.MAPPING_ROW_SPEC),
                                  ("impax_mapping_samples", "samples", schema.SAMPLE_SPEC)):
            tables = variables.get(var) or {}
            for table in sorted(tables):
                if table not in schema.MAPPING_TABLES:
                    self.add("ICL101", "unknown mapping table %r (one of %s)" % (table, ", ".join(schema.MAPPING_TABLES)),
                             name, var, "%s.%s" % (var, table))
                    continue
                items, problems = schema.check_list(spec, tables[table], "%s.%s" % (var, table))
                for path, message in problems:
                    self.add("ICL101", message, name, var, path)
                for index, row in items if target == "mappings" else ():
                    special = sorted(set(mapping.LIKE_SPECIAL) & set(row["pattern"]))
                    if special:
                        self.add("ICL023", "%s pattern %r contains %s, which a database's LIKE reads specially (\\ "
                                 "escapes the next character in PostgreSQL and MySQL, [ ] is a character class in SQL "
                                 "Server): the row matches differently by engine; write the text without them"
                                 % (table, row["pattern"], " and ".join(repr(c) for c in special)),
                                 name, var, "%s.%s[%d].pattern" % (var, table, index))
                cluster[target][table] = [item for unused, item in items]
        corpus = variables.get("impax_mapping_corpus") or {}
        for table in sorted(corpus):
            if table not in schema.MAPPING_TABLES or not isinstance(corpus[table], str):
                self.add("ICL101", "impax_mapping_corpus maps a mapping table (%s) to a CSV file path"
                         % ", ".join(schema.MAPPING_TABLES), name, "impax_mapping_corpus", "impax_mapping_corpus.%s" % table)
            else:
                cluster["corpus"][table] = corpus[table]
        catalog = variables.get("impax_specialty_catalog") or {}
        cluster["catalog"] = dict((str(k), str(v)) for k, v in catalog.items())

    def _load_superset(self, tables):
        """The estate-wide synthesised tables (impax_mapping_superset), shape-checked."""
        checked = {}
        if tables is None:
            return checked
        if not isinstance(tables, dict):
            self.add("ICL101", "impax_mapping_superset must be a mapping of table to rows", var="impax_mapping_superset")
            return checked
        for table in sorted(tables):
            if table not in schema.MAPPING_TABLES:
                self.add("ICL101", "unknown mapping table %r (one of %s)" % (table, ", ".join(schema.MAPPING_TABLES)),
                         var="impax_mapping_superset", path="impax_mapping_superset.%s" % table)
                continue
            items, problems = schema.check_list(schema.SUPERSET_ROW_SPEC, tables[table], "impax_mapping_superset.%s" % table)
            for path, message in problems:
                self.add("ICL101", message, var="impax_mapping_superset", path=path)
            checked[table] = [item for unused, item in items]
        return checked

    # -- views used by rules and the planner ---------------------------------------
    def all_nodes(self):
        return [n for c in self.clusters.values() for n in c["nodes"]]

    def all_cms(self):
        return [m for c in self.clusters.values() for m in c["cms"]]

    def all_stations(self):
        return [s for c in self.clusters.values() for s in c["stations"]]

    def all_destinations(self):
        return [d for c in self.clusters.values() for d in c["destinations"]]

    def node_index(self):
        if self._node_index is None:
            self._node_index = dict((n["hostname"], n) for n in self.all_nodes())
        return self._node_index

    def cm_lookup(self):
        """({station name or AE title: CM}, {casefolded name: CM}) for reference checks."""
        if self._cm_lookup is None:
            exact, folded = {}, {}
            for cm in sorted(self.all_cms(), key=lambda c: (c["cluster"], c["path"]), reverse=True):
                for key in (cm["ae_title"], cm["station_name"]):
                    exact[key] = cm
                    folded[key.casefold()] = cm
            self._cm_lookup = (exact, folded)
        return self._cm_lookup
