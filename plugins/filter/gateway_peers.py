# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gateway_peers: the other clusters' gateways as dicom_nodes peers, with their nodes' credentials (documentation:
gateway_peers.yml).

One expression in the dicom_gateway role's module arguments instead of a set_fact loop: no task per host to run,
and the peers' passwords never become a fact.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# peer option: the node variable it is read from (left out when the node has no such variable)
CREDENTIALS = (("username", "impax_gateway_username"), ("password", "impax_gateway_password"))


def gateway_peers(peers, hostvars):
    if not isinstance(peers, list):
        raise AnsibleFilterError("gateway_peers: the input must be a list of {name, node, url} (a gateway's peers in "
                                 "the plan), got %r" % (peers,))
    result = []
    for index, item in enumerate(peers):
        if not isinstance(item, Mapping) or not {"name", "node", "url"} <= set(item):
            raise AnsibleFilterError("gateway_peers: item %d must have name, node and url (the plan's "
                                     "clusters.<cluster>.gateways.<node>.peers), got %r" % (index, item))
        if item["node"] not in hostvars:  # Ansible's hostvars gives an undefined value, not a KeyError
            raise AnsibleFilterError("gateway_peers: node %r of peer %r is not in the inventory" % (item["node"], item["name"]))
        node_vars = hostvars[item["node"]]
        peer = {"name": item["name"], "url": item["url"]}
        for option, variable in CREDENTIALS:
            if variable in node_vars:
                peer[option] = node_vars[variable]
        result.append(peer)
    return result


class FilterModule(object):
    def filters(self):
        return {"gateway_peers": gateway_peers}
