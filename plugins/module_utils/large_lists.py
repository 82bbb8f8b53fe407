# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An AnsibleModule for modules that take lists of thousands of objects.

Two costs dominate a converged run of such a module (bench/config_db_scale.py):
ansible-core validates every element of the list against its suboptions, and
echoes the whole list back as ``invocation``. ``LargeListModule`` keeps the
same behaviour and messages, and skips the work when it is not needed:

- When every element is already exactly what validation would return - a dict
  whose values have exactly the documented type (no conversion to do), no
  unknown key, every required key, every choice valid - the elements are filled
  with the default (or ``None``) for absent suboptions, which is what ansible-core returns, and
  only the rest of the arguments go through ansible-core's validator (which
  would otherwise also deep-copy the list). Anything
  else (a ``"104"`` for an int, an unknown key...) is validated by ansible-core
  itself, with its usual messages. Options with ``no_log`` suboptions are never
  fast-pathed, so no secret escapes masking.
- A list its action plugin sends as text (``from_plan.content``, the plan slice checked against its SHA-256
  here again) is parsed here, before validation: ansible-core would otherwise walk and deep-copy every object.
- In place of a plan slice, its action may send a *probe* (``from_plan.fingerprint``, module_utils/fingerprints):
  the list is then empty here and the probe is in ``probes``, by list path, for the module to compare the
  target with.
- ``invocation`` shows such a list as its length, not its content (the callback
  still prints every changed object from ``before``/``after``/``commands``).

A large list may be an option (``config``) or a list suboption of a dict option (``config.specialty``: the
mapping_tables module's tables), each with its own plan reference (``from_plan.specialty``). A list whose items
another module documents (config_database's ``network_management.config`` is network_stations' ``config``) is
declared with ``item_options``: its items are checked here, always - exactly, else with ansible-core's validator
and its messages, naming the list.
"""

from __future__ import annotations

import gc

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import get_path, resolve_ref

_EXACT = {"str": str, "int": int, "bool": bool}


def _plain(spec):
    """True when the suboptions can be checked exactly here (no conversions, aliases, no_log...)."""
    for option in spec.values():
        kind = option.get("type", "str")
        if set(option) - {"type", "elements", "options", "choices", "required", "default"}:
            return False
        if option.get("default") is not None and not _exact_type(kind, option["default"]):
            return False
        if kind == "list" and option.get("elements") != "str":
            return False
        if kind == "dict":
            if not option.get("options") or not _plain(option["options"]):
                return False
        elif kind not in _EXACT and kind != "list":
            return False
    return True


def _exact_type(kind, value):
    if kind == "list":
        return value.__class__ is list and all(v.__class__ is str for v in value)
    return kind in _EXACT and value.__class__ is _EXACT[kind]


class ExactChecker(object):
    """``exact_item`` for one set of suboptions, prepared once: the per-item work is one pass over the keys the
    item gives (typically 5 of 16), not over every option."""

    def __init__(self, options):
        self.absent = {}  # what an item that omits an option gets: its default, or None
        self.copied = []  # options whose default is a list: each item gets its own copy
        self.required = [name for name, option in options.items() if option.get("required")]
        self.checks = {}
        for name, option in options.items():
            default = option.get("default")
            self.absent[name] = default
            if isinstance(default, list):
                self.copied.append(name)
            kind = option.get("type", "str")
            self.checks[name] = (kind, _EXACT.get(kind), ExactChecker(option["options"]) if kind == "dict" else None,
                                 option.get("choices"), default is not None)

    def __call__(self, item):
        if item.__class__ is not dict:
            return None
        out = dict(self.absent)
        for name in self.copied:
            out[name] = list(out[name])
        checks = self.checks
        for name, value in item.items():
            check = checks.get(name)
            if check is None:
                return None
            kind, exact, nested, choices, has_default = check
            if value is None:
                if has_default:
                    return None  # an explicit null where a default exists: ansible-core type-checks it (and refuses)
                out[name] = None
                continue
            if nested is not None:
                value = nested(value)
                if value is None:
                    return None
            elif exact is not None:
                if value.__class__ is not exact:
                    return None
            elif not _exact_type(kind, value):
                return None
            if choices is not None:
                # a list is checked element by element, as ansible-core does
                if any(v not in choices for v in value) if kind == "list" else value not in choices:
                    return None
            out[name] = value
        for name in self.required:
            if out[name] is None:
                return None
        return out


_CHECKERS = {}


def exact_item(options, item):
    """``item`` as ansible-core's validator would return it, or None when it needs that validator."""
    checker = _CHECKERS.get(id(options))
    if checker is None or checker[0] is not options:
        checker = _CHECKERS[id(options)] = (options, ExactChecker(options))
    return checker[1](item)


def exact_items(check, items):
    """Each of ``items`` through ``check`` (an ExactChecker, or exact_item for given options), or None as soon as
    one of them needs ansible-core's validator."""
    checked = []
    for item in items:
        exact = check(item)
        if exact is None:
            return None
        checked.append(exact)
    return checked


def _set(params, path, value):
    names = path.split(".")
    for name in names[:-1]:
        if not isinstance(params.get(name), dict):
            params[name] = {}
        params = params[name]
    params[names[-1]] = value


def _spec_holder(argument_spec, path):
    """(the dict holding the option at ``path``, its name): the module's spec, or an option's ``options``."""
    names = path.split(".")
    for name in names[:-1]:
        argument_spec = (argument_spec.get(name) or {}).get("options") or {}
    return argument_spec, names[-1]


class LargeListModule(AnsibleModule):
    """AnsibleModule with a fast exact check for the list options named in ``large_lists``.

    ``plan_refs`` maps where a plan reference is given to the list it fills ({"from_plan": "config"} by
    default: the first large list, when the module has ``from_plan``). ``item_options`` maps a list option
    declared as ``elements: dict`` without suboptions to the suboptions its items are checked against here.
    """

    def __init__(self, argument_spec, large_lists=(), plan_refs=None, item_options=None, **kwargs):
        # A module's process lives for one task and its objects hold no reference cycles that matter: without the
        # cyclic collector's passes over the tens of thousands of objects a large list makes, a 2,000-modality
        # no-op runs ~3 ms faster (bench/gateway_scale.py). Memory is still freed by reference counting.
        gc.disable()
        if plan_refs is None:  # the list its action plugin may send as from_plan.content (plan_reference)
            plan_refs = {"from_plan": large_lists[0]} if large_lists and "from_plan" in argument_spec else {}
        self._plan_refs = plan_refs
        self._plan_error = None
        self._large_lists = []
        self._large_options = {}
        for path in large_lists:
            holder, name = _spec_holder(argument_spec, path)
            if holder.get(name, {}).get("options") and _plain(holder[name]["options"]):
                self._large_lists.append(path)
                self._large_options[path] = holder[name]
        self._own_items = set()
        for path, options in (item_options or {}).items():
            self._own_items.add(path)
            self._large_lists.append(path)
            self._large_options[path] = dict(type="list", elements="dict", options=options)
        self._checked = {}
        self.probes = {}  # list path -> the probe its action sent in place of the list (fingerprints)
        super(LargeListModule, self).__init__(argument_spec, **kwargs)
        for path, items in self._checked.items():
            _set(self.params, path, items)
        for path, option in self._large_options.items():
            if path not in self._own_items:
                holder, name = _spec_holder(self.argument_spec, path)
                holder[name] = option  # what the module declares, for anything that reads it later
        if self._plan_error:
            self.fail_json(msg=self._plan_error)

    def _load_params(self):
        super(LargeListModule, self)._load_params()
        for ref_path, list_path in self._plan_refs.items():
            ref = get_path(self.params, ref_path)
            if isinstance(ref, dict) and ref.get("fingerprint") is not None and ref.get("content") is None:
                _set(self.params, ref_path, None)
                _set(self.params, list_path, [])
                self.probes[list_path] = ref
                if ref["fingerprint"].__class__ is not str or ref.get("keep").__class__ is not list:
                    self._plan_error = self._plan_error or "%s: a probe needs fingerprint and keep" % ref_path
                continue
            if not isinstance(ref, dict) or ref.get("content") is None:
                continue
            _set(self.params, ref_path, None)
            # on a refusal, an empty list: nothing to act on, and the error is the one reported
            items, error = resolve_ref(ref, ref_path)
            _set(self.params, list_path, items)
            self._plan_error = self._plan_error or error
        for path in self._large_lists:
            items = get_path(self.params, path)
            own = path in self._own_items
            if items.__class__ is not list or (len(items) < 100 and not own):
                continue  # small lists: ansible-core's validation costs nothing worth saving
            checked = self._exact(path, items)
            if checked is None and own:
                checked = self._validated(path, items)
            if checked is not None:
                self._checked[path] = checked
                # validate the rest of the arguments as usual; in place of this list an empty one (the
                # validator deep-copies every parameter), so required_if still sees the option given
                holder, name = _spec_holder(self.argument_spec, path)
                holder[name] = dict((k, v) for k, v in self._large_options[path].items() if k != "options")
                _set(self.params, path, [])

    def _exact(self, path, items):
        """The items as ansible-core's validator would return them, or None when one needs that validator."""
        options = self._large_options[path]["options"]
        if not _plain(options):
            return None
        return exact_items(ExactChecker(options), items)

    def _validated(self, path, items):
        """An ``item_options`` list checked by ansible-core's validator, its messages naming the list; on a
        refusal an empty list (nothing to act on) and the error, reported once the module is built."""
        validation = ArgumentSpecValidator({path: self._large_options[path]}).validate({path: items})
        if validation.error_messages:
            self._plan_error = self._plan_error or "; ".join(validation.error_messages)
            return []
        return validation.validated_parameters[path]

    def _return_formatted(self, kwargs):
        if "invocation" not in kwargs:
            shown = dict(self.params)
            for path in self._large_lists:
                items = get_path(shown, path)
                if isinstance(items, list) and len(items) >= 100:
                    holder, names = shown, path.split(".")
                    for name in names[:-1]:  # a copy of each dict on the way: the module's params stay whole
                        holder[name] = dict(holder[name])
                        holder = holder[name]
                    holder[names[-1]] = "(%d items)" % len(items)
            kwargs["invocation"] = {"module_args": shown}
        super(LargeListModule, self)._return_formatted(kwargs)
