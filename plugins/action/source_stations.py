# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the source_stations module; reads O(config) from the plan on the controller when given O(from_plan)."""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction


class ActionModule(PlanFedAction):
    LIST_OPTION = "config"
