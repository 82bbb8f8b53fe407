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
- ``invocation`` shows such a list as its length, not its content (the callback
  still prints every changed object from ``before``/``after``/``commands``).
"""

from __future__ import annotations

import gc

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import resolve_content

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


class LargeListModule(AnsibleModule):
    """AnsibleModule with a fast exact check for the list options named in ``large_lists``."""

    def __init__(self, argument_spec, large_lists=(), **kwargs):
        # A module's process lives for one task and its objects hold no reference cycles that matter: without the
        # cyclic collector's passes over the tens of thousands of objects a large list makes, a 2,000-modality
        # no-op runs ~3 ms faster (bench/gateway_scale.py). Memory is still freed by reference counting.
        gc.disable()
        # the list its action plugin may send as from_plan.content (plan_reference.resolve_content)
        self._plan_list = large_lists[0] if large_lists and "from_plan" in argument_spec else None
        self._plan_error = None
        self._large_lists = [name for name in large_lists
                             if argument_spec.get(name, {}).get("options") and _plain(argument_spec[name]["options"])]
        self._large_options = dict((name, argument_spec[name]) for name in self._large_lists)
        self._checked = {}
        super(LargeListModule, self).__init__(argument_spec, **kwargs)
        for name, items in self._checked.items():
            self.params[name] = items
        for name, option in self._large_options.items():
            self.argument_spec[name] = option  # what the module declares, for anything that reads it later
        if self._plan_error:
            self.fail_json(msg=self._plan_error)

    def _load_params(self):
        super(LargeListModule, self)._load_params()
        if self._plan_list:
            self._plan_error = resolve_content(self.params, self._plan_list)
        for name in self._large_lists:
            items = self.params.get(name)
            if items.__class__ is not list or len(items) < 100:
                continue  # small lists: ansible-core's validation costs nothing worth saving
            check = ExactChecker(self._large_options[name]["options"])
            checked = []
            for item in items:
                exact = check(item)
                if exact is None:
                    break
                checked.append(exact)
            else:
                self._checked[name] = checked
                # validate the rest of the arguments as usual; in place of this list an empty one (the
                # validator deep-copies every parameter), so required_if still sees the option given
                self.argument_spec[name] = dict((k, v) for k, v in self._large_options[name].items() if k != "options")
                self.params[name] = []

    def _return_formatted(self, kwargs):
        if "invocation" not in kwargs:
            shown = dict(self.params)
            for name in self._large_lists:
                if isinstance(shown.get(name), list) and len(shown[name]) >= 100:
                    shown[name] = "(%d items)" % len(shown[name])
            kwargs["invocation"] = {"module_args": shown}
        super(LargeListModule, self)._return_formatted(kwargs)
