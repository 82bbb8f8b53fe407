# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one list-reconcile engine every list resource of the collection uses.

Pure functions: ``plan(want, have, ...)`` gives the operations that turn the
target's current list into the desired one, ``predict(have, ops)`` the list
that results. A module reads ``have`` once, plans, returns the same
``changed``/``commands``/``diff`` in check mode and in a real run, and applies
the operations only in a real run (the target's client decides how: one SQL
transaction, one HTTP session...).

States (netcommon vocabulary): ``merged`` (create missing, update given fields),
``replaced`` (listed objects exactly as given, unset fields at their default),
``overridden`` (replaced, and delete what is not listed, except protected keys),
``deleted`` (delete the listed keys), ``gathered`` (read only), ``rendered``
(offline). Guards: ``overridden`` with an empty list fails unless allowed;
protected keys are never deleted; ``max_deletions`` fails before acting.
"""

from __future__ import annotations

import copy

ACTION_STATES = ("merged", "replaced", "overridden", "deleted")
STATES = ACTION_STATES + ("gathered", "rendered")


class ReconcileError(Exception):
    """A refused plan (guards, duplicate keys, bad input); nothing was changed."""


class DeletionLimit(ReconcileError):
    """The plan deletes more than ``max_deletions`` allows: a real run refuses it before writing; a check-mode run
    reports it (``ops`` holds the plan) and goes on, so the preview shows what the real run would refuse."""

    def __init__(self, deleted, limit, ops=()):
        super(DeletionLimit, self).__init__("the plan deletes %d object%s, more than max_deletions=%d (%s)" % (
            len(deleted), "" if len(deleted) == 1 else "s", limit, ", ".join(repr(key) for key in deleted)))
        self.ops = list(ops)


_NESTED = object()  # marks a field whose full value needs Field.full (nested, or a mutable default)
_NORMAL_CLASS = {"str": str, "int": int, "bool": bool}  # bool is not int here: True for an int field is made 1


class Field(object):
    """One field of a resource: its kind decides how values are normalised and compared.

    kinds: ``str`` (kept exactly: AE titles and patterns are case-sensitive), ``int``, ``bool``,
    ``set`` (order-insensitive list, compared sorted), ``list`` (order matters), ``dict`` (nested fields).
    ``default`` is what the target holds when the field is not set (used by replaced/overridden).
    """

    __slots__ = ("kind", "default", "fields", "shared_default")

    def __init__(self, kind="str", default=None, fields=None):
        self.kind = kind
        self.default = default
        self.fields = fields  # for kind == "dict": {name: Field}
        # an immutable default can be handed out as it is; a list or dict is copied each time
        self.shared_default = not isinstance(default, (list, dict, set))

    def normalise(self, value):
        if value is None:
            return None
        if self.kind == "int":
            return int(value)
        if self.kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
            return bool(value)
        if self.kind == "set":
            return sorted(set(value))
        if self.kind == "list":
            return list(value)
        if self.kind == "dict":
            return dict((name, field.normalise(value.get(name))) for name, field in self.fields.items()
                        if value.get(name) is not None)
        return value if isinstance(value, str) else str(value)

    def full_normal(self, value):
        """``full(normalise(value))`` in one pass (a nested field of thousands of objects a run)."""
        if self.kind != "dict" or value is None:
            return self.full(self.normalise(value))
        out = {}
        get = value.get
        for name, field in self.fields.items():
            sub = get(name)
            if sub is None or field.kind == "dict":
                out[name] = field.full_normal(sub)
            else:
                out[name] = sub if sub.__class__ is _NORMAL_CLASS.get(field.kind) else field.full(field.normalise(sub))
        return out

    def full(self, value):
        """The value with defaults filled in (what the target holds)."""
        if self.kind == "dict":
            value = value or {}
            return dict((name, field.full(value.get(name))) for name, field in self.fields.items())
        if value is not None:
            return value
        return self.default if self.shared_default else copy.deepcopy(self.default)


class Resource(object):
    """What a list resource looks like: its fields and its key."""

    def __init__(self, name, key, fields, required_on_create=()):
        self.name = name
        self.key = tuple(key)
        self.fields = fields
        self.required_on_create = tuple(required_on_create)
        # per field: (name, field, default when it can be shared as is - a flat field - else a marker, the class a
        # value already has when it is normal - no call needed, the common case thousands of times a run)
        self._plan = [(n, f, f.default if f.kind != "dict" and f.shared_default else _NESTED, _NORMAL_CLASS.get(f.kind))
                      for n, f in fields.items()]
        # full_normal starts from a copy of the flat defaults (every field, in order) and visits only the fields an
        # object gives: a modality gives 5 of 16
        self._defaults = dict((n, None if default is _NESTED else default) for n, unused, default, unused in self._plan)
        self._nested = [(n, f) for n, f, default, unused in self._plan if default is _NESTED]
        self._by_name = dict((n, (f, default, normal)) for n, f, default, normal in self._plan)
        for part in self.key:
            if part not in fields:
                raise ValueError("key field %s is not a field of %s" % (part, name))
        for part in self.required_on_create:
            if fields[part].default is not None:
                # plan() checks it on the object with defaults filled in, where a default would hide it
                raise ValueError("%s: required_on_create field %s has a default" % (name, part))

    def key_of(self, item):
        if len(self.key) == 1:
            return item.get(self.key[0])
        return tuple(item.get(part) for part in self.key)

    def normalise(self, item):
        """Known fields only, normalised; None means "not managed" (merged leaves it alone)."""
        result = {}
        get = item.get
        for name, field, unused, normal in self._plan:
            value = get(name)
            if value is None:
                continue
            value = value if value.__class__ is normal else field.normalise(value)
            if value is not None and value != {}:
                result[name] = value
        return result

    def full(self, item):
        out = {}
        get = item.get
        for name, field, default, unused in self._plan:
            value = get(name)
            if default is _NESTED:
                out[name] = field.full(value)
            else:
                out[name] = default if value is None else value
        return out

    def full_normal(self, item):
        """``full(normalise(item))`` in one pass: how a target's object is compared (thousands per run)."""
        out = dict(self._defaults)
        for name, field in self._nested:
            if item.get(name) is None:
                out[name] = field.full(None)
        by_name = self._by_name
        for name, value in item.items():
            if value is None or name not in by_name:
                continue
            field, default, normal = by_name[name]
            if default is _NESTED:
                out[name] = field.full_normal(value)
            else:
                out[name] = value if value.__class__ is normal else field.normalise(value)
        return out

    def from_record(self, record, names, **known):
        """``full_normal`` of a target's own record, renamed on the way (one pass: thousands of records per run):
        ``names`` maps the record's keys to fields (keys it does not map are ignored); ``known`` gives fields the
        record does not hold (its key, say)."""
        if self._nested:
            return self.full_normal(dict(((names[k], v) for k, v in record.items() if k in names), **known))
        out = dict(self._defaults)
        by_name = self._by_name
        for key, value in record.items():
            name = names.get(key)
            if name is not None and value is not None:
                field, unused, normal = by_name[name]
                out[name] = value if value.__class__ is normal else field.normalise(value)
        for name, value in known.items():
            if value is not None:
                out[name] = value if value.__class__ is by_name[name][2] else by_name[name][0].normalise(value)
        return out

    def merge(self, have, want):
        """``have`` updated with the fields ``want`` gives (nested dicts merged field by field)."""
        result = copy.deepcopy(have)
        for name, value in want.items():
            if self.fields[name].kind == "dict" and isinstance(result.get(name), dict):
                result[name] = dict(result[name], **value)
            else:
                result[name] = value
        return result

    def index(self, items, what):
        indexed = {}
        duplicates = []
        for item in items:
            key = self.key_of(item)
            if key in indexed:
                duplicates.append(key)
            indexed[key] = item
        if duplicates:
            raise ReconcileError("%s: duplicate %s in %s: %s" % (self.name, "/".join(self.key), what,
                                                                 ", ".join(repr(k) for k in sorted(set(duplicates), key=repr))))
        return indexed


def changed_fields(before, after):
    """{field: [before, after]} for the fields that differ (nested dicts flattened as a.b)."""
    diff = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if isinstance(old, dict) and isinstance(new, dict):
            for sub, pair in changed_fields(old, new).items():
                diff["%s.%s" % (name, sub)] = pair
        elif old != new:
            diff[name] = [old, new]
    return diff


class Op(object):
    """One operation: create, update or delete of one object."""

    __slots__ = ("action", "key", "before", "after")

    def __init__(self, action, key, before, after):
        self.action = action
        self.key = key
        self.before = before
        self.after = after

    def fields(self):
        return changed_fields(self.before or {}, self.after or {})

    def as_command(self):
        command = {"op": self.action, "key": self.key}
        if self.action == "update":
            command["fields"] = self.fields()
        elif self.action == "create":
            command["values"] = self.after
        return command

    def __repr__(self):
        return "Op(%s %r)" % (self.action, self.key)


ORDER = {"delete": 0, "create": 1, "update": 2}


def plan(resource, want, have, state, protected=(), allow_empty=False, max_deletions=None, have_normal=False):
    """Operations that make ``have`` what ``state`` asks of ``want``.

    ``want`` and ``have`` are lists of dicts; ``have`` items are complete (as the
    target holds them; ``have_normal``: already made by full_normal or from_record).
    Deletes come first (they may free a unique value), then creates, then updates,
    each sorted by key, so output is stable.
    """
    if state not in ACTION_STATES:
        raise ReconcileError("plan: state %s does not change anything" % state)
    # replaced/overridden compare the object as given with defaults filled in: one pass (full_normal) per object
    exact = state in ("replaced", "overridden")
    wanted = resource.index([resource.full_normal(item) if exact else resource.normalise(item) for item in want],
                            "config")
    current = resource.index(have if have_normal else [resource.full_normal(item) for item in have], "the target")
    protected = set(protected or ())
    if state == "overridden" and not wanted and not allow_empty:
        raise ReconcileError("%s: state overridden with an empty config would delete every object; set "
                             "allow_empty to do that on purpose" % resource.name)
    if state == "deleted" and not wanted:
        raise ReconcileError("%s: state deleted needs the keys to delete in config (nothing is deleted by "
                             "omission)" % resource.name)
    ops = []
    if state == "deleted":
        for key, item in wanted.items():
            if key in current and key not in protected:
                ops.append(Op("delete", key, current[key], None))
    else:
        for key, item in wanted.items():
            missing = [name for name in resource.required_on_create if item.get(name) is None]
            if missing and (key not in current or state != "merged"):
                raise ReconcileError("%s: %r %s %s" % (
                    resource.name, key, "does not exist yet and creating it needs" if key not in current
                    else "is replaced as given, and an object needs", ", ".join(missing)))
            if key not in current:
                ops.append(Op("create", key, None, item if exact else resource.full(item)))
                continue
            target = item if exact else resource.merge(current[key], item)
            if target != current[key]:
                ops.append(Op("update", key, current[key], target))
        if state == "overridden":
            for key, item in current.items():
                if key not in wanted and key not in protected:
                    ops.append(Op("delete", key, item, None))
    ops.sort(key=lambda op: (ORDER[op.action], repr(op.key)))
    deletions = [op.key for op in ops if op.action == "delete"]
    if max_deletions is not None and len(deletions) > max_deletions:
        raise DeletionLimit(deletions, max_deletions, ops)
    return ops


def predict(resource, have, ops):
    """The list the target holds after ``ops``, sorted by key."""
    current = dict((resource.key_of(item), resource.full_normal(item)) for item in have)
    for op in ops:
        if op.action == "delete":
            current.pop(op.key, None)
        else:
            current[op.key] = op.after
    return sort_items(resource, current.values())


def sort_items(resource, items):
    return sorted(items, key=lambda item: repr(resource.key_of(item)))


def diff(resource, before, after):
    """Ansible diff keyed per object, so the callback shows per-station changes."""
    def keyed(items):
        return dict((str(resource.key_of(item)), item) for item in items)
    return {"before": keyed(before), "after": keyed(after)}


def result(resource, state, have, ops, extra=None):
    """The module result for an action state.

    ``before`` and ``after`` hold the objects the operations touch (as they were, as they will be), so a
    converged run on a 10,000-row table returns two empty lists, not 20,000 rows; ``count_before`` and
    ``count_after`` give the sizes of the whole list (``gathered`` returns it).
    """
    before = sort_items(resource, [op.before for op in ops if op.before is not None])
    after = sort_items(resource, [op.after for op in ops if op.after is not None])
    deletions = sum(1 for op in ops if op.action == "delete")
    creations = sum(1 for op in ops if op.action == "create")
    out = {"changed": bool(ops), "before": before, "after": after, "commands": [op.as_command() for op in ops],
           "count_before": len(have), "count_after": len(have) - deletions + creations}
    if extra:
        out.update(extra)
    return out
