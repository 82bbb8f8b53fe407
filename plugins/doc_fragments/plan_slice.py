# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The modules whose action plugin reads their large list from the plan (plugin_utils.plan_fed_action, hosts_files).
    DOCUMENTATION = r"""
options:
  from_plan:
    description:
      - Take the list from the plan on the controller instead of from the task - a reference
        from the C(index) that M(impax.cluster_link.estate_plan) returns (C(index.<cluster>.slices)).
      - The action plugin reads the file on the controller, refuses it when its SHA-256 is not the planned
        one, and uses the list as if the task gave it; the list is never templated, which on a large estate
        is most of a converged run's time. A module that runs on a target receives the file's text and checks
        it against the SHA-256 again before it takes the list.
      - Mutually exclusive with the list option itself. The planner checked the slice's objects against this
        module's argument spec when it wrote the file; a task's own list is checked by Ansible as usual.
    type: dict
    suboptions:
      file:
        description: The slice file on the controller.
        type: path
        required: true
      sha256:
        description: SHA-256 of the file's bytes, as planned.
        type: str
        required: true
      content:
        description: The slice's bytes, as the action plugin sends them to the module; never set it in a task.
        type: str
attributes:
  action:
    support: full
    description: An action plugin reads O(from_plan) on the controller (before the module, when it runs on a target).
"""
