# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side step: propose one global rule order for each shared mapping table.

Reads the estate like estate_plan, loads each site's corpus CSV, and returns the
proposal with its conflicts and per-site report. Never touches a target.
Documentation lives in plugins/modules/mapping_synthesis.py.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import rules
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.inventory import raw_estate_from_hostvars
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.model import Estate
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.schema import MAPPING_TABLES
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.synthesis import (
    CorpusError, SynthesisError, evidence, read_corpus, synthesize)
from ansible_collections.impax.cluster_link.plugins.plugin_utils.controller_action import ControllerAction

ARGUMENT_SPEC = dict(
    clusters_group=dict(type="str", default="impax_clusters"),
    tables=dict(type="list", elements="str", choices=list(MAPPING_TABLES)),
    step=dict(type="int", default=10),
)


CONSOLE_CONFLICTS = 25  # per table, the most studied first; the reports hold them all


def summary_lines(tables):
    lines = []
    for table, result in sorted(tables.items()):
        kinds = {}
        for conflict in result["conflicts"]:
            kinds[conflict["kind"]] = kinds.get(conflict["kind"], 0) + 1
        lines.append("%s: %d rows; %s; %d unevidenced order(s) reported" % (
            table, len(result["rows"]),
            ", ".join("%d %s conflict(s)" % (n, k) for k, n in sorted(kinds.items())) or "no conflicts",
            len(result.get("unevidenced") or [])))
        for site, entry in sorted(result["report"].items()):
            lines.append("  %s: %d descriptions (%d studies); naive union changes %d (%d studies), synthesised %d (%d)"
                         % (site, entry["descriptions"], entry["studies"], entry["naive"]["changed"],
                            entry["naive"]["studies"], entry["synthesized"]["changed"], entry["synthesized"]["studies"]))
        for conflict in result["conflicts"][:CONSOLE_CONFLICTS]:
            lines.append("  conflict (%s): %s -> %s" % (conflict["kind"], conflict["message"], conflict["suggestion"]))
        if len(result["conflicts"]) > CONSOLE_CONFLICTS:
            lines.append("  ... and %d more conflicts: every one is in the synthesis report (Markdown, HTML) and "
                         "mapping_synthesis.json" % (len(result["conflicts"]) - CONSOLE_CONFLICTS))
        for reading in result.get("underscore_readings") or []:
            lines.append("  warning: pattern %r contains '_': %s's %r maps to %s if IMPAX reads '_' literally, to %s "
                         "as one character (SQL LIKE)" % (reading["pattern"], reading["site"], reading["description"],
                                                          reading["literal_label"], reading["wildcard_label"]))
    return lines


class ActionModule(ControllerAction):
    NAME = "mapping_synthesis"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars, result):

        hosts = (task_vars.get("groups") or {}).get(args["clusters_group"]) or []
        if not hosts:
            raise AnsibleActionFail("mapping_synthesis: the inventory has no hosts in group %r" % args["clusters_group"])
        hostvars = task_vars["hostvars"]
        inventory_dir = hostvars[hosts[0]].get("inventory_dir") or os.getcwd()
        estate = Estate(raw_estate_from_hostvars(hostvars, hosts, inventory_dir=inventory_dir, relative_to=os.getcwd()))
        shape = [f for f in estate.findings if f.rule.startswith("ICL1") and f.severity == "error"]
        if shape:
            raise AnsibleActionFail("mapping_synthesis: the estate's inventory is malformed; nothing was written:\n%s"
                                    % "\n".join(str(f) for f in shape))
        tables = rules.mapping_tables(estate)
        wanted = args["tables"] or sorted(tables)
        catch_all_rule = estate.settings.get("mapping_catch_all_rule") or 1000000
        out = {}
        for table in wanted:
            if table not in tables:
                raise AnsibleActionFail("mapping_synthesis: no cluster has a shared %s table (body_part and specialty "
                                        "are shared where impax_estate.prefetch_and_route_by names them, "
                                        "patient_location with impax_estate.patient_location_superset)" % table)
            by_site = dict((site, self._evidence(estate, site, table, inventory_dir)) for site in tables[table])
            try:
                out[table] = synthesize(table, tables[table], by_site, catch_all_rule=catch_all_rule, step=args["step"])
            except SynthesisError as error:
                raise AnsibleActionFail("mapping_synthesis: %s (cluster %s, %s); nothing was written"
                                        % (error, error.site, estate.origin(error.site, "impax_mappings")))
        result.update(changed=False, estate=estate.settings.get("name"),
                      superset=dict((t, r["rows"]) for t, r in out.items()), synthesis=out, summary=summary_lines(out))
        return result

    @staticmethod
    def _evidence(estate, site, table, inventory_dir):
        cluster = estate.clusters[site]
        corpus = None
        path = cluster["corpus"].get(table)
        if path:
            full = path if os.path.isabs(path) else os.path.join(inventory_dir, path)
            where = "cluster %s, %s, impax_mapping_corpus.%s" % (site, estate.origin(site, "impax_mapping_corpus"), table)
            try:
                with open(full, "r", encoding="utf-8-sig", newline="") as handle:
                    corpus = read_corpus(handle.read(), path)
            except OSError as error:
                raise AnsibleActionFail("mapping_synthesis: cannot read the corpus %s (%s): %s" % (full, where, error))
            except (CorpusError, UnicodeDecodeError) as error:
                raise AnsibleActionFail("mapping_synthesis: %s (%s)" % (error, where))
        return evidence(cluster["samples"].get(table), corpus)
