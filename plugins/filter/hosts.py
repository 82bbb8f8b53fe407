# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hosts_block_text: the managed hosts block exactly as hosts_block writes it (documentation: hosts_block_text.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.impax.cluster_link.plugins.module_utils.targets import hosts_file as hf


def hosts_block_text(entries, newline="posix", marker=hf.DEFAULT_MARKER):
    if newline not in ("posix", "windows"):
        raise AnsibleFilterError("hosts_block_text: newline must be posix or windows, got %r" % (newline,))
    try:
        clean = hf.normalise_entries(entries)
    except hf.HostsFileError as exc:
        raise AnsibleFilterError("hosts_block_text: %s" % exc)
    return hf.render_block(clean, marker, "\r\n" if newline == "windows" else "\n")


class FilterModule(object):
    def filters(self):
        return {"hosts_block_text": hosts_block_text}
