# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the dicom_nodes module; reads O(modalities) from the plan on the controller when given O(from_plan).

Under state overridden the slice is first sent as its fingerprint in Orthanc's form: a converged registry is
recognised from ``GET /modalities?expand`` alone (module_utils/fingerprints).
"""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.module_utils import fingerprints, large_lists, reconcile, resources
from ansible_collections.impax.cluster_link.plugins.module_utils.estate import names
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_fed_action import PlanFedAction, slice_probe
from ansible_collections.impax.cluster_link.plugins.plugin_utils.plan_slices import code_digest

ITEM_OPTIONS = resources.argspec(resources.DICOM_MODALITIES)
# a modality as GET /modalities?expand returns it
MODALITY_FORM = resources.DICOM_MODALITIES.record_form(resources.MODALITY_FIELDS)
_NAME = "registry-" + code_digest(fingerprints, large_lists, reconcile, resources, names)


class ActionModule(PlanFedAction):
    LIST_OPTION = "modalities"

    def probes(self, args):
        probe = slice_probe(args.get("from_plan"), _NAME, MODALITY_FORM, ITEM_OPTIONS, args.get("protected"),
                            resources.modality_problems, resources.canonical_modalities)
        return {"from_plan": probe} if probe is not None else {}
