# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: what validation and the mapping analysis report.

Every rule has a stable ID. ``ICL001``..``ICL040`` follow the numbering of the
domain rules (impax-domain.md, section 3) so an ID points straight at its KB
source; ``ICL1xx`` are input-hygiene rules; ``ICL2xx`` are mapping-analysis
findings (conflicts, shadowing, sample expectations).
"""

from __future__ import annotations

ERROR = "error"
WARNING = "warning"
INFO = "info"

# id: (default severity, KB topic(s), short title)
RULES = {
    "ICL001": (ERROR, "10663, 9090", "one master hosts table: a host name maps to one IP everywhere"),
    "ICL002": (ERROR, "10665", "hosts table holds every CM, cluster system and external DICOM destination"),
    "ICL003": (ERROR, "9085, 9090", "every Network Management host resolves through the hosts table, with the same IP"),
    "ICL006": (ERROR, "10663", "AE titles are unique across the linked estate"),
    "ICL007": (ERROR, "67517", "AE titles are case-sensitive and referenced byte for byte"),
    "ICL008": (ERROR, "47471", "AE title: 1 to 16 characters of the DICOM AE character set; station containers 13 or fewer, no spaces"),
    "ICL009": (ERROR, "10663", "every cluster exposes at least one Connectivity Manager to the others"),
    "ICL010": (ERROR, "10665, 9000", "every Connectivity Manager is a HIS/RIS station"),
    "ICL011": (ERROR, "10663", "every source is defined once; station names are unique unless Institution tells them apart"),
    "ICL012": (ERROR, "10663, 10665", "Institution and Department set on every source, spelled alike everywhere; they tell same-named stations apart"),
    "ICL013": (ERROR, "10663, 8958", "sources HIS-verify on Patient ID and Accession Number"),
    "ICL014": (ERROR, "10665", "a source's home CM is a Connectivity Manager of its own cluster"),
    "ICL016": (ERROR, "10665, 10663", "Visitors have no automatic archiving: a source archives at home and where archive_in names"),
    "ICL019": (ERROR, "10665", "a specialty label means the same everywhere (shared, closed catalog)"),
    "ICL020": (INFO, "10665", "a table the estate does not prefetch or route by (or Patient Location) stays each cluster's own"),
    "ICL021": (ERROR, "9496, 9502, 9508", "a source pattern maps to exactly one label and one rule number"),
    "ICL022": (WARNING, "9513, 9496", "rule numbers are distinct; catch-all % at 1000000"),
    "ICL023": (WARNING, "9496, 9502, 9508", "patterns use only % as wildcard (_ read both ways); patterns that differ only in case"),
    "ICL028": (ERROR, "10689", "linking sub-flags need Cluster Linking; a link on in one direction only is a warning"),
    "ICL029": (ERROR, "10711", "Link Prefetching and GPI queries need Link Internal Queries"),
    "ICL030": (ERROR, "10691", "cross-cluster search from external systems needs Link External Queries"),
    "ICL031": (WARNING, "10689", "Link Cluster Updates only towards peers with the same update syntax"),
    "ICL032": (WARNING, "109508", "Study Observed Notifications only with a third-party PACS, only to CMs that deal with it"),
    "ICL033": (WARNING, "13983", "multi-cluster hub layouts use the hub's default report source"),
    "ICL035": (WARNING, "65200, 11503", "several patient ID domains need a GPI strategy"),
    "ICL037": (WARNING, "9092", "DICOM validation level WARN while a modality is brought onto the gateway"),
    "ICL039": (WARNING, "49692", "cc-object settings only apply to sites that archive to an IMPAX Data Center"),
    "ICL101": (ERROR, "-", "inventory shape: unknown, missing or mistyped field"),
    "ICL102": (ERROR, "9085", "host names follow RFC 1123 (no whitespace, '#' or control characters)"),
    "ICL103": (ERROR, "9085", "IP addresses are valid IPv4 or IPv6"),
    "ICL104": (ERROR, "9085", "ports are 1 to 65535"),
    "ICL105": (ERROR, "-", "nothing given twice: a key in one list or mapping, a variable in two files of one group"),
    "ICL106": (ERROR, "-", "references point at objects that exist"),
    "ICL107": (ERROR, "-", "a cluster's variables agree on all of its nodes"),
    "ICL108": (ERROR, "-", "the clusters that stay linked do not depend on a cluster leaving the estate"),
    "ICL109": (ERROR, "10665", "every Connectivity Manager's DICOM gateway has a URL of its own node (no credentials in it)"),
    "ICL110": (ERROR, "-", "estate data is data: no template markers outside the connection settings (never templated)"),
    "ICL111": (ERROR, "-", "credentials only in impax_database_* / impax_gateway_* (vaulted), never in a connection setting"),
    "ICL112": (ERROR, "-", "text holds no invisible or control characters (names that look alike are alike)"),
    "ICL201": (ERROR, "10665, 9496, 9502", "sample descriptions get the label their site expects"),
    "ICL202": (ERROR, "10665", "shadowing: another site's row changes what a local description maps to"),
    "ICL203": (WARNING, "10665", "structural shadowing: another site's row, or the site's own row renumbered, can take a local row's descriptions"),
    "ICL204": (INFO, "10665", "superset gives a label where the site's own table had none"),
    "ICL205": (ERROR, "10665", "the synthesised superset holds exactly the sites' rows (re-run synthesize_mappings.yml)"),
}


class Finding(object):
    """One finding: rule, severity, where (cluster, file, field) and what."""

    __slots__ = ("rule", "severity", "cluster", "obj", "field", "message", "file", "data")

    def __init__(self, rule, message, cluster=None, obj=None, field=None, severity=None, file=None, data=None):
        if rule not in RULES:
            raise KeyError("unknown rule %s" % rule)
        self.rule = rule
        self.severity = severity or RULES[rule][0]
        self.cluster = cluster
        self.obj = obj
        self.field = field
        self.message = message
        self.file = file
        self.data = data

    @property
    def topic(self):
        return RULES[self.rule][1]

    def location(self):
        parts = []
        if self.cluster:
            parts.append("cluster %s" % self.cluster)
        if self.file:
            parts.append(self.file)
        if self.field:
            parts.append(self.field)
        return ", ".join(parts) or "estate"

    def as_dict(self):
        out = {
            "rule": self.rule,
            "severity": self.severity,
            "cluster": self.cluster,
            "object": self.obj,
            "field": self.field,
            "file": self.file,
            "message": self.message,
            "kb_topic": self.topic,
        }
        if self.data is not None:
            out["data"] = self.data
        return out

    def __str__(self):
        topic = " (KB %s)" % self.topic if self.topic != "-" else ""
        return "%s %s [%s]: %s%s" % (self.rule, self.severity, self.location(), self.message, topic)

    def sort_key(self):
        order = {ERROR: 0, WARNING: 1, INFO: 2}
        return (order[self.severity], self.rule, self.cluster or "", self.field or "", self.message)


class Findings(list):
    """A list of findings with helpers; ``strict`` turns warnings into errors."""

    def add(self, rule, message, **kwargs):
        """Add a finding - once: the same words about the same field (found again through another pair of
        clusters, say) are the same finding."""
        finding = Finding(rule, message, **kwargs)
        key = (finding.rule, finding.severity, finding.cluster, finding.field, finding.file, finding.message)
        seen = self.__dict__.setdefault("_seen", set())
        if key not in seen:
            seen.add(key)
            self.append(finding)

    def errors(self, strict=False):
        bad = (ERROR, WARNING) if strict else (ERROR,)
        return [f for f in self if f.severity in bad]

    def sorted(self):
        return sorted(self, key=Finding.sort_key)
