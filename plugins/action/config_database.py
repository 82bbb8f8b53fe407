# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""config_database's action: reads its from_plan on the controller (plugin_utils/plan_fed_action). A file per module, not a
redirect in meta/runtime.yml: ansible-core resolves module_defaults groups by the action plugin's name."""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction


class ActionModule(PlanFedAction):
    pass
