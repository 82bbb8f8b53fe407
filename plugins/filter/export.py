# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gathered_to_inventory: a live cluster's gathered lists in the inventory's shape (documentation: the .yml file)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.export import to_inventory


def gathered_to_inventory(network_stations, sources, mappings, cluster=None, local_cms=None):
    try:
        return to_inventory(cluster, network_stations, sources, mappings or {}, local_cms)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("gathered_to_inventory: the gathered lists are not in the modules' shape (%s)" % exc)


class FilterModule(object):
    def filters(self):
        return {"gathered_to_inventory": gathered_to_inventory}
