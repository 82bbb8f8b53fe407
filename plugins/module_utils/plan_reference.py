# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``from_plan`` option of the modules fed from the plan (doc fragment plan_slice).

The modules' action plugins resolve it on the controller; a module that still sees it
was run without its action plugin and refuses rather than guess.
"""

from __future__ import annotations

FROM_PLAN = dict(type="dict", options=dict(
    file=dict(type="path", required=True),
    sha256=dict(type="str", required=True),
    drop_keys=dict(type="list", elements="str", default=[], no_log=False),
))


def refuse_unresolved(module):
    if module.params.get("from_plan") is not None:
        module.fail_json(msg="from_plan is read on the controller by this module's action plugin, which did not run; "
                             "call the module as a task (impax.cluster_link.%s)" % module._name.split(".")[-1])
