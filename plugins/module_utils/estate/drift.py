# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift and change-plan reports: per cluster and resource, what differs, as data, Markdown, HTML and a picture.

Input is what the reconcile modules returned (run in check mode, or for real
where the policy allowed a correction); nothing here talks to a target.
"""

from __future__ import annotations

import html
import json
import re

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.schema import FLAG_LEGEND, flag_letters
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.windows import RESOURCES

# Statuses, worst last; the estate's status is the worst of its resources'.
IN_SYNC, CORRECTED, DRIFT, UNREACHABLE, ERROR = "in_sync", "corrected", "drift", "unreachable", "error"
SEVERITY = {IN_SYNC: 0, CORRECTED: 1, DRIFT: 2, ERROR: 3, UNREACHABLE: 4}
# Exit statuses of the drift_schedule role's runner (documented in docs/operations.md).
EXIT_STATUS = {IN_SYNC: 0, CORRECTED: 0, DRIFT: 2, UNREACHABLE: 3, ERROR: 1}
COLOURS = {IN_SYNC: "#2e8b57", CORRECTED: "#1f77b4", DRIFT: "#e67e22", UNREACHABLE: "#c0392b", ERROR: "#c0392b"}
FILLS = {IN_SYNC: "#e8f5ee", CORRECTED: "#e6f0fa", DRIFT: "#fdf0e3", UNREACHABLE: "#f9e3e1", ERROR: "#f9e3e1"}


def worst(statuses):
    statuses = list(statuses)
    return max(statuses, key=lambda s: SEVERITY[s]) if statuses else IN_SYNC


def resource_status(result, corrected):
    """(status, objects, message) of one module result; ``corrected``: it ran for real."""
    if result is None:
        return ERROR, [], "no result: the task did not run on this host (an earlier failure?)"
    if result.get("unreachable"):
        return UNREACHABLE, [], str(result.get("msg", "unreachable"))
    if result.get("failed"):
        message = str(result.get("msg", "failed"))
        # the node answered but the service behind it did not (gateway or database down): the modules
        # say so with service_unreachable
        return (UNREACHABLE if result.get("service_unreachable") else ERROR), [], message
    if result.get("skipped"):
        return IN_SYNC, [], "skipped"
    if not result.get("changed"):
        return IN_SYNC, [], ""
    objects = _objects(result)
    return (CORRECTED if corrected else DRIFT), objects, ""


def _objects(result):
    """What differs, one entry per object: its key, the operation and the fields (before -> after)."""
    if isinstance(result.get("modalities"), dict):  # dicom_nodes: one reconcile result per kind
        out = []
        for kind, label in (("modalities", "modality"), ("peers", "peer")):
            if isinstance(result.get(kind), dict):
                out += [dict(entry, key="%s %s" % (label, entry["key"])) for entry in _from_commands(result[kind]["commands"])]
        return out
    if "commands" in result:
        return _from_commands(result["commands"])
    # hosts_block: entries of the managed block, keyed by host name
    before = dict((e["hostname"], e) for e in result.get("before") or [])
    after = dict((e["hostname"], e) for e in result.get("after") or [])
    out = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            out.append({"key": name, "op": "create", "values": new})
        elif new is None:
            out.append({"key": name, "op": "delete", "values": old})
        else:
            fields = dict((f, {"before": old.get(f), "after": new.get(f)}) for f in sorted(set(old) | set(new))
                          if old.get(f) != new.get(f))
            out.append({"key": name, "op": "update", "fields": fields})
    return out


def _from_commands(commands):
    out = []
    for command in commands:
        key = command.get("key")
        entry = {"key": "/".join(str(k) for k in key) if isinstance(key, (list, tuple)) else str(key), "op": command.get("op")}
        if command.get("fields"):
            entry["fields"] = dict((f, {"before": pair[0], "after": pair[1]}) for f, pair in sorted(command["fields"].items()))
        elif command.get("values") is not None:
            entry["values"] = command["values"]
        out.append(entry)
    return out


def build(index, results, decisions, check_only, estate, now, kind="drift", max_deletions=None):
    """The report: ``results`` = {cluster: {resource: [(where, module result or None)]}}.

    ``max_deletions``: the run's deletion limit in place of each cluster's (``index.<cluster>.max_deletions``).
    """
    clusters = {}
    for name in sorted(index):
        decision = (decisions or {}).get(name) or {}
        resources = {}
        for resource, items in sorted((results.get(name) or {}).items()):
            base = resource.split(".")[0]
            corrected = not check_only and bool((decision.get("correct") or {}).get(base))
            entries = []
            limit = max_deletions if max_deletions is not None else (index.get(name) or {}).get("max_deletions")
            for where, result in items:
                status, objects, message = resource_status(result, corrected)
                deletions = sum(1 for obj in objects if obj["op"] == "delete")
                if status == DRIFT and limit is not None and deletions > limit and not message:
                    # what a rollout (or a correcting drift check) of this change would refuse: say so before it runs
                    message = ("%d deletion%s, more than max_deletions=%d: a rollout stops here before changing it; "
                               "an intended change runs with -e impax_max_deletions=%d"
                               % (deletions, "" if deletions == 1 else "s", limit, deletions))
                if status == DRIFT and not message:
                    # a correcting run that left this drift: which policy (or lock) held it back, and how to apply it
                    message = (decision.get("held_back") or {}).get(base) or ""
                entries.append({"where": where, "status": status, "objects": objects, "message": message})
            resources[resource] = {"status": worst(e["status"] for e in entries), "policy": (decision.get("policy") or {}).get(base),
                                   "corrected": corrected, "targets": entries}
        clusters[name] = {"status": worst(r["status"] for r in resources.values()), "resources": resources,
                          "window": decision.get("window"), "windows": decision.get("windows") or [],
                          # checked, not corrected: another run held the cluster's estate lock
                          "locked_out": bool(decision.get("locked_out")),
                          # corrected outside the window policy, for a recorded reason (impax_force_reason)
                          "forced": bool(decision.get("forced")),
                          # who may do what on the cluster's gateway, as planned (least privilege at a glance)
                          "permissions": (index.get(name) or {}).get("gateway_permissions") or {}}
    status = worst(c["status"] for c in clusters.values())
    return {"format": 1, "kind": kind, "estate": estate, "now": now, "status": status,
            "exit_status": EXIT_STATUS[status], "clusters": clusters,
            "counts": dict((s, sum(1 for c in clusters.values() for r in c["resources"].values() if r["status"] == s))
                           for s in SEVERITY)}


# -- rendering ---------------------------------------------------------------------------------------
def estate_dot(report, plan):
    """Graphviz source of the linked estate: clusters (with their CMs) coloured by status, links with flags."""
    title = _q("%s - %s\n%s" % (report["estate"], report["status"].replace("_", " "), FLAG_LEGEND)).replace("\n", "\\n")
    lines = ["digraph estate {",
             '  graph [rankdir=LR, fontname="DejaVu Sans", label=%s, labelloc=t];' % title,
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="DejaVu Sans"];',
             '  edge [fontname="DejaVu Sans", fontsize=10];']
    for name in sorted(plan["clusters"]):
        status = report["clusters"].get(name, {}).get("status", IN_SYNC)
        cluster = plan["clusters"][name]
        lines.append("  subgraph %s {" % _q("cluster_" + name))
        label = _q("%s (%s)" % (name, status.replace("_", " ")))
        lines.append('    label=%s; color=%s; penwidth=3; style="rounded";' % (label, _q(COLOURS[status])))
        # each CM with its gateway's registry status (a cluster may run several gateways, one per CM node)
        dicom = dict((t["where"], t["status"]) for t in ((report["clusters"].get(name) or {}).get("resources") or {})
                     .get("dicom", {}).get("targets", []))
        served = dict((g["cm"], (node, dicom.get(node))) for node, g in (cluster.get("gateways") or {}).items())
        for cm in cluster["connectivity_managers"]:
            node, state = served.get(cm, (None, None))
            label = cm if node is None else "%s\ngateway on %s%s" % (cm, node, ": " + state.replace("_", " ") if state else "")
            fill = ', fillcolor="%s"' % FILLS[state] if state in FILLS else ""
            # a real line break in the label is DOT's \n
            lines.append("    %s [label=%s%s];" % (_q("%s/%s" % (name, cm)), _q(label).replace("\n", "\\n"), fill))
        if not cluster["connectivity_managers"]:
            lines.append("    %s [label=%s];" % (_q("%s/" % name), _q(name)))
        lines.append("  }")
    # one edge per linked pair, labelled with each direction's flags, so the picture stays readable
    for name in sorted(plan["clusters"]):
        for other in sorted(plan["clusters"][name]["links"]):
            if other <= name or other not in plan["clusters"]:
                continue
            ways = [(a, b, plan["clusters"][a]["links"].get(b) or {}) for a, b in ((name, other), (other, name))]
            ways = [(a, b, flags) for a, b, flags in ways if flags.get("cluster_linking")]
            if not ways:
                continue
            pair = worst([report["clusters"].get(name, {}).get("status", IN_SYNC),
                          report["clusters"].get(other, {}).get("status", IN_SYNC)])
            label = "\\n".join("%s->%s %s" % (a, b, flag_letters(flags)) for a, b, flags in ways)
            lines.append("  %s -> %s [dir=%s, label=\"%s\", color=%s, fontcolor=%s];" % (
                _q(_anchor(plan, ways[0][0])), _q(_anchor(plan, ways[0][1])), "both" if len(ways) == 2 else "forward",
                label.replace('"', '\\"'), _q(COLOURS[pair]), _q(COLOURS[pair])))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _anchor(plan, name):
    cms = plan["clusters"][name]["connectivity_managers"]
    return "%s/%s" % (name, cms[0] if cms else "")


def _q(text):
    return '"%s"' % str(text).replace("\\", "\\\\").replace('"', '\\"')


def _object_text(obj):
    """An object or its changed fields in the inventory's own notation (YAML flow style), whole - never cut."""
    if obj.get("fields"):
        return "; ".join("%s: %s -> %s" % (f, flow(v.get("before")), flow(v.get("after"))) for f, v in sorted(obj["fields"].items()))
    if obj.get("values") is not None:
        return flow(obj["values"])
    return ""


_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_ ./@%^()+-]*$")
_YAML_WORDS = ("true", "false", "yes", "no", "on", "off", "null", "none", "~")


def flow(value):
    """``value`` as YAML flow style: true/false/null, strings quoted only where YAML needs it, dicts in key order."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (flow(str(k)), flow(v)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(flow(v) for v in value)
    text = str(value)
    plain = (_PLAIN.match(text) and text == text.strip() and text.lower() not in _YAML_WORDS
             and not re.match(r"^[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?$", text))
    return text if plain else json.dumps(text)


TITLES = {"drift": "Drift report", "plan": "Change plan for approval"}
RIGHTS = (("store", "store"), ("query", "query (C-FIND)"), ("retrieve", "retrieve (C-MOVE)"),
          ("commit", "storage commitment"), ("echo_only", "echo only"))


def permission_rows(report):
    """(cluster, right, who) of every gateway's planned permissions."""
    rows = []
    for name, cluster in sorted(report["clusters"].items()):
        for right, words in RIGHTS:
            entry = (cluster.get("permissions") or {}).get(right)
            if entry:
                who = list(entry["ae_titles"]) + (["%d modalities" % entry["modalities"]] if entry["modalities"] else [])
                rows.append((name, words, ", ".join(who)))
    return rows


def headline(report):
    """The status line at the top: for a plan what will change, for a drift check its status and exit status."""
    if report["kind"] == "plan":
        changing = len(set((n, r) for n, c in report["clusters"].items() for r, e in c["resources"].items()
                           if e["status"] == DRIFT))
        return "%d resource%s will change" % (changing, "" if changing == 1 else "s") if changing else "nothing will change"
    return "%s (exit status %d)" % (report["status"].replace("_", " "), report["exit_status"])


def lead(report):
    """The sentences under the title - the same in Markdown and HTML."""
    if report["kind"] == "plan":
        changing = sorted(set("%s / %s" % (n, r) for n, c in report["clusters"].items() for r, e in c["resources"].items()
                              if e["status"] == DRIFT))
        return ["Computed at %s against the live targets: %s." % (
            report["now"], ("%d resource(s) will change: %s" % (len(changing), ", ".join(changing))) if changing
            else "nothing will change"), "Status drift below means: the rollout will change this.",
            "Picture: %s." % FLAG_LEGEND]
    lines = ["Status: %s, at %s. Picture: %s." % (headline(report), report["now"], FLAG_LEGEND)]
    locked = sorted(n for n, c in report["clusters"].items() if c.get("locked_out"))
    if locked:
        lines.append("Checked, not corrected - another run held their estate lock: %s." % ", ".join(locked))
    forced = sorted(n for n, c in report["clusters"].items() if c.get("forced"))
    if forced:
        lines.append("Corrected outside the window policy for a recorded reason (impax_force_reason): %s." % ", ".join(forced))
    return lines


def markdown(report):
    lines = ["# %s - estate %s" % (TITLES.get(report["kind"], "Report"), report["estate"]), ""]
    for sentence in lead(report):
        lines += [sentence, ""]
    lines += ["| cluster | resource | status | policy | where | objects |", "|---|---|---|---|---|---|"]
    for name, cluster in sorted(report["clusters"].items()):
        for resource, entry in sorted(cluster["resources"].items()):
            for target in entry["targets"]:
                lines.append("| %s | %s | %s | %s | %s | %d |" % (name, resource, target["status"], entry["policy"] or "",
                                                                  target["where"], len(target["objects"])))
    permissions = permission_rows(report)
    if permissions:
        lines += ["", "## Gateway permissions (least privilege, as planned)", "", "| cluster | may | AE titles |",
                  "|---|---|---|"] + ["| %s | %s | %s |" % row for row in permissions]
    for name, cluster in sorted(report["clusters"].items()):
        for resource, entry in sorted(cluster["resources"].items()):
            for target in entry["targets"]:
                if target["objects"] or target["message"]:
                    lines += ["", "## %s / %s on %s: %s" % (name, resource, target["where"], target["status"])]
                    if target["message"]:
                        lines.append("- %s" % target["message"])
                    for obj in target["objects"]:
                        lines.append("- %s `%s` %s" % (obj["op"], obj["key"], _object_text(obj)))
    return "\n".join(lines) + "\n"


def html_page(report, svg):
    e = html.escape
    rows = []
    for name, cluster in sorted(report["clusters"].items()):
        for resource, entry in sorted(cluster["resources"].items()):
            for target in entry["targets"]:
                details = "".join("<li>%s <code>%s</code> %s</li>" % (e(str(o["op"])), e(str(o["key"])), e(_object_text(o)))
                                  for o in target["objects"])
                if target["message"]:
                    details = "<li>%s</li>%s" % (e(target["message"]), details)
                rows.append('<tr class="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><ul>%s</ul></td></tr>' % (
                    e(target["status"]), e(name), e(resource), e(target["status"].replace("_", " ")),
                    e(entry["policy"] or ""), e(target["where"]), details))
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s - %(estate)s</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%%; } th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }
tr.in_sync td:nth-child(3) { background: #e3f6e5; } tr.corrected td:nth-child(3) { background: #dbe9f7; }
tr.drift td:nth-child(3) { background: #fdebd0; } tr.unreachable td:nth-child(3), tr.error td:nth-child(3) { background: #f5b7b1; }
.status { font-size: 1.4em; padding: 6px 12px; color: #fff; background: %(colour)s; display: inline-block; }
figure { margin: 1em 0; } ul { margin: 0; padding-left: 1.2em; }
</style></head>
<body>
<h1>%(title)s - %(estate)s</h1>
<p><span class="status">%(status)s</span></p>
%(lead)s
<figure>%(svg)s</figure>
<table><tr><th>cluster</th><th>resource</th><th>status</th><th>policy</th><th>where</th><th>what differs</th></tr>
%(rows)s
</table>
<h2>Gateway permissions (least privilege, as planned)</h2>
<table><tr><th>cluster</th><th>may</th><th>AE titles</th></tr>
%(permissions)s
</table>
</body></html>
""" % {"title": e(TITLES.get(report["kind"], "Report")), "estate": e(report["estate"]), "status": e(headline(report)),
       "colour": COLOURS[report["status"]], "lead": "\n".join("<p>%s</p>" % e(sentence) for sentence in lead(report)),
       "svg": svg or "<p>(no picture: Graphviz <code>dot</code> is not installed)</p>", "rows": "\n".join(rows),
       "permissions": "\n".join("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % tuple(e(x) for x in row)
                                for row in permission_rows(report))}


__all__ = ["build", "estate_dot", "markdown", "html_page", "RESOURCES", "EXIT_STATUS"]
