# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the config_database module; reads each part's list from the plan on the controller (its from_plan).

The same as PlanFedAction, once per list: the stations', the sources' and each mapping table's slice (or the
task's own list of 100 items or more) travels to the module as its JSON text under ``<part>.from_plan.content``.
"""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction

TABLES = ("body_part", "specialty", "patient_location")


class ActionModule(PlanFedAction):

    def lists(self):
        return [("network_management.from_plan", "network_management.config"), ("sources.from_plan", "sources.config")] + \
            [("mappings.from_plan.%s" % table, "mappings.config.%s" % table) for table in TABLES]
