# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The collection's controller-side steps (action plugins on plugin_utils.controller_action); each adds check_mode.
    DOCUMENTATION = r"""
attributes:
  diff_mode:
    support: none
    description: Nothing on a target is changed, so there is nothing to diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller; never connects to a target.
"""
