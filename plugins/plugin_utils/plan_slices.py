# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's large lists as files on the controller, handed to the modules by reference.

Why: on a large estate a converged rollout spent most of its time in Ansible templating
and argument-checking lists of thousands of stations and rows, once per task and host,
only to hand them to a module. ``estate_plan`` writes each list once as JSON (the
file named by the SHA-256 of its bytes, so concurrent runs and clusters with the
same list share files and never overwrite each other's); a task passes
``from_plan: {file, sha256}`` and the module's action plugin reads the list on the
controller, checks its hash and puts it in the module's arguments.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import SliceError, slice_items
from ansible_collections.impax.cluster_link.plugins.plugin_utils.atomic_files import write_atomically

# The per-cluster lists written as slices, and the module option each one feeds.
CLUSTER_LISTS = ("network_management", "sources", "gateway_modalities")
KEEP_SECONDS = 24 * 3600  # other runs' slices younger than this are left alone


class PlanSliceError(Exception):
    pass


def _write(directory, value, written):
    data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(directory, digest + ".json")
    if path not in written and not _holds(path, digest):
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

    ``{cluster: {"hosts_table": ref, "network_management": ref, "sources": ref, "gateway_modalities": ref,
    "mappings": {table: ref}}}``; a ref is ``{"file": absolute path, "sha256": hex}``.
    """
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    written = set()
    hosts = _write(directory, plan["hosts_table"], written)
    refs = {}
    for name, cluster in sorted(plan["clusters"].items()):
        refs[name] = dict((key, _write(directory, cluster[key], written)) for key in CLUSTER_LISTS)
        # a cluster leaving the estate has a table of its own (planner.split_membership)
        refs[name]["hosts_table"] = _write(directory, cluster["hosts_table"], written) if "hosts_table" in cluster else hosts
        refs[name]["mappings"] = dict((table, _write(directory, rows, written))
                                      for table, rows in sorted(cluster["mappings"].items()))
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


def derived(ref, name, compute):
    """A small JSON value computed from a slice, kept beside it as ``<sha256>.<name>.json`` so the next task (or
    run: slices outlive runs) takes it instead of computing it again. ``name`` must change whenever what
    ``compute`` returns would (it carries a code digest); a reference's ``drop_keys`` (another view of the slice)
    are part of the name. ``compute()`` returning None is not kept; a reference without a file is computed each
    time."""
    if not ref.get("file") or not ref.get("sha256"):
        return compute()
    drop_keys = sorted(str(key) for key in ref.get("drop_keys") or ())
    if drop_keys:
        name += "-" + hashlib.sha256(json.dumps(drop_keys).encode("utf-8")).hexdigest()[:12]
    path = os.path.join(os.path.dirname(str(ref["file"])), "%s.%s.json" % (ref["sha256"], name))
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        pass
    value = compute()
    if value is not None:
        try:
            # atomic: tasks on other nodes read it concurrently
            write_atomically(path, json.dumps(value).encode("utf-8"), 0o644)
        except OSError:
            pass  # a read-only plan directory: computed again next time
    return value


def code_digest(*modules):
    """12 hex digits of the SHA-256 of the modules' source files: part of a derived value's name."""
    digest = hashlib.sha256()
    for module in modules:
        with open(module.__file__, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:12]


def load_slice(ref, drop_keys=()):
    """The list a reference points to, checked against its hash; ``drop_keys`` removed from each object."""
    data = read_slice(ref)
    try:
        return slice_items(data, None, drop_keys, "the plan slice %s" % ref["file"])
    except SliceError as exc:
        raise PlanSliceError(str(exc))
