# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's large lists as files on the controller, handed to the modules by reference.

Why: a list of thousands of stations or rows templated and argument-checked by Ansible in every task costs
seconds. ``estate_plan`` writes each list once, as the module takes it (planning-only keys left out) and
checked against the module's argument spec with ansible-core's validator; the file is named by the SHA-256 of
its bytes, so concurrent runs and clusters with the same list share files and never overwrite each other's, and
a list already written (checked then) is neither checked nor written again. A
task passes ``from_plan: {file, sha256}``; the action plugin reads the file on the controller, checks its hash
and sends it to the module (module_utils/plan_reference).
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.impax.cluster_link.plugins.module_utils import resources
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import SliceError, slice_items
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.hosts_file import ENTRY_OPTIONS
from ansible_collections.impax.cluster_link.plugins.plugin_utils.atomic_files import write_atomically

# Each per-cluster list written as a slice: the suboptions its module checks each object against, and the plan's
# planning-only keys left out of it.
CLUSTER_LISTS = {
    "network_management": (resources.argspec(resources.NETWORK_MANAGEMENT), ("kind", "home_cluster")),
    "sources": (resources.argspec(resources.SOURCES), ("host", "modality", "home_cm_ae_title", "home_cluster", "archive_in")),
}
GATEWAY_MODALITIES = (resources.argspec(resources.MODALITIES), ())
HOSTS_TABLE = (ENTRY_OPTIONS, ())
MAPPING_ROWS = (resources.argspec(resources.MAPPING_ROWS), ())
KEEP_SECONDS = 24 * 3600  # other runs' slices younger than this are left alone


class PlanSliceError(Exception):
    pass


def module_items(items, kind, where):
    """``items`` as their module takes them: planning-only keys left out, each object checked against the
    module's suboptions (a refusal is a planner defect: PlanSliceError names the slice and the object)."""
    options, meta = kind
    items = [dict((k, v) for k, v in item.items() if k not in meta) for item in items] if meta else items
    validator = ArgumentSpecValidator({"items": dict(type="list", elements="dict", options=options)})
    errors = validator.validate({"items": items}).error_messages
    if errors:
        raise PlanSliceError("the plan's %s does not fit its module: %s" % (where, "; ".join(errors[:5])))
    return items


def _write(directory, items, kind, where, written):
    """Write ``items`` as their module takes them (module_items) unless the file is there already - checked then,
    as its name is the SHA-256 of its bytes; return the reference."""
    options, meta = kind
    items = [dict((k, v) for k, v in item.items() if k not in meta) for item in items] if meta else items
    data = json.dumps(items, sort_keys=True, separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(directory, digest + ".json")
    if path not in written and not _holds(path, digest):
        module_items(items, (options, ()), where)
        write_atomically(path, data, 0o644)
    written.add(path)
    return {"file": path, "sha256": digest}


def _holds(path, digest):
    """True when ``path`` exists with exactly the bytes of ``digest`` (an edited file is written again)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest() == digest
    except OSError:
        return False


def write_slices(plan, directory):
    """Write the plan's large lists under ``directory``; return their references, per cluster.

    ``{cluster: {"hosts_table": ref, "network_management": ref, "sources": ref, "mappings": {table: ref},
    "gateways": {node: ref}}}``; a ref is ``{"file": absolute path, "sha256": hex}``.
    """
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    written = set()
    hosts = _write(directory, plan["hosts_table"], HOSTS_TABLE, "hosts table", written)
    refs = {}
    for name, cluster in sorted(plan["clusters"].items()):
        refs[name] = dict((key, _write(directory, cluster[key], kind, "%s of %s" % (key, name), written))
                          for key, kind in CLUSTER_LISTS.items())
        # a cluster leaving the estate has a table of its own (planner.split_membership)
        refs[name]["hosts_table"] = _write(directory, cluster["hosts_table"], HOSTS_TABLE, "hosts table of %s" % name,
                                           written) if "hosts_table" in cluster else hosts
        refs[name]["mappings"] = dict((table, _write(directory, rows, MAPPING_ROWS, "%s of %s" % (table, name), written))
                                      for table, rows in sorted(cluster["mappings"].items()))
        refs[name]["gateways"] = dict((node, _write(directory, gateway["modalities"], GATEWAY_MODALITIES,
                                                    "registry of the gateway on %s" % node, written))
                                      for node, gateway in sorted(cluster["gateways"].items()))
    _clean(directory, written)
    return refs


def _clean(directory, keep):
    """Remove slices no plan of the last day refers to (this run's are kept whatever their age)."""
    now = time.time()
    for entry in os.listdir(directory):
        path = os.path.join(directory, entry)
        if path in keep or not entry.endswith(".json"):
            continue
        try:
            if now - os.path.getmtime(path) > KEEP_SECONDS:
                os.remove(path)
        except OSError:
            pass  # another run removed it first


def read_slice(ref):
    """The bytes of the slice a reference points to, checked against its hash."""
    if not isinstance(ref, dict) or not ref.get("file") or not ref.get("sha256"):
        raise PlanSliceError("from_plan needs file and sha256 (the references estate_plan returns in its index), "
                             "got %r" % (ref,))
    try:
        with open(ref["file"], "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise PlanSliceError("cannot read the plan slice %s: %s; plan again (estate_plan with plan_file)"
                             % (ref["file"], exc.strerror or exc))
    if hashlib.sha256(data).hexdigest() != ref["sha256"]:
        raise PlanSliceError("the plan slice %s is not the one planned (its SHA-256 differs); nothing was sent. "
                             "Plan again" % ref["file"])
    return data


def load_slice(ref):
    """The list a reference points to, checked against its hash."""
    data = read_slice(ref)
    try:
        return slice_items(data, None, "the plan slice %s" % ref["file"])
    except SliceError as exc:
        raise PlanSliceError(str(exc))
