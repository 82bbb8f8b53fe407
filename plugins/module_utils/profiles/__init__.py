# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table profiles that ship with the collection, by name: a module's ``profile`` may name one. A site's own
profile is given as a dict of the same shape; a new named profile is a module here and a line below."""

from __future__ import annotations

from ansible_collections.impax.cluster_link.plugins.module_utils.profiles import reference

PROFILES = {"reference": reference.PROFILE}
DEFAULT = "reference"
