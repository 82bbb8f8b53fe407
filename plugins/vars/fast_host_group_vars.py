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
  - With O(cache_dir), what a large YAML file parses to is kept there as JSON, named by the SHA-256 of the file's
    bytes, and a later run whose file has the same bytes reads the JSON instead of parsing the YAML again (the JSON
    parser is some twenty times faster). A file whose data JSON cannot hold exactly (dates, keys that are not
    strings) is not kept.
options:
  cache_dir:
    description:
      - A folder where the parsed form of each large plain-data YAML file is kept between runs (see above). Unset, no
        file is kept.
      - The folder is made with mode 0700. A folder or file in it that is not the user's own, or that others may
        write to, is not used (a warning says so), as its content becomes inventory variables.
      - A relative path is taken from the folder of the C(ansible.cfg) in use (from the current folder when there is
        none); an empty value is the same as none.
      - Each YAML file has one entry; a changed file replaces its entry, and an entry no run has read for 30 days
        goes.
    type: str
    version_added: "0.3.0"
    ini:
      - key: cache_dir
        section: impax_fast_host_group_vars
    env:
      - name: IMPAX_FAST_VARS_CACHE_DIR
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
# # large YAML files parsed once, kept as JSON (relative: to this ansible.cfg's folder)
# cache_dir = .build/vars-cache
"""

RETURN = r"""
_raw:
  description: The variables of each host and group, merged as host_group_vars merges them.
  type: dict
"""

import gc
import hashlib
import json
import os
import time

import yaml

from ansible import constants
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.vars import BaseVarsPlugin
from ansible.plugins.vars.host_group_vars import VarsModule as HostGroupVarsModule
from ansible.utils.vars import combine_vars

from ansible_collections.impax.cluster_link.plugins.plugin_utils.atomic_files import write_atomically

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


def load_plain_data(path, min_bytes, cache=None):
    """The data of a large plain-data file, or raises NotPlainData. ``cache`` (ParsedYamlCache) keeps what a YAML
    file parses to."""
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
        key = cache.key(content) if cache is not None else None
        data = cache.get(path, key) if key else None
        if data is None:
            data, from_yaml = parse(text)
            if from_yaml and key:
                cache.put(path, key, data)
        return trusted(data)
    finally:
        if collecting:
            gc.enable()


def parse(text):
    """(data, True when YAML gave it)."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text), False
        except ValueError:
            pass  # JSON-looking YAML, a flow mapping
    try:
        return yaml.load(text, Loader=PlainDataLoader), True  # nosec B506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise NotPlainData() from error


def _private(status):
    """The user's own, and nobody else may write to it."""
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


class ParsedYamlCache(object):
    """What large YAML files parse to, kept as JSON in ``folder`` by the SHA-256 of their bytes (and of the
    parser): <SHA-256 of the file's path, 16 digits>-<key>.json, one entry per file."""

    FORMAT = 1
    UNUSED_SECONDS = 30 * 24 * 3600  # an entry no run read for so long goes (a file moved away, a test's inventory)

    def __init__(self, folder, warn):
        self.folder = folder
        self.warn = warn
        self.usable = None
        self.served = set()  # the files read from the folder (for -vvv)

    def key(self, content):
        if not self._ready():
            return None
        digest = hashlib.sha256(("%d\0%s\0" % (self.FORMAT, yaml.__version__)).encode("utf-8"))
        digest.update(content)
        return digest.hexdigest()

    def _ready(self):
        if self.usable is None:
            try:
                os.makedirs(self.folder, mode=0o700, exist_ok=True)
                self.usable = _private(os.stat(self.folder))
                problem = "it is not your own, or others may write to it"
            except OSError as error:
                self.usable, problem = False, str(error)
            if not self.usable:
                self.warn("fast_host_group_vars: cache_dir %s is not used (%s); every large YAML file is parsed"
                          % (self.folder, problem))
        return self.usable

    def _prefix(self, path):
        return hashlib.sha256(os.path.abspath(path).encode("utf-8")).hexdigest()[:16] + "-"

    def get(self, path, key):
        """The data kept for this file's bytes, or None."""
        name = os.path.join(self.folder, self._prefix(path) + key + ".json")
        try:
            handle = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(handle, "rb") as entry:
            if not _private(os.fstat(entry.fileno())):
                return None
            try:
                kept = json.loads(entry.read())
            except ValueError:
                return None  # a broken entry: the file is parsed and the entry written again
        if not isinstance(kept, dict) or kept.get("key") != key:
            return None
        self.served.add(path)
        try:
            os.utime(name)  # in use (UNUSED_SECONDS)
        except OSError:
            pass
        return kept.get("data")

    def put(self, path, key, data):
        """Keep ``data`` when JSON holds it exactly; the file's older entries go."""
        try:
            text = json.dumps({"key": key, "source": os.path.abspath(path), "data": data}, allow_nan=False)
        except (TypeError, ValueError):
            return  # a date, a set...: JSON has no form for it
        if json.loads(text)["data"] != data:
            return  # keys that are not strings
        prefix = self._prefix(path)
        unused_since = time.time() - self.UNUSED_SECONDS
        try:
            for old in os.listdir(self.folder):
                old_path = os.path.join(self.folder, old)
                try:
                    if old.endswith(".json") and (old.startswith(prefix) or os.stat(old_path).st_mtime < unused_since):
                        os.remove(old_path)
                except FileNotFoundError:
                    pass  # another run removed it first
            write_atomically(os.path.join(self.folder, prefix + key + ".json"), text.encode("utf-8"), 0o600)
        except OSError as error:
            self.warn("fast_host_group_vars: could not keep %s in cache_dir: %s" % (path, error))


def cache_folder(value, config_file=None):
    """The cache_dir option as a folder, or None: relative to the ansible.cfg in use (as Ansible takes a path
    option from it), an empty value none (a path option would make it the current folder)."""
    if not value or not str(value).strip():
        return None
    value = os.path.expanduser(str(value).strip())
    config_file = constants.CONFIG_FILE if config_file is None else config_file
    base = os.path.dirname(os.path.abspath(config_file)) if config_file else os.getcwd()
    return os.path.normpath(os.path.join(base, value))


class FastFileReader(HostGroupVarsModule):
    """host_group_vars itself (which files, in which order, merged how), reading each file through the fast path."""

    # Parsed files, as Ansible's DataLoader keeps them (cache='all'): a path is read once per process.
    plain_data = {}

    def __init__(self, min_bytes, cache=None):
        super().__init__()
        self.min_bytes = min_bytes
        self.cache = cache

    def load_found_files(self, loader, data, found_files):
        for found in found_files:
            try:
                new_data = self.plain_data[found]
            except KeyError:
                try:
                    new_data = self.plain_data[found] = load_plain_data(found, self.min_bytes, self.cache)
                    self._display.vvv("fast_host_group_vars: %s read %s" % (found, "from its parsed form in cache_dir"
                                      if self.cache and found in self.cache.served else "by the C parser"))
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
            folder = cache_folder(self.get_option("cache_dir"))
            cache = ParsedYamlCache(folder, self._display.warning) if folder else None
            self._reader = FastFileReader(self.get_option("min_bytes"), cache)
            if set(constants.VARIABLE_PLUGINS_ENABLED or ()) & {"host_group_vars", "ansible.builtin.host_group_vars"}:
                self._display.warning("host_group_vars and impax.cluster_link.fast_host_group_vars are both enabled: "
                                      "every group_vars and host_vars file is read twice. Enable only "
                                      "impax.cluster_link.fast_host_group_vars (vars_plugins_enabled).")
        return self._reader.get_vars(loader, path, entities, cache=cache)
