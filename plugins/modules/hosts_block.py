#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hosts_block
short_description: Own one marked block of a hosts file and leave every other line alone
version_added: 0.1.0
description:
  - Writes the estate's hosts table as one managed block (between C(# BEGIN <marker> managed block) and
    C(# END <marker> managed block)) in a hosts file. Lines outside the block - the node's own hand-made
    entries - are never changed.
  - Entries are validated (IPv4/IPv6, RFC 1123 host names, one-line comments, a name mapped to two IPs in the
    block) and compared with the unmanaged lines - the same name mapped to another IP outside the block fails
    the task unless O(on_conflict=warn). The node's own host name is never renamed and its own IP never
    changed through the file (KB 9085, 9090).
  - Writes atomically where it can. Where the file is a mount point (containers, network namespaces, where
    rename fails with EBUSY) it writes in place - new content complete first, old content kept until the
    write is done and put back on any error; owner, group and mode are kept.
  - Check mode and diff mode give exactly what the real run does.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.plan_slice
options:
  path:
    description: The hosts file.
    type: path
    default: /etc/hosts
  entries:
    description: The managed entries, in the order they are written (none when unset and no O(from_plan)).
    type: list
    elements: dict
    suboptions:
      ip:
        description: IPv4 or IPv6 address.
        type: str
        required: true
      hostname:
        description: Canonical host name (RFC 1123).
        type: str
        required: true
      aliases:
        description: Further names on the same line.
        type: list
        elements: str
        default: []
      comment:
        description: One line of text written after C(#), such as the AE title (KB 9090).
        type: str
  state:
    description: V(present) writes the block; V(absent) removes it; V(gathered) returns the entries the block holds
      now (the same shape as O(entries), so a snapshot can be written back).
    type: str
    choices: [present, absent, gathered]
    default: present
  marker:
    description: Names the block; two different markers are two independent blocks.
    type: str
    default: impax.cluster_link
  on_conflict:
    description: What to do when an unmanaged line maps a managed name to another IP.
    type: str
    choices: [error, warn]
    default: error
  own_hostname:
    description:
      - This node's own host name. The module refuses a table that would rename it or move it to another IP.
    type: str
  own_ip:
    description: This node's own address, used with O(own_hostname).
    type: str
  max_deletions:
    description:
      - Fail before writing when the managed block would lose more entries than this (a truncated or wrong table).
      - In check mode the module does not fail - it returns the change and names the refusal in RV(refused).
    type: int
  backup:
    description: Keep a copy of the old file next to it (C(<path>.<timestamp>~)) before changing it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The same code path computes the change; only the write is skipped.
  diff_mode:
    support: full
    description: The whole file before and after.
  platform:
    support: full
    platforms: posix
    description: Any POSIX node.
notes:
  - Idempotent - a second run with the same entries reports no change.
  - A converged node costs one C(cat) of the file - the action plugin decides it on the controller with this
    module's code (RV(decided_on_controller)); the module itself runs on the node only to write, to report a
    conflict or a refusal, or when the file cannot be read that way.
seealso:
  - name: Estate plan
    description: The planner produces the estate hosts table.
    link: https://github.com/impax/cluster_link/blob/main/docs/architecture.md
"""

EXAMPLES = r"""
- name: Write the estate hosts table on every node
  impax.cluster_link.hosts_block:
    entries: "{{ hostvars['localhost'].impax_estate_plan.plan.hosts_table }}"
    own_hostname: "{{ inventory_hostname }}"
    own_ip: "{{ impax_ip }}"

- name: Remove the managed block
  impax.cluster_link.hosts_block:
    state: absent
"""

RETURN = r"""
gathered:
  description: The entries of the managed block (empty when there is no block).
  returned: when O(state=gathered)
  type: list
  elements: dict
  sample: [{"ip": "10.201.0.11", "hostname": "harbor-cm01", "aliases": [], "comment": "cluster harbor"}]
changed:
  description: Whether the file changed (or would change in check mode).
  returned: always
  type: bool
entries:
  description: Number of entries in the managed block after the run.
  returned: always
  type: int
before:
  description: The entries of the managed block before the run.
  returned: when changed
  type: list
  elements: dict
after:
  description: The entries of the managed block after the run (predicted in check mode).
  returned: when changed
  type: list
  elements: dict
block_sha256:
  description: SHA-256 of the managed block as written (markers included); equal on every node that has the same table.
  returned: always
  type: str
current_block_sha256:
  description: SHA-256 of the managed block found in the file before the run (null when there was none).
  returned: always
  type: str
write_method:
  description: C(atomic) (rename) or C(in-place) (the file is a mount point), or C(none) when nothing was written.
  returned: always
  type: str
conflicts:
  description: Unmanaged lines that map a managed name to another IP (name, their IP, our IP, line).
  returned: always
  type: list
  elements: dict
refused:
  description: In check mode, what a real run refuses (O(max_deletions)).
  returned: in check mode, when the guard would refuse
  type: list
  elements: str
decided_on_controller:
  description:
    - True when the action plugin read the file over the connection and found it converged with the module's own
      code, so the module did not run on the node. Any change, conflict, refusal or unreadable file runs the
      module.
  returned: when the action plugin decided
  type: bool
backup_file:
  description: Where the old file was copied.
  returned: when O(backup=true) and the file changed
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN, take
from ansible_collections.impax.cluster_link.plugins.module_utils.targets import hosts_file as hf


def run(module):
    params = module.params
    path = params["path"]
    try:
        with open(path, "r", encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        module.fail_json(msg="%s does not exist; the hosts file is created with the node, not by this module" % path)
    except (OSError, UnicodeDecodeError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))

    try:
        if params["state"] == "gathered":
            module.exit_json(changed=False, gathered=hf.HostsFile(text, params["marker"]).managed_entries())
        entries = take(module, "from_plan", params["entries"]) or []
        outcome = hf.Outcome(text, entries, params["state"], params["marker"], params["own_hostname"],
                             params["own_ip"], params["max_deletions"])
    except hf.HostsFileError as exc:
        module.fail_json(msg="%s: %s" % (path, exc))

    found = outcome.conflicts
    if outcome.refusals:
        module.fail_json(msg="%s: %s" % (path, "; ".join(outcome.refusals)), conflicts=found)
    if found:
        text_of = "; ".join("%s is %s in the line %r but %s in the estate table"
                            % (c["name"], c["their_ip"], c["line"], c["our_ip"]) for c in found)
        if params["on_conflict"] == "error":
            module.fail_json(msg="%s: unmanaged lines contradict the estate table, nothing was written: %s "
                                 "(fix the lines, or set on_conflict=warn)" % (path, text_of), conflicts=found)
        module.warn("%s: %s" % (path, text_of))

    result = outcome.result()
    if outcome.over_limit and not module.check_mode:
        module.fail_json(msg="%s: %s; nothing was written" % (path, outcome.over_limit), **result)
    if outcome.over_limit:
        # check mode shows the whole change and marks what the real run refuses
        result["refused"] = ["%s: %s" % (path, outcome.over_limit)]
        module.warn("a real run refuses this: %s" % result["refused"][0])
    if module._diff:
        result["diff"] = {"before": text, "after": outcome.new_text, "before_header": path, "after_header": path}
    if outcome.changed and not module.check_mode:
        if params["backup"]:
            result["backup_file"] = hf.backup_file(path, time.strftime("%Y-%m-%d@%H:%M:%S"))
        try:
            result["write_method"] = hf.write_file(path, outcome.new_text)
        except (hf.HostsFileError, OSError) as exc:
            module.fail_json(msg="%s: %s" % (path, exc), **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hf.BLOCK_OPTIONS,
            entries=dict(type="list", elements="dict", options=hf.ENTRY_OPTIONS),
            from_plan=FROM_PLAN,
        ),
        supports_check_mode=True,
    )
    run(module)


if __name__ == "__main__":
    main()
