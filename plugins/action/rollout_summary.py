# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side step: one summary per cluster of what the rollout changed and verified.

Reads the results the rollout's roles registered on each node (documentation in
plugins/modules/rollout_summary.py).
"""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ROLLOUT_REGISTERED, ControllerAction, registered

ARGUMENT_SPEC = dict(index=dict(type="dict", required=True), skipped=dict(type="list", elements="str", default=[]),
                     guards=dict(type="bool", default=False))

STAGES = (
    ("hosts", ROLLOUT_REGISTERED["hosts"], "node"),
    ("network_management", ROLLOUT_REGISTERED["network_management"], "db"),
    ("source_manager", ROLLOUT_REGISTERED["sources"], "db"),
    ("mappings", ROLLOUT_REGISTERED["mappings"], "db"),
    ("dicom_gateway", ROLLOUT_REGISTERED["dicom"], "gateway"),
)


def _changes(result):
    """(changed?, short text) of one registered result."""
    if result is None:
        return None, "not run"
    if result.get("failed"):
        return None, "FAILED: %s" % str(result.get("msg", "")).splitlines()[0][:160]
    if result.get("skipped"):
        return None, "skipped"
    if "tables" in result:  # mapping_tables: each table's own result
        parts, any_changed = [], False
        for table, item in sorted(result["tables"].items()):
            changed, text = _changes(item)
            any_changed = any_changed or bool(changed)
            parts.append("%s %s" % (table, text))
        return any_changed, "; ".join(parts) or "no table"
    if result.get("refused"):
        return bool(result.get("changed")), "REFUSED in a real run: %s" % "; ".join(result["refused"])
    commands = result.get("commands")
    if commands is not None:
        ops = {}
        for command in commands:
            ops[command.get("op", "?")] = ops.get(command.get("op", "?"), 0) + 1
        text = ", ".join("%d %s" % (n, op) for op, n in sorted(ops.items())) or "in sync"
        return bool(result.get("changed")), text
    return bool(result.get("changed")), "changed" if result.get("changed") else "in sync"


def _gateways(hostvars, nodes):
    """The gateway stage of a cluster: each gateway node's result, and one line for them all."""
    results = dict((node, _changes(registered(hostvars, node, ROLLOUT_REGISTERED["dicom"]))) for node in nodes)
    if not nodes:
        return {"nodes": {}, "changed": None, "summary": "no gateway"}
    summary = results[nodes[0]][1] if len(nodes) == 1 else \
        ", ".join("%s %s" % (node, text) for node, (unused, text) in sorted(results.items()))
    return {"nodes": dict((node, {"changed": changed, "summary": text}) for node, (changed, text) in results.items()),
            "changed": any(changed for changed, unused in results.values()), "summary": summary}


class ActionModule(ControllerAction):
    NAME = "rollout_summary"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):
        hostvars = task_vars["hostvars"]
        index = args["index"]
        if args["guards"]:
            return self._guards(hostvars, index, result)
        clusters = {}
        for name, cluster in sorted(index.items()):
            if name in args["skipped"]:
                clusters[name] = {"skipped": "outside its change window, left as it was"}
                continue
            stages = {}
            hosts = []
            for node in cluster["nodes"]:
                changed, text = _changes(registered(hostvars, node, "__hosts_file_result"))
                hosts.append((node, changed, text))
            stages["hosts"] = {"changed_nodes": sorted(n for n, c, t in hosts if c),
                               "failed_nodes": sorted(n for n, c, t in hosts if t.startswith("FAILED")),
                               "nodes": len(hosts)}
            for stage, var, where in STAGES[1:-1]:
                node = cluster.get("database_node")
                changed, text = _changes(registered(hostvars, node, var))
                stages[stage] = {"node": node, "changed": changed, "summary": text}
            stages["dicom_gateway"] = _gateways(hostvars, cluster.get("gateway_nodes") or [])
            rows = []
            for node in cluster.get("gateway_nodes") or []:
                verify = registered(hostvars, node, "verify_links_gateway")
                if verify and "echo" in verify:
                    rows += verify.get("echo", []) + verify.get("find", []) + verify.get("retrieve", [])
            if rows:
                # a broken pair by its source CM and target (the gateways' rows say source -> target)
                broken = ["%s -> %s" % (r["source"], r["target"]) for r in rows if r["status"] != "ok"]
                stages["verify"] = {"checks": len(rows), "broken": broken}
            else:
                stages["verify"] = {"checks": 0, "broken": [], "summary": "not run"}
            if cluster.get("membership") == "leaving":
                stages["membership"] = "leaving"
            clusters[name] = stages
        lines = []
        for name, stages in clusters.items():
            if "skipped" in stages:
                lines.append("%s: skipped - %s" % (name, stages["skipped"]))
                continue
            hosts = stages["hosts"]
            lines.append("%s%s: hosts %d/%d nodes changed%s; Network Management %s; Source Manager %s; mappings %s; "
                         "gateway %s; verify %s" % (
                             name, " (leaving the estate: unlinked, on its own)" if stages.get("membership") else "",
                             len(hosts["changed_nodes"]), hosts["nodes"],
                             " (%s FAILED)" % ", ".join(hosts["failed_nodes"]) if hosts["failed_nodes"] else "",
                             stages["network_management"]["summary"], stages["source_manager"]["summary"],
                             stages["mappings"]["summary"], stages["dicom_gateway"]["summary"],
                             stages["verify"].get("summary") or ("no links to verify" if not stages["verify"]["checks"]
                                                                 else "%d checks ok" % stages["verify"]["checks"]
                                                                 if not stages["verify"]["broken"]
                                                                 else "BROKEN: %s" % ", ".join(stages["verify"]["broken"]))))
        result.update(changed=False, clusters=clusters, summary=lines)
        return result

    def _guards(self, hostvars, index, result):
        """Fail, naming each one, when a guard of any stage of any cluster refuses (the results of the check-mode
        pass before the first write)."""
        refusals = []
        for name, cluster in sorted(index.items()):
            for node in sorted(set(cluster["nodes"])):
                for var in ("__hosts_file_result", "config_database_result", "dicom_gateway_result"):
                    refused = (registered(hostvars, node, var) or {}).get("refused") or []
                    refusals += ["cluster %s, %s: %s" % (name, node, line) for line in refused]
        result.update(changed=False, refused=refusals)
        if refusals and not self._task.check_mode:
            result.update(failed=True, msg="a guard refuses, nothing was written anywhere: %s. An intended larger "
                                           "change runs with -e impax_max_deletions=N" % "; ".join(refusals))
        return result
