# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side step: write each cluster's snapshot from what playbooks/snapshot.yml read.

Documentation lives in plugins/modules/snapshot_write.py. Python writes the files
directly: templating tens of thousands of objects into a copy task costs seconds.
"""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleActionFail

from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ControllerAction, registered

ARGUMENT_SPEC = dict(
    index=dict(type="dict", required=True),
    estate=dict(type="str", required=True),
    id=dict(type="str", required=True),
    folder=dict(type="path", required=True),
)


def _read(hostvars, host, var):
    if not host:
        return None
    value = registered(hostvars, host, var)
    if value is None or value.get("failed") or value.get("skipped"):
        raise AnsibleActionFail("snapshot_write: %s has no %s (the read failed or did not run); no snapshot was written"
                                % (host, var))
    return value


def snapshot_of(name, entry, hostvars, estate, snapshot_id):
    database = entry.get("database_node")
    tables = (_read(hostvars, database, "impax_snapshot_database") or {}).get("gathered") if database else None
    return {
        "format": 2, "estate": estate, "cluster": name, "id": snapshot_id,
        "hosts": dict((node, _read(hostvars, node, "impax_snapshot_hosts")["gathered"]) for node in entry["nodes"]),
        "network_management": tables["network_management"] if database else None,
        "sources": tables["sources"] if database else None,
        "mappings": tables.get("mappings", {}) if database else None,
        # each DICOM gateway's registry, by node (format 1 had the cluster's one gateway as "dicom")
        "gateways": dict((node, {"modalities": _read(hostvars, node, "impax_snapshot_dicom")["gathered"]["modalities"]})
                         for node in entry.get("gateway_nodes") or []),
    }


class ActionModule(ControllerAction):
    NAME = "snapshot_write"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):
        hostvars = task_vars["hostvars"]
        snapshots = dict((name, snapshot_of(name, entry, hostvars, args["estate"], args["id"]))
                         for name, entry in sorted(args["index"].items()))
        os.makedirs(args["folder"], mode=0o750, exist_ok=True)
        files = {}
        for name, snapshot in snapshots.items():
            path = os.path.join(args["folder"], "%s.json" % name)
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(snapshot, handle, indent=1, sort_keys=True)
                handle.write("\n")
            os.chmod(path, 0o640)
            files[name] = path
        # a record of the estate, not a change to it: idempotence counts only changes
        result.update(changed=False, folder=args["folder"], files=files)
        return result
