# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: estate_files
short_description: Name the file, line and fix when an estate's variable file cannot be read
version_added: 0.1.0
description:
  - Reads each C(group_vars) and C(host_vars) file of the inventory just before ansible-core's own
    M(ansible.builtin.host_group_vars) plugin does, through the same loader and cache (so no file is parsed twice),
    and stops with the file, line and column and what to do when a file cannot be read.
  - ansible-core 2.19 reports a YAML syntax error or a missing vault password in these files without naming the
    file, and a file that holds a list instead of variables with its internal type names.
  - Returns no variables of its own. Enable it before C(host_group_vars), for example in C(ansible.cfg)
    C([defaults] vars_plugins_enabled = impax.cluster_link.estate_files, host_group_vars).
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - ansible.builtin.vars_plugin_staging
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# vars_plugins_enabled = impax.cluster_link.estate_files, host_group_vars
#
# A group_vars file with a YAML error then stops the run with:
#   group_vars/north/stations.yml line 4 column 4: YAML parsing failed: While parsing a block collection did not
#   find expected '-' indicator. Nothing was run; fix the file and run again.
"""

import os

from ansible.errors import AnsibleParserError
from ansible.inventory.group import InventoryObjectType
from ansible.plugins.vars import BaseVarsPlugin

CHECKED = set()  # files already read by this process (the loader caches their data for host_group_vars)


def _shown(path):
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _place(error, path):
    """'<file> line L column C' from the error's origin when it has one (ansible-core keeps it in ``obj``)."""
    origin = str(getattr(error, "obj", "") or "")
    if origin.startswith(path + ":"):
        parts = origin[len(path) + 1:].split(":")
        if len(parts) == 2 and all(part.isdigit() for part in parts):
            return "%s line %s column %s" % (_shown(path), parts[0], parts[1])
    return _shown(path)


def check_file(loader, path):
    """Read one variables file as host_group_vars will; raise an error naming it when that would fail."""
    try:
        # exactly host_group_vars' call, so that it finds this data in the loader's cache as it would have read it
        data = loader.load_from_file(path, cache="all", unsafe=True, trusted_as_template=True)
    except Exception as error:  # any reading error: YAML, vault, encoding
        message = (getattr(error, "message", None) or str(error)).rstrip(".")
        if "vault" in message.lower():
            message += " (the file is vault-encrypted: give --ask-vault-pass or --vault-id)"
        raise AnsibleParserError("%s: %s. Nothing was run; fix the file and run again."
                                 % (_place(error, path), message)) from None
    if data is not None and not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise AnsibleParserError("%s holds %s at its top level: a variables file is a mapping of variable names to "
                                 "values (impax_stations: [...]). Nothing was run; fix the file and run again."
                                 % (_shown(path), kind))


class VarsModule(BaseVarsPlugin):
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        if not isinstance(entities, list):
            entities = [entities]
        super().get_vars(loader, path, entities)
        basedir = os.path.realpath(path)
        for entity in entities:
            name = getattr(entity, "name", "")
            if not name or name.startswith(os.path.sep):
                continue
            subdir = "host_vars" if getattr(entity, "base_type", None) is InventoryObjectType.HOST else "group_vars"
            folder = os.path.join(basedir, subdir)
            if not os.path.isdir(folder):
                continue
            for found in loader.find_vars_files(folder, name):
                found = str(found)
                if found not in CHECKED:
                    check_file(loader, found)
                    CHECKED.add(found)
        return {}
