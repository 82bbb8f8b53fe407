# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AE titles and host names: what makes one invalid (kept light: modules on the nodes import it)."""

from __future__ import annotations

import ipaddress
import re

HOSTNAME_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# The common case, checked in one step: printable ASCII without backslash, no edge spaces, 1 to 16.
PLAIN_AE_TITLE = re.compile(r"^[!-\[\]-~]([ -\[\]-~]{0,14}[!-\[\]-~])?$")
PLAIN_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def ae_title_problem(value):
    """Why ``value`` is not a valid AE title, or None (DICOM PS3.5 AE VR)."""
    if value.__class__ is str and PLAIN_AE_TITLE.match(value):
        return None
    if not isinstance(value, str) or value == "":
        return "is empty"
    if len(value) > 16:
        return "is %d characters long (at most 16)" % len(value)
    if value != value.strip(" "):
        return "has leading or trailing spaces"
    for char in value:
        if char == "\\":
            return "contains a backslash"
        if ord(char) < 32 or ord(char) == 127:
            return "contains a control character"
        if ord(char) > 126:
            return "contains %r, outside the DICOM default character repertoire" % char
    if value.strip() == "":
        return "is only spaces"
    return None


def hostname_problem(value):
    """Why ``value`` is not an RFC 1123 host name, or None."""
    if value.__class__ is str and len(value) <= 253 and PLAIN_HOSTNAME.match(value):
        if value[-1:].isdigit() and _is_address(value):
            return "is an IP address, not a host name (IMPAX reaches CMs and stations by name, KB 9085: give the " \
                   "address in ip)"
        return None
    if not isinstance(value, str) or value == "":
        return "is empty"
    if any(c.isspace() for c in value):
        return "contains whitespace"
    if "#" in value:
        return "contains '#'"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "contains a control character"
    if len(value) > 253:
        return "is longer than 253 characters"
    for label in value.rstrip(".").split("."):
        if not HOSTNAME_LABEL.match(label):
            return "has an invalid label %r (letters, digits and inner hyphens, 1 to 63 characters)" % label
    return None


def _is_address(value):
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False
