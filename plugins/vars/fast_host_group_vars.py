# Copyright (c) impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fast_host_group_vars
version_added: "1.0.0"
short_description: host_group_vars, with large machine-made files read by the C YAML and JSON parsers
requirements:
  - Enabled in configuration, I(instead of) C(host_group_vars) (both would read every file twice).
  - PyYAML built with libyaml (C(yaml.CSafeLoader)); without it every file is read as C(host_group_vars) reads it.
description:
  - Loads C(group_vars/) and C(host_vars/) exactly like C(ansible.builtin.host_group_vars) (same files, same order,
    same merging), with one difference for large files.
  - A file of at least O(min_bytes) that is plain data (no YAML tags such as C(!vault) or C(!unsafe), no
    C(__ansible_) JSON keys, not vault-encrypted, no duplicate mapping keys) is parsed by C(json) or PyYAML's
    C(CSafeLoader) without recording the file position of every value. On ansible-core 2.19 Ansible's own loader
    tags each of the many thousand scalars of a station list with its origin, which is most of the time a run of a
    grown estate spends loading its inventory.
  - Every string is marked trusted for templating, as Ansible marks every string it reads from an inventory file,
    so the variables are the same values as C(host_group_vars) gives (C(ansible-inventory --list) prints the same);
    only the file position of each value is not recorded, so a message about one names the variable but not its
    line.
  - Anything else (smaller files, vaulted or tagged content, duplicate keys, parse errors) is read by Ansible's
    loader, with its messages.
options:
  min_bytes:
    description:
      - Files smaller than this many bytes are always read by Ansible's own loader.
    type: int
    default: 65536
    ini:
      - key: min_bytes
        section: impax_fast_host_group_vars
    env:
      - name: IMPAX_FAST_VARS_MIN_BYTES
  stage:
    ini:
      - key: stage
        section: impax_fast_host_group_vars
    env:
      - name: ANSIBLE_VARS_PLUGIN_STAGE
  _valid_extensions:
    default: [".yml", ".yaml", ".json"]
    description:
      - Check all of these extensions when looking for 'variable' files which should be YAML or JSON or vaulted
        versions of these.
    env:
      - name: ANSIBLE_YAML_FILENAME_EXT
    ini:
      - key: yaml_valid_extensions
        section: defaults
    type: list
    elements: string
extends_documentation_fragment:
  - ansible.builtin.vars_plugin_staging
notes:
  - The collection's own C(ansible.cfg) enables it (C(vars_plugins_enabled = impax.cluster_link.fast_host_group_vars)).
"""

EXAMPLES = r"""
# ansible.cfg: read group_vars/host_vars with this plugin instead of host_group_vars
# [defaults]
# vars_plugins_enabled = impax.cluster_link.fast_host_group_vars
#
# [impax_fast_host_group_vars]
# min_bytes = 65536
"""

RETURN = r"""
_raw:
  description: The variables of each host and group, merged as host_group_vars merges them.
  type: dict
"""

import gc
import json
import os

import yaml

from ansible import constants
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.vars import BaseVarsPlugin
from ansible.plugins.vars.host_group_vars import VarsModule as HostGroupVarsModule
from ansible.utils.vars import combine_vars

try:  # ansible-core 2.19+: strings read from inventory files are trusted for templating
    from ansible.template import trust_as_template
    ANSIBLES_LOADER_OPTIONS = dict(cache="all", unsafe=True, trusted_as_template=True)  # as host_group_vars calls it
except ImportError:  # older cores template every string (and their loader has no trusted_as_template)
    ANSIBLES_LOADER_OPTIONS = dict(cache="all", unsafe=True)

    def trust_as_template(value):
        return value

try:
    from yaml import CSafeLoader
except ImportError:
    CSafeLoader = None

# What makes a file more than plain data: vault, YAML tags (!unsafe, !vault, !!python/...), Ansible's JSON markers.
NOT_PLAIN = (b"$ANSIBLE_VAULT", b"!", b"__ansible_")


class NotPlainData(Exception):
    """The file needs Ansible's own loader (its warnings, errors or tags)."""


if CSafeLoader is not None:
    class PlainDataLoader(CSafeLoader):  # pylint: disable=too-many-ancestors
        """libyaml parser and PyYAML's safe constructor; duplicate keys are left to Ansible's loader to report."""

        def construct_mapping(self, node, deep=False):
            mapping = super().construct_mapping(node, deep=deep)
            if len(mapping) != len(node.value):
                raise NotPlainData()
            return mapping

    PlainDataLoader.add_constructor("tag:yaml.org,2002:map", PlainDataLoader.construct_yaml_map)


def trusted(data, memo=None):
    """``data`` with every string in it (keys too) trusted for templating, as Ansible's loader trusts what it reads
    from an inventory file. ``memo`` shares one trusted copy of strings that repeat (keys, institutions, ...)."""
    memo = {} if memo is None else memo
    if isinstance(data, dict):
        return {trusted(key, memo): trusted(value, memo) for key, value in data.items()}
    if isinstance(data, list):
        return [trusted(value, memo) for value in data]
    if isinstance(data, str):
        try:
            return memo[data]
        except KeyError:
            memo[data] = result = trust_as_template(data)
            return result
    return data


def load_plain_data(path, min_bytes):
    """The data of a large plain-data file, or raises NotPlainData."""
    if CSafeLoader is None or os.path.getsize(path) < min_bytes:
        raise NotPlainData()
    with open(path, "rb") as handle:
        content = handle.read()
    if any(marker in content for marker in NOT_PLAIN):
        raise NotPlainData()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotPlainData() from error
    # Collecting garbage while some hundred thousand new objects are made finds none of it and costs a third.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return trusted(parse(text))
    finally:
        if collecting:
            gc.enable()


def parse(text):
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass  # JSON-looking YAML, a flow mapping
    try:
        return yaml.load(text, Loader=PlainDataLoader)  # nosec B506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise NotPlainData() from error


class FastFileReader(HostGroupVarsModule):
    """host_group_vars itself (which files, in which order, merged how), reading each file through the fast path."""

    # Parsed files, as Ansible's DataLoader keeps them (cache='all'): a path is read once per process.
    plain_data = {}

    def __init__(self, min_bytes):
        super().__init__()
        self.min_bytes = min_bytes

    def load_found_files(self, loader, data, found_files):
        for found in found_files:
            try:
                new_data = self.plain_data[found]
            except KeyError:
                try:
                    new_data = self.plain_data[found] = load_plain_data(found, self.min_bytes)
                    self._display.vvv("fast_host_group_vars: %s read by the C parser" % found)
                except NotPlainData:
                    self._display.vvv("fast_host_group_vars: %s read by Ansible's loader" % found)
                    new_data = loader.load_from_file(found, **ANSIBLES_LOADER_OPTIONS)
            if new_data:  # ignore empty files
                try:
                    data = combine_vars(data, new_data)
                except AnsibleError as error:
                    raise AnsibleParserError(f"Could not process {found!r}.") from error
        return data


class VarsModule(BaseVarsPlugin):
    """Delegates to a host_group_vars whose file reading is FastFileReader's (not a subclass of it: a collection's vars
    plugin must not carry host_group_vars' REQUIRES_ENABLED)."""

    is_stateless = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reader = None

    def get_vars(self, loader, path, entities, cache=True):
        if self._reader is None:
            self._reader = FastFileReader(self.get_option("min_bytes"))
            if set(constants.VARIABLE_PLUGINS_ENABLED or ()) & {"host_group_vars", "ansible.builtin.host_group_vars"}:
                self._display.warning("host_group_vars and impax.cluster_link.fast_host_group_vars are both enabled: "
                                      "every group_vars and host_vars file is read twice. Enable only "
                                      "impax.cluster_link.fast_host_group_vars (vars_plugins_enabled).")
        return self._reader.get_vars(loader, path, entities, cache=cache)
