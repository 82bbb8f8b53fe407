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

import os
import re

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.model import CLUSTER_VARS

NODE_VARS = {"impax_ip": "ip", "impax_ipv6": "ipv6", "impax_roles": "roles", "impax_aliases": "aliases"}
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")
VAR_FILE_SUFFIXES = ("", ".yml", ".yaml", ".json")


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


def variable_origins(inventory_dir, groups, relative_to=None):
    """{group: {variable: file}} for the top-level variables defined in group_vars.

    Only used to name the file in messages, so a plain scan of top-level keys is
    enough (it also works on vaulted files, whose keys stay readable).
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
                            origins.setdefault(group, {}).setdefault(match.group(1), shown)
            except (OSError, UnicodeDecodeError):
                continue
    return origins


def raw_estate_from_hostvars(hostvars, cluster_hosts, inventory_dir=None, relative_to=None):
    """Build the raw estate from the variables of the hosts in the clusters group.

    ``hostvars``: {host: {var: value}} (Ansible's hostvars, or any mapping);
    ``cluster_hosts``: the hosts of the clusters group.
    """
    problems = []
    clusters = {}
    estate = superset = None
    first_host = {}
    for host in sorted(cluster_hosts):
        hv = hostvars[host]
        cluster = hv.get("impax_cluster")
        if estate is None:
            estate = hv.get("impax_estate")
            superset = hv.get("impax_mapping_superset")
        if not isinstance(cluster, dict) or not cluster.get("name"):
            problems.append({"rule": "ICL101", "field": "impax_cluster",
                             "message": "host %s is in the clusters group but no impax_cluster.name applies to it "
                                        "(define it in group_vars/<cluster>/cluster.yml)" % host})
            continue
        name = str(cluster["name"])
        entry = clusters.setdefault(name, {"vars": None, "nodes": []})
        variables = dict((var, hv.get(var)) for var in CLUSTER_VARS)
        if entry["vars"] is None:
            entry["vars"] = variables
            first_host[name] = host
        else:
            for var in sorted(CLUSTER_VARS):
                if variables[var] != entry["vars"][var]:
                    problems.append({"rule": "ICL107", "cluster": name, "field": var,
                                     "message": "%s differs between nodes %s and %s of cluster %s; cluster variables "
                                                "belong in group_vars/%s, not host_vars"
                                                % (var, first_host[name], host, name, name)})
        node = {"hostname": host}
        for var, key in NODE_VARS.items():
            if hv.get(var) is not None:
                node[key] = hv.get(var)
        entry["nodes"].append(node)
    origins = variable_origins(inventory_dir, ["all"] + sorted(clusters), relative_to)
    for name in clusters:
        origins.setdefault(name, {}).setdefault("hosts", _hosts_file(inventory_dir, relative_to))
    return {"estate": estate, "superset": superset, "clusters": clusters, "origins": origins, "problems": problems}


def _hosts_file(inventory_dir, relative_to):
    if not inventory_dir:
        return None
    for name in ("hosts.yml", "hosts.yaml", "hosts", "inventory.yml"):
        path = os.path.join(inventory_dir, name)
        if os.path.isfile(path):
            return os.path.relpath(path, relative_to) if relative_to else path
    return None
