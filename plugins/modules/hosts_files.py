#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the hosts_files action plugin (the work happens on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hosts_files
short_description: Write the estate hosts table as hosts files for machines Ansible does not manage
version_added: 0.1.0
description:
  - Modalities, IMPAX clients and other machines the collection cannot reach need the same hosts table as the
    nodes (KB 9090). This writes it on the controller as a POSIX C(hosts) and a Windows C(hosts.windows) (CRLF)
    under O(dest) - the loopback lines, then the managed block exactly as M(impax.cluster_link.hosts_block)
    writes it on the nodes.
  - A file is written only when its bytes (or its mode) differ, by a rename (a reader never sees half a file).
  - Runs on the controller only; never connects to a target.
author:
  - impax.cluster_link contributors (@impax)
options:
  dest:
    description: The folder on the controller; made when missing.
    type: path
    required: true
  entries:
    description:
      - The hosts table - the plan's C(hosts_table) (C(ip), C(hostname), C(aliases), C(comment)).
      - Mutually exclusive with O(from_plan); one of them is required.
    type: list
    elements: dict
  marker:
    description: Names the managed block (as O(impax.cluster_link.hosts_block#module:marker)).
    type: str
    default: impax.cluster_link
  formats:
    description: Which files to write - V(posix) (C(hosts)) and V(windows) (C(hosts.windows), CRLF line ends).
    type: list
    elements: str
    choices: [posix, windows]
    default: [posix, windows]
  mode:
    description: Permissions of the files, octal.
    type: raw
    default: "0644"
  prune_except:
    description:
      - Names of the subdirectories of O(dest) that hold other tables' files (a cluster leaving the estate has
        its own, C(<dest>/<cluster>)). Any other subdirectory that holds nothing but C(hosts) and
        C(hosts.windows) - the files of a cluster that left and has rejoined - is removed; a subdirectory with
        anything else in it is left alone.
      - Not given, no subdirectory is looked at.
    type: list
    elements: str
extends_documentation_fragment:
  - impax.cluster_link.plan_slice
attributes:
  check_mode:
    support: full
    description: Reports which files would change and writes nothing.
  diff_mode:
    support: full
    description: Shows each changed file before and after.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Hosts files for the modality engineers
  impax.cluster_link.hosts_files:
    dest: build/hosts
    from_plan: "{{ impax_estate_plan.index.harbor.slices.hosts_table }}"

- name: From a list
  impax.cluster_link.hosts_files:
    dest: /srv/share/hosts
    entries: "{{ impax_estate_plan.plan.hosts_table }}"
    formats: [windows]

- name: The linked estate's files; drop those of clusters that are no longer leaving
  impax.cluster_link.hosts_files:
    dest: build/hosts
    from_plan: "{{ impax_estate_plan.index.harbor.slices.hosts_table }}"
    prune_except: "{{ impax_estate_plan.hosts_tables.keys() | reject('eq', 'linked estate') }}"
"""

RETURN = r"""
files:
  description: Per file - its path, format, whether it changed (or would) and the SHA-256 of its content.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "build/hosts/hosts", "format": "posix", "changed": false, "sha256": "50b6..."}]
entries:
  description: Number of entries in the managed block.
  returned: always
  type: int
removed:
  description: The stale subdirectories removed (or, in check mode, that would be).
  returned: when O(prune_except) is given
  type: list
  elements: str
"""
