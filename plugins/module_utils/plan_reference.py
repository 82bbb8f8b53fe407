# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``from_plan`` option of the modules fed from the plan (doc fragment plan_slice).

The modules' action plugin (``plan_fed``) reads the slice on the controller, checks its SHA-256 and sends its
JSON bytes as ``content`` (compressed, base64: one short string for Ansible to move instead of thousands of
objects); the module checks the hash again and takes the list (``take``). The planner checked the slice's objects
against the resource when it wrote it (plan_slices), so the module takes them without a second argument check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib

FROM_PLAN = dict(type="dict", options=dict(
    file=dict(type="path", required=True),
    sha256=dict(type="str", required=True),
    content=dict(type="str"),
))


def get_path(params, path):
    """The value at a dotted ``path`` (``mappings.from_plan.specialty``) of nested dicts, or None."""
    for name in path.split("."):
        if not isinstance(params, dict):
            return None
        params = params.get(name)
    return params


class SliceError(ValueError):
    pass


def slice_items(data, sha256, where="the plan slice"):
    """The list a slice's bytes hold, checked against its planned ``sha256`` (None: checked already)."""
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise SliceError("%s is not the one planned (its SHA-256 differs); nothing was done. Plan again" % where)
    value = json.loads(data)
    if not isinstance(value, list):
        raise SliceError("%s holds no list" % where)
    return value


def packed(data):
    """A slice's JSON bytes as they travel in ``content``."""
    return base64.b64encode(zlib.compress(data, 1)).decode("ascii")


def take(module, path, given):
    """The list the reference at ``path`` carries, or ``given`` when there is none; fails the module on a
    reference its action plugin did not resolve, or one whose bytes are not the planned ones."""
    ref = get_path(module.params, path)
    if ref is None:
        return given
    if given is not None:
        module.fail_json(msg="give %s or its list, not both" % path)
    if ref.get("content") is None:
        module.fail_json(msg="%s is read on the controller by this module's action plugin, which did not run; call "
                             "the module as a task (impax.cluster_link.%s)" % (path, module._name.split(".")[-1]))
    try:
        return slice_items(zlib.decompress(base64.b64decode(ref["content"], validate=True)), ref["sha256"],
                           "%s: the slice %s as it reached the module" % (path, ref["file"]))
    except (SliceError, ValueError, TypeError, zlib.error) as exc:
        module.fail_json(msg=str(exc))
