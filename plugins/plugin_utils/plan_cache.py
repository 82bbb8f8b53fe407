# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A valid plan kept for the next run of the same estate (estate_plan's ``cache`` option).

The plan is a function of three things only: the estate's variables (as estate_plan reads them, file names
included), estate_plan's options and this collection's code. A run where all three are the same as in the last
run takes that run's result instead of planning again - most of a converged re-run's planning time on a large
estate (bench/rollout_scale.py). The key is the SHA-256 of the three; the plan file must still be the one that
run wrote (size and modification time) and every slice it names must still exist, else the estate is planned
again. Only a valid plan is kept. The modules check each slice's SHA-256 before using it, as always.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible.release import __version__ as ansible_version

from ansible_collections.impax.cluster_link.plugins.plugin_utils.atomic_files import write_atomically

FORMAT = 1
# the collection's plugins (this file is plugins/plugin_utils/plan_cache.py): any change to them re-plans
PLUGINS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def code_digest(root=PLUGINS):
    """SHA-256 over every Python file under ``root`` (names and contents)."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    content = handle.read()
                digest.update(os.path.relpath(path, root).encode("utf-8") + b"\0")
                digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def plan_key(raw, options, code=None):
    """The key of a plan: the raw estate, estate_plan's options and the code that plans."""
    # a value JSON has no form for is keyed by its repr: at worst a key that never repeats (no cache), never a
    # wrong hit
    data = json.dumps({"format": FORMAT, "ansible": ansible_version, "code": code or code_digest(),
                       "options": options, "raw": raw}, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def cache_path(plan_file):
    """Where the result planned into ``plan_file`` is kept: plan-cache/<plan file's name> next to it."""
    return os.path.join(os.path.dirname(os.path.abspath(plan_file)), "plan-cache", os.path.basename(plan_file))


def _stamp(path):
    status = os.stat(path)
    return [status.st_size, status.st_mtime_ns]


def _slice_files(index):
    for cluster in index.values():
        for ref in (cluster.get("slices") or {}).values():
            refs = ref.values() if "file" not in ref else [ref]
            for one in refs:
                yield one["file"]


def load(plan_file, key):
    """The result kept for ``key``, or None: no entry, another key, or its plan file or a slice changed."""
    try:
        with open(cache_path(plan_file), "r", encoding="utf-8") as handle:
            entry = json.load(handle)
        if entry.get("format") != FORMAT or entry.get("key") != key or entry.get("plan_file") != _stamp(plan_file):
            return None
        files = list(_slice_files(entry["result"]["index"]))
        for path in files:
            # touched: another estate's run removes slices no plan used for a day (plan_slices._clean)
            os.utime(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return entry["result"]


def save(plan_file, key, result):
    """Keep ``result`` (a valid plan's, with its plan file written) for the next run with ``key``."""
    path = cache_path(plan_file)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    entry = {"format": FORMAT, "key": key, "plan_file": _stamp(plan_file), "result": result}
    # atomic: a concurrent run reads the old entry or the new one
    write_atomically(path, json.dumps(entry, sort_keys=True, separators=(",", ":")).encode("utf-8"), 0o600)
