# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side step: validate the whole estate and compute the plan.

Runs on the controller only (no connection to any target), reads the variables
of every host in the clusters group, and fails before anything is touched when
the estate is invalid. Documentation lives in plugins/modules/estate_plan.py.
"""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleActionFail

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.inventory import raw_estate_from_hostvars
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.schema import FLAG_LEGEND, flag_letters
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.impax.cluster_link.plugins.plugin_utils.inventory_files import duplicate_keys
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import write_slices

INDENT_UP_TO = 20000  # objects in the clusters' lists; a larger plan file is written on one line

ARGUMENT_SPEC = dict(
    clusters_group=dict(type="str", default="impax_clusters"),
    strict=dict(type="bool"),
    structural_shadowing=dict(type="bool", default=True),
    plan_file=dict(type="path"),
    fail_on_invalid=dict(type="bool", default=True),
    by_reference=dict(type="bool", default=False),
    summary_per_rule=dict(type="int", default=20),
)
# the plan's large parts; with by_reference they are left out of the returned plan (the slices and the plan
# file carry them; the playbooks read the small keys: mapping_tables, verify_targets, verify_addresses)
BY_REFERENCE = ("network_management", "sources", "mappings", "hosts_table")
BY_REFERENCE_GATEWAY = ("modalities",)  # each gateway's registry
BY_REFERENCE_TOP = ("hosts_table", "mappings")
FINDINGS_KEPT = 100


def summary_lines(plan, per_rule=0, plan_file=None):
    """The plan in lines; with ``per_rule``, at most that many findings of one rule, then how many more."""
    lines = ["estate %s: %s (%d errors, %d warnings, %d info)" % (
        plan["estate"], "valid" if plan["valid"] else "INVALID",
        plan["counts"]["errors"], plan["counts"]["warnings"], plan["counts"]["info"])]
    if plan["valid"]:
        leaving = sorted(name for name, cluster in plan["clusters"].items() if cluster.get("membership") == "leaving")
        lines.append("hosts table: %d entries (sha256 %s), identical on every node%s"
                     % (len(plan["hosts_table"]), plan["hosts_table_sha256"][:12],
                        " of the linked clusters" if leaving else ""))
        for name in leaving:
            lines.append("cluster %s is LEAVING the linked estate: it is unlinked from the others and keeps its own "
                         "hosts table (%d entries), stations and mapping tables" % (name, len(plan["clusters"][name]["hosts_table"])))
        for table, rows in sorted(plan["mappings"].items()):
            lines.append("superset %s: %d rows" % (table, len(rows)))
        if any(cluster["links"] for cluster in plan["clusters"].values()):
            lines.append(FLAG_LEGEND)
        for name, cluster in sorted(plan["clusters"].items()):
            nm = cluster["network_management"]
            src = cluster["sources"]
            linked = ", ".join("%s[%s]" % (other, flag_letters(flags)) for other, flags in sorted(cluster["links"].items()))
            lines.append("cluster %s%s: %d nodes; Network Management %d stations (%d CMs); Source Manager %d sources "
                         "(%d local, %d remote; %d archive here, %d Visitors); links %s; mappings %s" % (
                             name, " (leaving)" if cluster.get("membership") == "leaving" else "", len(cluster["nodes"]), len(nm),
                             sum(1 for e in nm if e["kind"] == "connectivity_manager"), len(src),
                             sum(1 for s in src if s["home_cluster"] == name),
                             sum(1 for s in src if s["home_cluster"] != name),
                             sum(1 for s in src if s["automatic_archiving"]), sum(1 for s in src if s["visitor"]),
                             linked or "none",
                             ", ".join("%s %d%s" % (t, len(r), "" if t in plan["mappings"] else " (own)")
                                       for t, r in sorted(cluster["mappings"].items()))))
            lines.append(permission_line(name, cluster))
            kept = sorted(s["ae_title"] for s in src if s["home_cluster"] != name and s["automatic_archiving"])
            if kept:
                lines.append("cluster %s archives other clusters' sources on purpose (archive_in): %s"
                             % (name, ", ".join(kept)))
    shown, more = {}, {}
    for finding in plan["findings"]:
        if finding["severity"] != "info" or not plan["valid"]:
            key = (finding["rule"], finding["severity"])
            shown[key] = shown.get(key, 0) + 1
            if per_rule and shown[key] > per_rule:
                more[key] = more.get(key, 0) + 1
            else:
                lines.append(_finding_line(finding))
    for (rule, severity), count in sorted(more.items()):
        lines.append("... and %d more %s %s findings (every finding is in %s)"
                     % (count, severity, rule, plan_file or "the returned plan"))
    return lines


PERMISSION_WORDS = (("store", "may store"), ("query", "query"), ("retrieve", "retrieve"),
                    ("commit", "storage commitment"), ("echo_only", "echo only"))


def permission_line(name, cluster):
    """One line of the gateway's least-privilege table (plan key gateway_permissions)."""
    parts = []
    for right, words in PERMISSION_WORDS:
        entry = (cluster.get("gateway_permissions") or {}).get(right)
        if not entry:
            continue
        who = list(entry["ae_titles"])
        if entry["modalities"]:
            who.append("%d modalit%s" % (entry["modalities"], "y" if entry["modalities"] == 1 else "ies"))
        parts.append("%s %s" % (words, ", ".join(who)))
    gateways = ", ".join("%s on %s" % (g["ae_title"], node) for node, g in sorted(cluster["gateways"].items()))
    return "gateway%s of %s (%s): %s" % ("s" if len(cluster["gateways"]) > 1 else "", name, gateways or "none",
                                         "; ".join(parts) or "empty")


def by_reference(plan):
    """The plan without what the plan file and the slices hold: handing tens of MB to every later task costs
    seconds. The findings beyond the first FINDINGS_KEPT (errors first) too - thousands of shadowing warnings
    are MBs."""
    def slim_cluster(cluster):
        gateways = dict((node, dict((k, v) for k, v in gateway.items() if k not in BY_REFERENCE_GATEWAY))
                        for node, gateway in cluster["gateways"].items())
        return dict(((k, v) for k, v in cluster.items() if k not in BY_REFERENCE), gateways=gateways)

    slim = dict(((k, v) for k, v in plan.items() if k not in BY_REFERENCE_TOP),
                clusters=dict((name, slim_cluster(cluster)) for name, cluster in plan["clusters"].items()))
    if len(slim["findings"]) > FINDINGS_KEPT:
        slim["findings_left_out"] = len(slim["findings"]) - FINDINGS_KEPT
        slim["findings"] = slim["findings"][:FINDINGS_KEPT]
    return slim


def _finding_line(f):
    where = ", ".join(x for x in ("cluster %s" % f["cluster"] if f["cluster"] else None, f["file"], f["field"]) if x)
    topic = " (KB %s)" % f["kb_topic"] if f["kb_topic"] != "-" else ""
    return "%s %s [%s]: %s%s" % (f["rule"], f["severity"], where or "estate", f["message"], topic)


class ActionModule(ControllerAction):
    NAME = "estate_plan"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):

        groups = task_vars.get("groups") or {}
        hosts = groups.get(args["clusters_group"]) or []
        if not hosts:
            raise AnsibleActionFail("estate_plan: the inventory has no hosts in group %r; put each cluster's group "
                                    "under it (see docs/inventory.md)" % args["clusters_group"])
        hostvars = task_vars["hostvars"]
        inventory_dir = hostvars[hosts[0]].get("inventory_dir")
        templars = {}

        def render(host, leaf):
            """One connection-setting leaf templated with the host's variables (nothing else of the estate is)."""
            if host not in templars:  # the host's own variables as the inventory has them, over the play's
                templars[host] = self._templar.copy_with_new_env(
                    available_variables=dict(task_vars, **hostvars.raw_get(host)))
            return templars[host].template(leaf)

        raw = raw_estate_from_hostvars(hostvars, hosts, inventory_dir=inventory_dir, relative_to=os.getcwd(), render=render,
                                       groups=groups)
        raw["problems"] = raw["problems"] + duplicate_keys(inventory_dir, relative_to=os.getcwd())
        plan = plan_estate(raw, structural=args["structural_shadowing"], strict=args["strict"])

        if args["plan_file"]:
            directory = os.path.dirname(args["plan_file"])
            if directory:
                os.makedirs(directory, exist_ok=True)
            objects = sum(len(v) for c in plan["clusters"].values() for v in c.values() if isinstance(v, list))
            with open(args["plan_file"], "w", encoding="utf-8") as handle:
                # json indents in pure Python, several times slower than the compact form
                handle.write(json.dumps(plan, indent=2 if objects <= INDENT_UP_TO else None, sort_keys=True))
                handle.write("\n")
            result["plan_file"] = args["plan_file"]

        result.update(changed=False, valid=plan["valid"])
        if not plan["valid"] and args["fail_on_invalid"]:
            blocking = [f for f in plan["findings"]
                        if f["severity"] == "error" or (plan["strict"] and f["severity"] == "warning")]
            warnings = [f for f in plan["findings"] if f not in blocking and f["severity"] == "warning"]
            rest = len(plan["findings"]) - len(blocking) - len(warnings)
            where = args["plan_file"] or "the returned findings"
            # said once: the short line (Ansible repeats msg), then the causes and the warnings, then a count of the
            # rest - every finding is in the plan file
            result.update(failed=True)
            result["msg"] = "estate %s is invalid: %d blocking finding(s); nothing was changed (each below; every " \
                            "finding is in %s)" % (plan["estate"], len(blocking), where)
            result["blocking"] = [_finding_line(f) for f in blocking]
            if warnings:
                result["warnings_too"] = [_finding_line(f) for f in warnings]
            if rest:
                result["not_shown"] = "%d info finding(s); every finding is in %s" % (rest, where)
            if not args["plan_file"]:  # nowhere else to read them
                result["findings"] = plan["findings"]
            return result
        # a small index for the playbooks (grouping nodes, the summary): iterating the whole plan in
        # templates is slow when the estate is large
        index = dict((name, {"membership": c["membership"], "nodes": c["nodes"], "database_node": c["database_node"],
                             "gateway_nodes": sorted(c["gateways"]),
                             "change_windows": c["change_windows"], "drift_policy": c["drift_policy"],
                             "max_deletions": c["max_deletions"]})
                     for name, c in plan["clusters"].items())
        summary = summary_lines(plan, args["summary_per_rule"], args["plan_file"])
        if args["plan_file"]:
            # the large lists once as files, for the modules' from_plan (plugin_utils/plan_slices.py)
            slices = write_slices(plan, os.path.join(os.path.dirname(os.path.abspath(args["plan_file"])), "plan-slices"))
            for name, refs in slices.items():
                index[name]["slices"] = refs
            if args["by_reference"]:
                plan = by_reference(plan)
        # which nodes carry the same hosts table: the linked clusters', and each leaving cluster its own
        tables = {"linked estate": sorted(n for c in plan["clusters"].values() if c["membership"] == "linked" for n in c["nodes"])}
        tables.update((name, c["nodes"]) for name, c in plan["clusters"].items() if c["membership"] == "leaving")
        result.update(plan=plan, index=index, summary=summary, hosts_tables=tables)
        return result
