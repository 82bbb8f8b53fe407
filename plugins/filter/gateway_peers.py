# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gateway_peers: the other clusters' gateways as dicom_nodes peers, from their nodes' variables (documentation:
gateway_peers.yml).

One expression in the dicom_gateway role's module arguments instead of a set_fact loop: no task per host to run,
and the peers' passwords never become a fact.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# peer option: the node variable it is read from (left out when the node has no such variable)
CREDENTIALS = (("username", "impax_gateway_username"), ("password", "impax_gateway_password"))


def gateway_peers(peer_gateways, hostvars):
    if not isinstance(peer_gateways, list):
        raise AnsibleFilterError("gateway_peers: the input must be a list of {cluster, node}, got %r" % (peer_gateways,))
    peers = []
    for index, item in enumerate(peer_gateways):
        if not isinstance(item, Mapping) or not {"cluster", "node"} <= set(item):
            raise AnsibleFilterError("gateway_peers: item %d must have cluster and node, got %r" % (index, item))
        if item["node"] not in hostvars:  # Ansible's hostvars gives an undefined value, not a KeyError
            raise AnsibleFilterError("gateway_peers: node %r of cluster %r is not in the inventory"
                                     % (item["node"], item["cluster"]))
        try:
            node_vars = hostvars[item["node"]]
            peer = {"name": item["cluster"], "url": node_vars["impax_cluster"]["gateway"]["url"]}
        except (KeyError, TypeError) as exc:
            raise AnsibleFilterError("gateway_peers: node %r of cluster %r has no impax_cluster.gateway.url (%s)"
                                     % (item["node"], item["cluster"], exc))
        for option, variable in CREDENTIALS:
            if variable in node_vars:
                peer[option] = node_vars[variable]
        peers.append(peer)
    return peers


class FilterModule(object):
    def filters(self):
        return {"gateway_peers": gateway_peers}
