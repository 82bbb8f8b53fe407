# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Ansible's reading of an inventory's variable files lets through without a word: a key given twice in one
mapping (the last one wins - a station's second ``port:`` silently replaces the first).

Read on the controller by estate_plan (module_utils stays free of PyYAML).
"""

from __future__ import annotations

import os

import yaml

# the largest variable file read again here: a bigger one is left to Ansible (and refused for its values' sizes)
MAX_BYTES = 50 * 1024 * 1024


class _DuplicateFinder(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """A SafeLoader that records every key a mapping holds twice (with its line), instead of keeping the last."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates = []

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, unused in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    self.duplicates.append((key, seen[key] + 1, key_node.start_mark.line + 1))
                else:
                    seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


# the tags Ansible adds (vaulted values) read as plain text here
_DuplicateFinder.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))
_DuplicateFinder.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def duplicate_keys(inventory_dir, relative_to=None):
    """[{rule, field, file, message}] for every key a mapping of a group_vars or host_vars file (or the hosts
    file) holds twice."""
    problems = []
    if not inventory_dir:
        return problems
    paths = [os.path.join(inventory_dir, name) for name in ("hosts.yml", "hosts.yaml")]
    for folder in ("group_vars", "host_vars"):
        for root, unused, names in os.walk(os.path.join(inventory_dir, folder)):
            paths.extend(os.path.join(root, name) for name in sorted(names) if name.endswith((".yml", ".yaml")))
    for path in sorted(p for p in paths if os.path.isfile(p)):
        try:
            if os.path.getsize(path) > MAX_BYTES:
                continue
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if text.startswith("$ANSIBLE_VAULT"):
                continue  # a vaulted file: Ansible reads it, nothing to see here
            loader = _DuplicateFinder(text)
            try:
                loader.get_single_data()
            finally:
                loader.dispose()
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # Ansible has read it (or said why not)
        shown = os.path.relpath(path, relative_to) if relative_to else path
        parts = os.path.relpath(path, inventory_dir).split(os.sep)
        group = parts[1].split(".")[0] if parts[0] == "group_vars" and len(parts) > 1 else None
        for key, first, second in loader.duplicates:
            problems.append({"rule": "ICL105", "cluster": group if group not in (None, "all") else None,
                             "field": "%s (line %d)" % (key, second), "file": shown,
                             "message": "%s is given twice in one mapping (lines %d and %d): YAML keeps the last one "
                                        "and drops the first without a word; keep one" % (key, first, second)})
    return problems
