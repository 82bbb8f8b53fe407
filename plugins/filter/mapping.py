# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over IMPAX group mappings (documentation: mapping_test.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.mapping import DEFAULT_LABELS, evaluate


def mapping_test(descriptions, rows, table="body_part"):
    """Labels the mapping ``rows`` give ``descriptions`` (the managers' Test button, KB 9492)."""
    if table not in DEFAULT_LABELS:
        raise AnsibleFilterError("mapping_test: table must be one of %s, got %r" % (", ".join(sorted(DEFAULT_LABELS)), table))
    single = isinstance(descriptions, str)
    texts = [descriptions] if single else list(descriptions)
    try:
        labels = evaluate(rows, [str(t) for t in texts], table)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("mapping_test: every row needs pattern, rule and label (%s)" % exc)
    return labels[0] if single else labels


class FilterModule(object):
    def filters(self):
        return {"mapping_test": mapping_test}
