# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts files: parse, validate, render one managed block, and write safely.

Pure functions except ``write_file``. A hosts file is kept as its lines; the
managed block sits between two marker lines and is the only part ever
rewritten. Line endings follow the file (CRLF stays CRLF).
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import os
import re
import shutil
import tempfile

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.names import hostname_problem

DEFAULT_MARKER = "impax.cluster_link"
BEGIN = "# BEGIN {marker} managed block"
END = "# END {marker} managed block"
NOTICE = "# Managed by {marker}: edits inside this block are replaced. sha256:{digest}"
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")  # what a comment cannot hold: control characters but tab
# An IPv4 address already written as ipaddress writes it (no leading zeros): taken as it is, without parsing each
# of a large table's thousands of entries with ipaddress on every node
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CANONICAL_IPV4 = re.compile(r"%s(\.%s){3}\Z" % (_OCTET, _OCTET))


class HostsFileError(Exception):
    """Bad input or a refused change; nothing was written."""


def normalise_entries(entries):
    """Check entries and return them as dicts with ip, hostname, aliases, comment (order kept)."""
    problems, result, seen = [], [], {}
    for index, entry in enumerate(entries or []):
        where = "entries[%d]" % index
        if not isinstance(entry, dict):
            problems.append("%s must be a mapping" % where)
            continue
        ip, name = entry.get("ip"), entry.get("hostname")
        if ip.__class__ is str and CANONICAL_IPV4.match(ip):
            version = 4
        else:
            try:
                address = ipaddress.ip_address(str(ip).strip())
                ip, version = str(address), address.version
            except ValueError:
                problems.append("%s.ip %r is not an IPv4 or IPv6 address" % (where, ip))
                ip = version = None
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list):
            problems.append("%s.aliases must be a list" % where)
            aliases = []
        for field, value in [("hostname", name)] + [("aliases[%d]" % i, a) for i, a in enumerate(aliases)]:
            problem = hostname_problem(value)
            if problem:
                problems.append("%s.%s %r %s" % (where, field, value, problem))
        comment = entry.get("comment") or ""
        if not isinstance(comment, str) or CONTROL.search(comment):
            problems.append("%s.comment must be one line of text" % where)
            comment = ""
        names = [name] + list(aliases)
        for item in names:
            if not isinstance(item, str):
                continue
            key = (item.lower(), version)
            if key in seen and seen[key][1] != ip:
                problems.append("%s: %s is already mapped to %s by %s" % (where, item, seen[key][1], seen[key][0]))
            seen.setdefault(key, (where, ip))
        result.append({"ip": ip, "hostname": name, "aliases": list(aliases), "comment": comment.strip()})
    if problems:
        raise HostsFileError("; ".join(problems))
    return result


def render_entry(entry):
    names = " ".join([entry["hostname"]] + entry["aliases"])
    line = "%s\t%s" % (entry["ip"], names)
    if entry.get("comment"):
        line += "\t# " + entry["comment"]
    return line


def block_digest(entries):
    return hashlib.sha256("\n".join(render_entry(e) for e in entries).encode("utf-8")).hexdigest()


def render_block(entries, marker=DEFAULT_MARKER, newline="\n"):
    """The managed block, markers included, ending with ``newline``."""
    lines = [BEGIN.format(marker=marker), NOTICE.format(marker=marker, digest=block_digest(entries)[:16])]
    lines += [render_entry(e) for e in entries]
    lines.append(END.format(marker=marker))
    return newline.join(lines) + newline


def parse_line(line):
    """(ip, [names]) of a hosts line, or None for blank and comment lines."""
    body = line.split("#", 1)[0].strip()
    if not body:
        return None
    fields = body.split()
    if len(fields) < 2:
        return None
    return fields[0], fields[1:]


class HostsFile(object):
    """A hosts file split into the lines before, inside and after the managed block."""

    def __init__(self, text, marker=DEFAULT_MARKER):
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.splitlines()
        begin, end = BEGIN.format(marker=marker), END.format(marker=marker)
        starts = [i for i, line in enumerate(lines) if line.strip() == begin]
        ends = [i for i, line in enumerate(lines) if line.strip() == end]
        if len(starts) > 1 or len(ends) > 1:
            raise HostsFileError("the file holds the %s block more than once; fix it by hand" % marker)
        if bool(starts) != bool(ends) or (starts and ends[0] < starts[0]):
            raise HostsFileError("the %s block markers are broken (BEGIN without END, or out of order); fix "
                                 "them by hand" % marker)
        if starts:
            self.before, self.block, self.after = lines[:starts[0]], lines[starts[0]:ends[0] + 1], lines[ends[0] + 1:]
        else:
            self.before, self.block, self.after = lines, [], []

    def unmanaged(self):
        return self.before + self.after

    def managed_entries(self):
        entries = []
        for line in self.block[1:-1]:
            parsed = parse_line(line)
            if parsed:
                comment = line.split("#", 1)[1].strip() if "#" in line else ""
                entries.append({"ip": parsed[0], "hostname": parsed[1][0], "aliases": parsed[1][1:], "comment": comment})
        return entries

    def with_block(self, block_text):
        """The whole new file text with ``block_text`` (already rendered) in place of the old block."""
        before = self.before
        if not self.block:  # append, keeping a blank line between the site's lines and the block
            before = before + ([""] if before and before[-1].strip() else [])
        head = self.newline.join(before) + (self.newline if before else "")
        tail = self.newline.join(self.after) + (self.newline if self.after else "")
        return head + block_text + tail

    def without_block(self):
        lines = self.before + self.after
        return self.newline.join(lines) + (self.newline if lines else "")


def conflicts(hosts, entries):
    """Unmanaged lines that map a managed name to another IP: [(name, their_ip, our_ip, line)]."""
    lines = []
    for line in hosts.unmanaged():
        parsed = parse_line(line)
        if not parsed:
            continue
        try:
            lines.append((ipaddress.ip_address(parsed[0]), parsed[1], line))
        except ValueError:
            continue
    # only the names those few lines hold are looked up in the (large) table
    names_found = set(name.lower() for unused, names, unused_line in lines for name in names)
    ours = {}
    for entry in entries if names_found else ():
        version = 6 if ":" in entry["ip"] else 4  # entries are normalised: an IPv6 address and only it has a colon
        for name in [entry["hostname"]] + entry["aliases"]:
            key = name.lower()
            if key in names_found:
                ours[(key, version)] = entry["ip"]
    found = []
    for ip, names, line in lines:
        for name in names:
            wanted = ours.get((name.lower(), ip.version))
            if wanted is not None and wanted != str(ip):
                found.append((name, str(ip), wanted, line.strip()))
    return found


def own_name_changes(hosts, entries, own_hostname, own_ip):
    """Refusals for rules 4 and 5: the node's own name must not be renamed, nor its own IP changed."""
    problems = []
    if not own_hostname:
        return problems
    own = own_hostname.lower()
    current_ips = set()
    current_names = set()
    for line in hosts.unmanaged() + hosts.block[1:-1]:
        # a line naming the node holds its name, one with its IP holds the IP: the rest need no parsing
        if own not in line.lower() and not (own_ip and own_ip in line):
            continue
        parsed = parse_line(line)
        if not parsed:
            continue
        if own in [n.lower() for n in parsed[1]]:
            current_ips.add(parsed[0])
        if own_ip and parsed[0] == own_ip:
            current_names.add(parsed[1][0].lower())
    for entry in entries:
        on_own_ip = own_ip and entry["ip"] == own_ip
        if not on_own_ip and not current_ips:
            continue
        names = [n.lower() for n in [entry["hostname"]] + entry["aliases"]]
        if on_own_ip and own not in names:
            problems.append("the table maps this node's own IP %s to %s, which would rename %s; renaming an IMPAX "
                            "node needs a manual procedure (KB 9085, 9090)" % (own_ip, entry["hostname"], own_hostname))
        if own in names and current_ips and entry["ip"] not in current_ips:
            version = ipaddress.ip_address(entry["ip"]).version
            same_family = [ip for ip in current_ips if ipaddress.ip_address(ip).version == version]
            if same_family:
                problems.append("the table moves this node (%s) from %s to %s; a node's own IP is not hot-edited "
                                "(single-user boot, KB 9090)" % (own_hostname, ", ".join(sorted(same_family)), entry["ip"]))
    if own_ip and current_names and own not in current_names:
        problems.append("this node's own IP %s is named %s in the file, not %s; refusing to rename it"
                        % (own_ip, ", ".join(sorted(current_names)), own_hostname))
    return problems


# The hosts_block module's options besides its list (shared with its action plugin's controller decision).
BLOCK_OPTIONS = dict(
    path=dict(type="path", default="/etc/hosts"),
    state=dict(type="str", choices=["present", "absent", "gathered"], default="present"),
    marker=dict(type="str", default=DEFAULT_MARKER),
    on_conflict=dict(type="str", choices=["error", "warn"], default="error"),
    own_hostname=dict(type="str"),
    own_ip=dict(type="str"),
    backup=dict(type="bool", default=False),
    max_deletions=dict(type="int"),
)

# The suboptions of one managed entry (the hosts_block module's O(entries)).
ENTRY_OPTIONS = dict(
    ip=dict(type="str", required=True),
    hostname=dict(type="str", required=True),
    aliases=dict(type="list", elements="str", default=[]),
    comment=dict(type="str"),
)


def text_sha256(text):
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


class Outcome(object):
    """What the hosts_block module decides for a file's ``text`` - the same wherever it is computed (on the
    node by the module, or on the controller by its action plugin to find a converged node without running it).
    """

    def __init__(self, text, entries, state="present", marker=DEFAULT_MARKER, own_hostname=None, own_ip=None,
                 max_deletions=None):
        """``entries`` as validated by the module's argument spec; raises HostsFileError.

        ``deleted``: the host names the block loses; ``over_limit``: the refusal when they are more than
        ``max_deletions`` (a real run fails on it, check mode reports it)."""
        hosts = HostsFile(text, marker)
        self.text, self.hosts = text, hosts
        if state == "present":
            self.entries = normalise_entries(entries)
            self.block = render_block(self.entries, marker, hosts.newline)
            self.new_text = hosts.with_block(self.block)
            self.refusals = own_name_changes(hosts, self.entries, own_hostname, own_ip)
            self.conflicts = [{"name": c[0], "their_ip": c[1], "our_ip": c[2], "line": c[3]}
                              for c in conflicts(hosts, self.entries)]
        else:
            self.entries, self.block, self.new_text, self.refusals, self.conflicts = [], "", hosts.without_block(), [], []
        self.changed = self.new_text != text
        kept = set(entry["hostname"] for entry in self.entries)
        # by host name (a name with an IPv4 and an IPv6 line is one entry)
        self.deleted = list(dict.fromkeys(entry["hostname"] for entry in hosts.managed_entries()
                                          if entry["hostname"] not in kept))
        self.over_limit = None
        if max_deletions is not None and len(self.deleted) > max_deletions:
            self.over_limit = "the managed block loses %d entr%s, more than max_deletions=%d (%s)" % (
                len(self.deleted), "y" if len(self.deleted) == 1 else "ies", max_deletions, ", ".join(self.deleted))

    def result(self):
        """The module's result (without diff and write details)."""
        current = "\n".join(self.hosts.block) + "\n" if self.hosts.block else ""
        # before/after only when they differ: a converged run on a large table returns no lists
        result = dict(changed=self.changed, entries=len(self.entries), block_sha256=text_sha256(self.block),
                      current_block_sha256=text_sha256(current) if current else None,
                      conflicts=self.conflicts, write_method="none")
        if self.changed:
            result.update(before=self.hosts.managed_entries(), after=self.entries)
        return result


def write_file(path, text, backup_dir=None):
    """Write ``text`` to ``path`` keeping owner, group and mode.

    Atomic rename where possible. Where ``path`` is a mount point (a container's
    or a network namespace's bind-mounted /etc/hosts: rename gives EBUSY), write
    in place: the new bytes are complete before the file is touched, the old
    bytes are kept aside, the file is never truncated before the new bytes are
    all written (so restoring the old bytes needs no new space), and any error
    during the write puts the old bytes back. Returns "atomic" or "in-place".
    """
    data = text.encode("utf-8")
    stat = os.stat(path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temp = tempfile.mkstemp(prefix=".impax-hosts-", dir=directory)
    except OSError:
        handle, temp = None, None
    if handle is not None:
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chown(temp, stat.st_uid, stat.st_gid)
            os.chmod(temp, stat.st_mode & 0o7777)
            try:
                os.rename(temp, path)
                return "atomic"
            except OSError as exc:
                if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES):
                    raise
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    return _write_in_place(path, data)


def _write_in_place(path, data):
    with open(path, "rb") as handle:
        old = handle.read()
    # the old bytes stay in memory until the new ones are all on disk
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as exc:
        raise HostsFileError("cannot open %s for writing: %s" % (path, exc))
    try:
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        except OSError as exc:
            _restore(fd, old)
            raise HostsFileError("writing %s failed (%s); the old content was put back" % (path, exc))
    finally:
        os.close(fd)
    return "in-place"


def _restore(fd, old):
    os.lseek(fd, 0, os.SEEK_SET)
    written = 0
    while written < len(old):
        written += os.write(fd, old[written:])
    os.ftruncate(fd, len(old))
    os.fsync(fd)


def backup_file(path, suffix):
    """A copy of ``path`` next to it (or None when the directory is not writable)."""
    target = "%s.%s~" % (path, suffix)
    try:
        shutil.copy2(path, target)
        return target
    except OSError:
        return None
