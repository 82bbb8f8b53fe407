# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of the modules fed from the plan (meta/runtime.yml routes them here): plugin_utils/plan_fed_action."""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction


class ActionModule(PlanFedAction):
    pass
