# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the config_database module; reads each part's list from the plan on the controller (its from_plan).

The same as PlanFedAction, once per list: the stations', the sources' and each mapping table's slice (or the
task's own list of 100 items or more) travels to the module as its JSON text under ``<part>.from_plan.content``.
Under state overridden each slice is first sent as its fingerprint in row form (the task's table profile and
engine): a converged database is recognised from its rows alone (module_utils/fingerprints).
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.impax.cluster_link.plugins.module_utils import fingerprints, large_lists, reconcile, resources
from ansible_collections.impax.cluster_link.plugins.module_utils.targets import config_db
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction, slice_probe
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import code_digest

TABLES = ("body_part", "specialty", "patient_location")
# part -> (resource, its profile entry, the module's own rules on the list)
STATIONS = {"network_management": (resources.NETWORK_STATIONS, "network_stations", resources.linking_flag_problems),
            "sources": (resources.SOURCE_STATIONS, "source_stations", resources.archiving_visitors)}
# the items as the module checks them (config_database's item_options): built once, exact_item caches by identity
ITEM_OPTIONS = dict((resource.name, resources.argspec(resource))
                    for resource in (resources.NETWORK_STATIONS, resources.SOURCE_STATIONS, resources.MAPPING_ROWS))
_CODE = code_digest(fingerprints, large_lists, reconcile, resources, config_db)


class ActionModule(PlanFedAction):

    def lists(self):
        return [("network_management.from_plan", "network_management.config"), ("sources.from_plan", "sources.config")] + \
            [("mappings.from_plan.%s" % table, "mappings.config.%s" % table) for table in TABLES]

    def probes(self, args):
        profile = args.get("profile") or config_db.REFERENCE_PROFILE
        try:
            dialect = config_db.Dialect((args.get("database") or {}).get("engine") or "sqlite")
        except config_db.ConfigDbError:
            return {}  # the module refuses it, in its words
        protected = list(args.get("protected") or [])
        found = {}
        for name, (resource, profile_key, problems) in STATIONS.items():
            part = args.get(name) or {}
            probe = self._probe(part.get("from_plan"), resource, profile, profile_key, dialect,
                                protected + list(part.get("protected") or []), problems)
            if probe is not None:
                found["%s.from_plan" % name] = probe
        refs = (args.get("mappings") or {}).get("from_plan") or {}
        for table in TABLES:
            probe = self._probe(refs.get(table), resources.MAPPING_ROWS, profile, table, dialect, protected)
            if probe is not None:
                found["mappings.from_plan.%s" % table] = probe
        return found

    @staticmethod
    def _probe(ref, resource, profile, profile_key, dialect, protected, problems=None):
        if ref is None or profile_key not in profile:
            return None
        try:
            form = config_db.RowForm(config_db.TableMap(resource, profile[profile_key], dialect))
        except config_db.ConfigDbError:
            return None  # the module names what is wrong with the profile
        if not form.usable:
            return None
        # the rows' form: this code, the profile's entry and the engine
        form_id = json.dumps([_CODE, resource.name, profile[profile_key], dialect.engine], sort_keys=True)
        name = "rows-" + hashlib.sha256(form_id.encode("utf-8")).hexdigest()[:16]
        return slice_probe(ref, name, form, ITEM_OPTIONS[resource.name], protected, problems)
