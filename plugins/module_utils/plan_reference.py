# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``from_plan`` option of the modules fed from the plan (doc fragment plan_slice).

The modules' action plugins resolve it on the controller; a module that still sees it
was run without its action plugin and refuses rather than guess.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib

FROM_PLAN = dict(type="dict", options=dict(
    file=dict(type="path", required=True),
    sha256=dict(type="str", required=True),
    drop_keys=dict(type="list", elements="str", default=[], no_log=False),
))


def get_path(params, path):
    """The value at a dotted ``path`` (``mappings.from_plan.specialty``) of nested dicts, or None."""
    for name in path.split("."):
        if not isinstance(params, dict):
            return None
        params = params.get(name)
    return params


def refuse_unresolved(module):
    if module.params.get("from_plan") is not None:
        module.fail_json(msg="from_plan is read on the controller by this module's action plugin, which did not run; "
                             "call the module as a task (impax.cluster_link.%s)" % module._name.split(".")[-1])


class SliceError(ValueError):
    pass


def slice_items(data, sha256, drop_keys=(), where="the plan slice"):
    """The list a slice's bytes hold, checked against its planned ``sha256``; ``drop_keys`` removed from each
    object. Used on the controller (reading the file; ``sha256=None``: read_slice checked it) and on the target
    (the bytes the action plugin sent)."""
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise SliceError("%s is not the one planned (its SHA-256 differs); nothing was done. Plan again" % where)
    value = json.loads(data)
    if not isinstance(value, list):
        raise SliceError("%s holds no list" % where)
    if drop_keys:
        drop = set(drop_keys)
        value = [dict((k, v) for k, v in item.items() if k not in drop) if isinstance(item, dict) else item
                 for item in value]
    return value


# from this many items a task's own list goes to the module as one JSON text (below, there is nothing to save)
LIST_AS_TEXT_FROM = 100
# How a list's JSON text travels in ``content``: compressed, then base64. A few hundred kB of plain ASCII instead
# of MBs of JSON that ansible-core escapes twice on the controller (the module's JSON arguments, then their repr
# in the AnsiballZ wrapper) and the node's Python compiles as one string literal (a station list: 3.4 MB -> 86 kB).
CONTENT_ENCODING = "zlib+base64"


def packed(data):
    """``content`` and ``encoding`` carrying a list's JSON bytes."""
    return {"content": base64.b64encode(zlib.compress(data, 1)).decode("ascii"), "encoding": CONTENT_ENCODING}


def content_bytes(ref):
    """The JSON bytes a reference's ``content`` carries (packed, or as plain text)."""
    if ref.get("encoding") == CONTENT_ENCODING:
        return zlib.decompress(base64.b64decode(ref["content"], validate=True))
    return ref["content"].encode("utf-8")


def _refuse(value):
    raise TypeError("%s is not a JSON value" % type(value).__name__)


def list_as_text(items, where):
    """``from_plan`` with ``content`` for a task's own large list, or None to send the list as it is.

    A list travels to the module as one JSON text, the way a plan slice does: ansible-core then moves one string
    instead of encoding, decoding and deep-copying every object in Python (on the node, a converged run's
    largest cost after start-up). The module takes it as it takes a slice's text (resolve_ref).
    """
    if not isinstance(items, list) or len(items) < LIST_AS_TEXT_FROM:  # a task's list is tagged: a subclass
        return None
    try:
        # plain JSON values only: anything else (a date, bytes) is left to ansible-core's own encoding
        text = json.dumps(items, separators=(",", ":"), allow_nan=False, default=_refuse)
    except (TypeError, ValueError):
        return None
    data = text.encode("utf-8")
    return dict(packed(data), file="(%s)" % where, sha256=hashlib.sha256(data).hexdigest(), drop_keys=[])


def resolve_ref(ref, where):
    """(the list, None) that a reference with ``content`` holds, or ([], the error): nothing to act on then."""
    if not ref.get("sha256"):
        return [], "%s: content without its sha256" % where
    try:
        return slice_items(content_bytes(ref), ref["sha256"], ref.get("drop_keys") or (),
                           "%s: the slice %s as it reached the module" % (where, ref.get("file"))), None
    except (SliceError, ValueError, AttributeError, TypeError, zlib.error) as exc:
        return [], str(exc)
