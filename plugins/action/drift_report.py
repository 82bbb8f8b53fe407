# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side step: collect what every reconcile returned into one report (JSON, Markdown, HTML + SVG).

Documentation lives in plugins/modules/drift_report.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from ansible.errors import AnsibleActionFail

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import drift
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import REGISTERED, ControllerAction, registered

ARGUMENT_SPEC = dict(
    plan=dict(type="dict", required=True),
    decisions=dict(type="dict", default={}),
    now=dict(type="str", required=True),
    report_dir=dict(type="path", required=True),
    kind=dict(type="str", choices=["drift", "plan"], default="drift"),
    name=dict(type="str"),
    max_deletions=dict(type="int"),
    run_id=dict(type="str"),
)


def collect(plan, hostvars):
    """{cluster: {resource: [(where, result)]}} from the results the drift playbook registered."""
    results = {}
    for name, cluster in sorted(plan["clusters"].items()):
        out = results[name] = {"hosts": [(node, registered(hostvars, node, REGISTERED["hosts"])) for node in cluster["nodes"]]}
        database = cluster.get("database_node")
        if database:
            for resource in ("network_management", "sources"):
                out[resource] = [(database, registered(hostvars, database, REGISTERED[resource]))]
            mappings = registered(hostvars, database, REGISTERED["mappings"])
            if mappings and mappings.get("tables") and not mappings.get("failed"):  # each table a resource of its own
                for table, item in sorted(mappings["tables"].items()):
                    out["mappings.%s" % table] = [(database, item)]
            else:
                out["mappings"] = [(database, mappings)]
        if cluster.get("gateways"):  # one target per gateway node
            out["dicom"] = [(node, registered(hostvars, node, REGISTERED["dicom"])) for node in sorted(cluster["gateways"])]
    return results


def render_svg(dot_source):
    """SVG from Graphviz ``dot`` (offline), or None when it is not installed."""
    binary = shutil.which("dot")
    if not binary:
        return None
    done = subprocess.run([binary, "-Tsvg"], input=dot_source, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise AnsibleActionFail("drift_report: dot failed: %s" % done.stderr.strip())
    svg = done.stdout
    return svg[svg.index("<svg"):] if "<svg" in svg else svg


class ActionModule(ControllerAction):
    NAME = "drift_report"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):
        plan = args["plan"]
        results = collect(plan, task_vars["hostvars"])
        # a correction happened where the decision allowed it, unless the whole run is --check
        report = drift.build(plan["clusters"], results, args["decisions"], bool(self._task.check_mode), plan["estate"],
                             args["now"], args["kind"], max_deletions=args["max_deletions"])
        if args["run_id"]:
            report["run_id"] = args["run_id"]  # the scheduled runner trusts only the report of its own run
        dot_source = drift.estate_dot(report, plan)
        svg = render_svg(dot_source)
        name = args["name"] or "%s-%s" % (args["kind"], plan["estate"])
        os.makedirs(args["report_dir"], exist_ok=True)
        files = {}
        for suffix, content in (("json", json.dumps(report, indent=1, sort_keys=True) + "\n"), ("md", drift.markdown(report)),
                                ("html", drift.html_page(report, svg)), ("dot", dot_source), ("svg", svg)):
            if content is None:
                continue
            path = os.path.join(args["report_dir"], "%s.%s" % (name, suffix))
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
            files[suffix] = path
        result.update(changed=False, report=report, status=report["status"], exit_status=report["exit_status"],
                      files=files, summary=_summary(report))
        return result


def _summary(report):
    lines = ["estate %s: %s" % (report["estate"], report["status"].replace("_", " "))]
    for name, cluster in sorted(report["clusters"].items()):
        lines.append("cluster %s: %s - %s%s" % (name, cluster["status"].replace("_", " "), ", ".join(
            "%s %s" % (resource, entry["status"].replace("_", " ")) for resource, entry in sorted(cluster["resources"].items())),
            " (not corrected: another run held its estate lock)" if cluster.get("locked_out") else ""))
        for resource, entry in sorted(cluster["resources"].items()):
            for target in entry["targets"]:
                if target["status"] not in ("in_sync",):
                    lines.append("  %s on %s: %s%s" % (resource, target["where"], target["status"].replace("_", " "),
                                                       (" - " + target["message"]) if target["message"] else ""))
                    for obj in target["objects"][:20]:
                        lines.append("    %s %s %s" % (obj["op"], obj["key"], drift._object_text(obj)))
    return lines
