# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's controller-side steps (estate_plan, drift_report, ...).

They never connect to a target: arguments are checked against ``ARGUMENT_SPEC``
with ansible-core's validator, then ``act`` fills the result.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase


# What the reconcile roles register on each node, each a config_database result: the per-resource roles'
# (drift_check.yml) with their one part, and link_clusters.yml's config_database role's with a part per resource.
REGISTERED = {"hosts": "__hosts_file_result", "network_management": "network_management_result.network_management",
              "sources": "source_manager_result.sources", "mappings": "mappings_result.mappings",
              "dicom": "dicom_gateway_result"}
ROLLOUT_REGISTERED = dict(REGISTERED, network_management="config_database_result.network_management",
                          sources="config_database_result.sources", mappings="config_database_result.mappings")


def leave_inherited_objects_alone():
    """Keep this task's garbage collections to its own objects.

    An action runs in a worker forked from ansible-playbook, which holds the whole inventory: a full collection
    walks every inherited object (and copies each page it touches), most of a large task's own time. The worker
    ends with its task, so nothing inherited needs collecting there.
    """
    gc.freeze()


def registered(hostvars, host, var):
    """A result ``host`` registered as ``var``, as plain data; None when the host or the result is missing.

    ``var`` may name a part of a result (``config_database_result.sources``): the part, or the whole result when
    the call failed or was skipped (no part was written then), or None when the call did not have that part.

    Read untemplated (``HostVars.raw_get``): a registered result is data, never a template, and templating it
    walks every element of results listing thousands of stations.
    """
    if not host:
        return None
    name, _dot, part = var.partition(".")
    raw_get = getattr(hostvars, "raw_get", None)
    try:
        variables = raw_get(host) if raw_get is not None else hostvars[host]
        value = variables.get(name) if isinstance(variables, Mapping) else None
    except KeyError:
        return None
    if part and isinstance(value, dict):
        if isinstance(value.get(part), dict):
            value = value[part]
        elif not (value.get("failed") or value.get("skipped")):
            return None
    return json.loads(json.dumps(value, default=str)) if isinstance(value, dict) else None


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    NAME = "controller_action"
    ARGUMENT_SPEC = {}

    def run(self, tmp=None, task_vars=None):
        leave_inherited_objects_alone()
        task_vars = task_vars or {}
        result = super(ControllerAction, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail("%s: %s" % (self.NAME, "; ".join(validation.error_messages)))
        return self.act(validation.validated_parameters, task_vars, result)

    def act(self, args, task_vars, result):
        raise NotImplementedError
