# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From Ansible inventory variables to the raw estate the model loads.

Convention (docs/inventory.md): every cluster is an inventory group, child of
``impax_clusters``; its variables live in ``group_vars/<cluster>/*.yml`` and its
nodes are the group's hosts (``impax_ip``, ``impax_roles``...). Estate-wide
settings are ``impax_estate`` in ``group_vars/all/``.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.model import CLUSTER_VARS

NODE_VARS = {"impax_ip": "ip", "impax_ipv6": "ipv6", "impax_roles": "roles", "impax_aliases": "aliases"}
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")
VAR_FILE_SUFFIXES = ("", ".yml", ".yaml", ".json")


def plain(value):
    """``value`` with Ansible's tagged str/int/float/list/dict subclasses turned into the plain built-in types.

    Why: ansible-core 2.19 hands variables over as tagged subclasses; on a large estate every comparison,
    sort and copy of them costs several times the plain type's, and the plan built from them carries the tags into
    every later task.
    """
    if isinstance(value, dict):
        return dict((plain(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        text = str.__str__(value)  # an exact str (a copy only when ``value`` is a subclass)
        # one spelling per text: Hôpital typed on two machines may arrive in two Unicode normal forms
        return text if text.isascii() else unicodedata.normalize("NFC", text)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


# Estate data is data: it is read as the files hold it and never templated (a lookup in a station's host name
# would run on the controller). Only the connection settings a site builds from its own variables - paths and
# URLs - are templated, each on its own: (variable, key, ...) prefixes; None matches any list index.
TEMPLATED = (("impax_cluster", "database"), ("impax_cluster", "gateway"), ("impax_connectivity_managers", None, "gateway"))
MARKERS = ("{{", "{%", "{#")


def _templated_here(path):
    return any(len(path) >= len(prefix) and all(p is None or p == k for p, k in zip(prefix, path)) for prefix in TEMPLATED)


# characters nobody can see or type on purpose: format (zero-width space, BOM, bidi marks), control, private use
INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ue000-\uf8ff]")


def _marked(value, path, found):
    """Collect the paths of strings with template markers, and of values that are not plain data (vault), in
    ``value``; True when ``value`` is plain data without any."""
    if isinstance(value, dict):
        clean = [_marked(v, path + (k,), found) for k, v in value.items()]  # every part walked: every finding
        return all(clean)
    if isinstance(value, (list, tuple)):
        clean = [_marked(v, path + (i,), found) for i, v in enumerate(value)]
        return all(clean)
    if isinstance(value, str):
        if any(marker in value for marker in MARKERS):
            found.append((path, value))
            return False
        invisible = INVISIBLE.search(value)
        if invisible:
            found.append((path, invisible))
            return False
        return True
    if value is None or isinstance(value, (bool, int, float)):
        return True
    found.append((path, None))  # a vaulted value or another object: Ansible decrypts it, nothing runs
    return False


# Bounds on one variable, so that a YAML alias bomb (a few lines whose anchors repeat each other into millions of
# values) is refused in milliseconds instead of being expanded: the grown test estate's largest variable holds
# some 25,000 values.
MAX_VALUES = 500000
MAX_DEPTH = 32


def oversized(value, limit=MAX_VALUES, depth_limit=MAX_DEPTH):
    """Why ``value`` is too large to be estate data (every repetition of a YAML anchor counted), or None."""
    count, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limit:
            return "more than %d values (every repetition of a YAML anchor counts)" % limit
        if depth > depth_limit:
            return "values nested more than %d levels deep" % depth_limit
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
            count += len(item)  # the keys
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
    return None


def _shown(path):
    text = str(path[0])
    for key in path[1:]:
        text += "[%d]" % key if isinstance(key, int) else ".%s" % key
    return text


def _variable(hostvars, host, raw, var, problems, cluster=None, render=None, verdicts=None):
    """(value, template-free) of one variable of a host, read as data (``TEMPLATED`` leaves rendered).

    ``raw``: the host's variables from Ansible's ``raw_get``, or None (a plain mapping). ``render(host, leaf)``
    templates one leaf with the host's variables (the action plugin's templar); without it leaves stay as written.
    Accessing ``hostvars[host][var]`` would template the whole variable - every lookup in it included - so
    each leaf is rendered on its own. A template marker outside ``TEMPLATED`` is an ICL110 problem; the value
    keeps its text (read literally, never run). ``verdicts``: {id: (value, why too large)}, so that a value every
    node shares (a group's variable) is measured once.
    """
    source = raw if isinstance(raw, dict) else hostvars[host]
    original = source.get(var)
    if isinstance(original, (dict, list, tuple)):
        verdicts = {} if verdicts is None else verdicts
        too_large = verdicts.setdefault(id(original), (original, oversized(original)))[1]
        if too_large:
            problems.append({"rule": "ICL101", "cluster": cluster, "var": var, "field": var, "unread": True,
                             "message": "%s holds %s: too large to be an estate's data, so it is left out unread"
                                        % (var, too_large)})
            return None, True
    found = []
    if _marked(original, (var,), found):
        return plain(original), True
    value = original
    for path, text in found:
        if hasattr(text, "group"):  # an invisible character: refused wherever it is
            problems.append({"rule": "ICL112", "cluster": cluster, "var": var, "field": _shown(path),
                             "message": "%s holds an invisible or control character (U+%04X at position %d): names "
                                        "that look alike must be alike; retype the value"
                                        % (_shown(path), ord(text.group()), text.start() + 1)})
            continue
        if not _templated_here(path) and text is not None:
            problems.append({"rule": "ICL110", "cluster": cluster, "var": var, "field": _shown(path),
                             "message": "%s holds a template marker (%s): estate data is read as written and never "
                                        "templated; only the connection settings (impax_cluster.database, "
                                        "impax_cluster.gateway, a CM's gateway) may be built from variables"
                                        % (_shown(path), _cut(text))})
            continue
        if render is not None:  # a connection setting built from variables, or a vaulted value: that leaf only
            leaf = original
            for key in path[1:]:
                leaf = leaf[key]
            value = _replace(value, path[1:], render(host, leaf))
    return plain(value), False


def _replace(value, path, new):
    """``value`` with the part at ``path`` replaced by ``new`` (copies along the path only)."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


def _cut(text, size=60):
    text = str(text)
    return repr(text if len(text) <= size else text[:size - 3] + "...")


def _var_files(base):
    """Files Ansible reads for a group or host vars name: ``base`` file(s) or ``base/`` directory."""
    files = []
    for suffix in VAR_FILE_SUFFIXES:
        path = base + suffix
        if os.path.isfile(path):
            files.append(path)
    if os.path.isdir(base):
        for root, _dirs, names in os.walk(base):
            for name in sorted(names):
                if name.endswith((".yml", ".yaml", ".json")) or "." not in name:
                    files.append(os.path.join(root, name))
    return sorted(files)


def variable_origins(inventory_dir, groups, relative_to=None, twice=None):
    """{group: {variable: file}} for the top-level variables defined in group_vars.

    Only used to name the file in messages, so a plain scan of top-level keys is
    enough (it also works on vaulted files, whose keys stay readable). ``twice``: a list that receives
    (group, variable, first file, second file) for a variable two files of one group define - Ansible keeps
    one of them and drops the other without a word.
    """
    origins = {}
    if not inventory_dir:
        return origins
    for group in groups:
        for path in _var_files(os.path.join(inventory_dir, "group_vars", group)):
            try:
                with open(path, "r", encoding="utf-8") as handle:
                    for line in handle:
                        match = TOP_LEVEL_KEY.match(line)
                        if match:
                            shown = os.path.relpath(path, relative_to) if relative_to else path
                            first = origins.setdefault(group, {}).setdefault(match.group(1), shown)
                            if first != shown and twice is not None:
                                twice.append((group, match.group(1), first, shown))
            except (OSError, UnicodeDecodeError):
                continue
    return origins


def _group_var_names(inventory_dir):
    """Every group that has group_vars (a file or a folder)."""
    folder = os.path.join(inventory_dir or "", "group_vars")
    if not inventory_dir or not os.path.isdir(folder):
        return []
    return sorted(set(name.split(".")[0] if os.path.isfile(os.path.join(folder, name)) else name
                      for name in os.listdir(folder)))


# every impax_* variable an inventory may hold: estate data, credentials, the playbooks' settings; impax_lab_*
# belongs to the lab. Anything else is a typo that would silently drop data (impax_station: a cluster's stations).
KNOWN_VARIABLES = set(CLUSTER_VARS) | set(NODE_VARS) | {
    "impax_estate", "impax_mapping_superset", "impax_project_dir",
    "impax_gateway_username", "impax_gateway_password", "impax_database_username", "impax_database_password",
    "impax_application_reset", "impax_verify_studies", "impax_verify_study", "impax_drift_correct", "impax_report_dir",
    "impax_report_kind", "impax_max_deletions", "impax_rollout_serial", "impax_rollout_report", "impax_force_reason",
    "impax_change_record", "impax_outside_window", "impax_now", "impax_plan_file", "impax_export_dir",
    "impax_superset_file", "impax_snapshot", "impax_snapshot_enabled", "impax_snapshot_dir", "impax_snapshot_id",
    "impax_lock_wait", "impax_lock_lease", "impax_lock_take_over", "impax_run_id",
    # set by playbooks/plan.yml on each node
    "impax_cluster_plan", "impax_cluster_slices", "impax_hosts_tables", "impax_gateway"}
ESTATE_WIDE = ("impax_estate", "impax_mapping_superset")


def _inventory_problems(hostvars, hosts, raw_of, clusters, groups, origins, twice, unread_groups=()):
    """Problems of the inventory's shape that would drop data silently: unknown impax_* variables, a variable two
    files of one group define, estate-wide variables in a cluster's folder, a cluster group outside impax_clusters,
    a cluster whose name is not its group's, two clusters whose names differ only in case."""
    problems = []

    def file_of(var):
        return next((files[var] for unused, files in sorted(origins.items()) if var in files), None)

    unknown = set()
    for host in hosts:
        raw = raw_of(host)
        for var in sorted(raw or ()):
            if str(var).startswith("impax_") and var not in KNOWN_VARIABLES and not var.startswith("impax_lab"):
                unknown.add(var)
    for var in sorted(unknown):
        close = difflib.get_close_matches(var, sorted(KNOWN_VARIABLES), n=1, cutoff=0.8)
        problems.append({"rule": "ICL101", "field": var, "file": file_of(var),
                         "message": "%s is not a variable of this collection%s: its data would be ignored"
                                    % (var, " - did you mean %s?" % close[0] if close else "")})
    for group, var, first, second in twice:
        if var.startswith("impax_"):
            problems.append({"rule": "ICL105", "cluster": group if group in clusters else None, "field": var, "file": second,
                             "message": "%s is defined in both %s and %s: Ansible keeps one of them and drops the "
                                        "other without a word; keep it in one file" % (var, first, second)})
    for group, files in sorted(origins.items()):
        if group == "all":
            continue
        for var in ESTATE_WIDE:
            if var in files:
                problems.append({"rule": "ICL101", "cluster": group if group in clusters else None, "field": var,
                                 "file": files[var], "message": "%s belongs in group_vars/all (one for the estate), "
                                                                "not in group_vars/%s" % (var, group)})
        if "impax_cluster" in files and group not in clusters and group not in unread_groups \
                and group != "impax_clusters" and groups is not None and group in groups and not groups[group]:
            # unread: the estate is missing a cluster, so what the rules would say of the rest only follows from it
            problems.append({"rule": "ICL101", "cluster": group, "field": "impax_cluster", "file": files["impax_cluster"],
                             "unread": True,
                             "message": "cluster group %s has no nodes in the hosts file: its variables apply to no "
                                        "host, so the whole cluster is left out; list its nodes under %s: hosts:"
                                        % (group, group)})
        elif "impax_cluster" in files and group not in clusters and group not in unread_groups \
                and group != "impax_clusters" and groups is not None:
            problems.append({"rule": "ICL101", "field": "impax_cluster", "file": files["impax_cluster"],
                             "message": "group %s defines impax_cluster but is not a cluster of the estate (a child "
                                        "group of impax_clusters in the hosts file, with its nodes): its cluster is "
                                        "left out" % group})
    if groups is not None:
        for host in hosts:
            theirs = sorted(name for name in clusters if host in (groups.get(name) or ()))
            if len(theirs) > 1:
                problems.append({"rule": "ICL101", "field": "hosts", "file": origins.get(theirs[0], {}).get("hosts"),
                                 "message": "node %s is in the groups of clusters %s: a node belongs to one cluster"
                                            % (host, " and ".join(theirs))})
        for name in sorted(clusters):
            members = set(groups.get(name) or ())
            strays = [node["hostname"] for node in clusters[name]["nodes"] if node["hostname"] not in members]
            if strays:
                where = next((files["impax_cluster"] for group, files in sorted(origins.items())
                              if "impax_cluster" in files and strays[0] in (groups.get(group) or ())), None)
                problems.append({"rule": "ICL101", "cluster": name, "file": where, "field": "impax_cluster.name",
                                 "message": "impax_cluster.name is %r on %s, but %s no inventory group %r: the name is "
                                            "the cluster's group in the hosts file (and its folder group_vars/<name>/)"
                                            % (name, ", ".join(sorted(strays)), "there is" if name not in groups
                                               else "they are not in the", name)})
    folded = {}
    for name in sorted(clusters):
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            problems.append({"rule": "ICL101", "cluster": name, "var": "impax_cluster", "field": "impax_cluster.name",
                             "message": "clusters %r and %r differ only in case: give them names that differ"
                                        % (other, name)})
    return problems


def raw_estate_from_hostvars(hostvars, cluster_hosts, inventory_dir=None, relative_to=None, render=None, groups=None):
    """Build the raw estate from the variables of the hosts in the clusters group.

    ``hostvars``: {host: {var: value}} (Ansible's hostvars, or any mapping);
    ``cluster_hosts``: the hosts of the clusters group.

    Variables are taken as the files hold them (Ansible's ``raw_get``), never through the templating engine
    (``_variable``): estate data is data, and on a large estate each templating of a station list costs most of
    a second. ``render(host, leaf)`` templates the connection settings' leaves that need it.
    """
    raw_get = getattr(hostvars, "raw_get", None)
    first_free = {}  # cluster -> {var: the first node's raw value}, for the template-free ones
    problems = []
    clusters = {}
    estate = superset = None
    first_host = {}
    verdicts = {}
    estate_read = False
    unread_hosts = set()  # nodes whose impax_cluster is too large to read
    for host in sorted(cluster_hosts):
        raw = raw_get(host) if raw_get else None
        unread = []
        cluster = _variable(hostvars, host, raw, "impax_cluster", unread, verdicts=verdicts)[0]
        unread = [p for p in unread if p.get("unread")]
        if unread and unread[0] not in problems:  # a cluster's variable too large to read: said once, for its nodes
            problems.append(unread[0])
        if unread:
            unread_hosts.add(host)
        if not estate_read:
            estate_read = True
            estate = _variable(hostvars, host, raw, "impax_estate", problems, render=render, verdicts=verdicts)[0]
            superset = _variable(hostvars, host, raw, "impax_mapping_superset", problems, render=render, verdicts=verdicts)[0]
        if unread:
            continue
        if not isinstance(cluster, dict) or not cluster.get("name"):
            problems.append({"rule": "ICL101", "field": "impax_cluster",
                             "message": "host %s is in the clusters group but no impax_cluster.name applies to it "
                                        "(define it in group_vars/<cluster>/cluster.yml)" % host})
            continue
        name = str(cluster["name"])
        entry = clusters.setdefault(name, {"vars": None, "nodes": []})
        if entry["vars"] is None:
            entry["vars"], first_free[name] = {}, {}
            for var in CLUSTER_VARS:
                entry["vars"][var], free = _variable(hostvars, host, raw, var, problems, name, render, verdicts=verdicts)
                if free and isinstance(raw, dict):
                    first_free[name][var] = raw.get(var)
            first_host[name] = host
        else:
            for var in sorted(CLUSTER_VARS):
                if var in first_free[name] and isinstance(raw, dict) and raw.get(var) is first_free[name][var]:
                    continue  # the very same template-free object (one group_vars file): nothing host-specific
                if _variable(hostvars, host, raw, var, [], name, render, verdicts=verdicts)[0] != entry["vars"][var]:
                    problems.append({"rule": "ICL107", "cluster": name, "field": var, "hosts": (first_host[name], host),
                                     "message": "%s differs between nodes %s and %s of cluster %s; cluster variables "
                                                "belong in group_vars/%s, not host_vars"
                                                % (var, first_host[name], host, name, name)})
        node = {"hostname": host}
        for var, key in NODE_VARS.items():
            value = _variable(hostvars, host, raw, var, problems, name, render, verdicts=verdicts)[0]
            if value is not None:
                node[key] = value
        entry["nodes"].append(node)
    twice = []
    origins = variable_origins(inventory_dir, sorted(set(["all"] + sorted(clusters) + _group_var_names(inventory_dir))),
                               relative_to, twice)
    for name in clusters:
        origins.setdefault(name, {}).setdefault("hosts", _hosts_file(inventory_dir, relative_to))
    unread_groups = set(group for group, files in origins.items() if "impax_cluster" in files and group not in clusters
                        and (groups is None or unread_hosts & set(groups.get(group) or ())))
    for problem in problems:
        if problem.get("unread") and problem["var"] == "impax_cluster" and unread_groups:
            problem["file"] = origins[sorted(unread_groups)[0]]["impax_cluster"]
    shape = _inventory_problems(hostvars, sorted(cluster_hosts), lambda host: raw_get(host) if raw_get else
                                hostvars[host], clusters, groups, origins, twice, unread_groups)
    shared = set(p["message"].split()[1] for p in shape if p["field"] == "hosts")
    # a node in two clusters' groups is said once: not again as the variables its clusters disagree on
    problems = [p for p in problems if not shared & set(p.get("hosts") or ())] + shape
    return {"estate": estate, "superset": superset, "clusters": clusters, "origins": origins, "problems": problems}


def _hosts_file(inventory_dir, relative_to):
    if not inventory_dir:
        return None
    for name in ("hosts.yml", "hosts.yaml", "hosts", "inventory.yml"):
        path = os.path.join(inventory_dir, name)
        if os.path.isfile(path):
            return os.path.relpath(path, relative_to) if relative_to else path
    return None
