# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the mapping_tables module; reads each table's rows from the plan on the controller (O(from_plan)).

The same as PlanFedAction, once per table: a table's slice (or the task's own list of 100 rows or more) travels
to the module as its JSON text under ``from_plan.<table>.content``.
"""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction

TABLES = ("body_part", "specialty", "patient_location")


class ActionModule(PlanFedAction):

    def lists(self):
        return [("from_plan.%s" % table, "config.%s" % table) for table in TABLES]
