# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IMPAX group-mapping semantics: evaluator, supersets, conflicts, shadowing.

Semantics (KB 9496, 9502, 9508, 9513): a Source Pattern is matched against the
whole study description (or patient location), case-sensitively; ``%`` matches
any run of characters (also none) and is the only wildcard; among matching rows
the lowest rule number wins; no match gives ``DEFAULT`` (Body Part), ``BODY``
(Specialty) or ``SITE`` (Patient Location). Equal rule numbers are broken by
pattern text so the result is deterministic (IMPAX does not document a tie
break; rule ICL022 warns about them).
"""

from __future__ import annotations


from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import Findings

DEFAULT_LABELS = {"body_part": "DEFAULT", "specialty": "BODY", "patient_location": "SITE"}
WILDCARD = "%"
# Characters people type as wildcards out of habit: literal for IMPAX and for a database LIKE. ``_`` is
# different: a LIKE reads it as one character and the KB does not say which IMPAX does (underscore_readings).
# characters a database's LIKE reads specially (model.py warns per row, ICL023)
LIKE_SPECIAL = ("\\", "[", "]")
FOREIGN_WILDCARDS = ("*", "?")
# Structural shadowing tries this many foreign candidates per local row: the
# analysis stays linear in the number of rows (see docs/mappings.md).
STRUCTURAL_CANDIDATES = 8


class Row(object):
    """One mapping row; ``sites`` lists the clusters it comes from."""

    __slots__ = ("pattern", "rule", "label", "sites", "segments", "order", "prefix", "suffix", "is_literal", "matches",
                 "needs")

    def __init__(self, pattern, rule, label, sites=()):
        self.pattern = pattern
        self.rule = int(rule)
        self.label = label
        self.sites = tuple(sites)
        self.segments = pattern.split(WILDCARD)
        self.order = (self.rule, pattern)
        self.prefix = self.segments[0]
        self.suffix = self.segments[-1]
        self.is_literal = len(self.segments) == 1
        # the literal parts a matching text contains: a set test rules most rows out before ``matches``
        self.needs = frozenset(segment for segment in self.segments if segment) if not self.is_literal else None
        # ``matches(text)``: the common shapes as one string operation each (a lookup tries tens of rows)
        self.matches = _matcher(self.segments, self._matches_segments)

    @property
    def is_catch_all(self):
        return self.pattern.strip(WILDCARD) == "" and WILDCARD in self.pattern

    def _matches_segments(self, text):
        """SQL-LIKE match with only ``%``: anchored prefix and suffix, inner segments found in order.

        Leftmost placement of each inner segment is always safe for ``%``-only
        patterns, so no backtracking (and no regex) is needed.
        """
        segments = self.segments
        if len(segments) == 1:
            return text == self.pattern
        first, last = segments[0], segments[-1]
        end = len(text) - len(last)
        if end < len(first) or not text.startswith(first) or not text.endswith(last):
            return False
        position = len(first)
        for segment in segments[1:-1]:
            if segment:
                found = text.find(segment, position, end)
                if found < 0:
                    return False
                position = found + len(segment)
        return True

    def as_dict(self):
        return {"pattern": self.pattern, "rule": self.rule, "label": self.label}

    def describe(self):
        return "%r -> %s (rule %d, %s)" % (self.pattern, self.label, self.rule, "/".join(self.sites) or "?")

    def __repr__(self):
        return "Row(%s)" % self.describe()


def _matcher(segments, general):
    """``general`` (a row's segment matcher), or the same test as one string operation for the common shapes:
    ``LITERAL``, ``%``, ``PREFIX%``, ``%SUFFIX``, ``PREFIX%SUFFIX``, ``%INNER%``."""
    if len(segments) == 1:
        literal = segments[0]
        return lambda text: text == literal
    prefix, suffix = segments[0], segments[-1]
    inner = [segment for segment in segments[1:-1] if segment]
    if not inner:
        if not prefix and not suffix:
            return lambda text: True
        if not suffix:
            return lambda text: text.startswith(prefix)
        if not prefix:
            return lambda text: text.endswith(suffix)
        least = len(prefix) + len(suffix)
        return lambda text: len(text) >= least and text.startswith(prefix) and text.endswith(suffix)
    if not prefix and not suffix:
        if len(inner) == 1:
            only = inner[0]
            return lambda text: only in text
        if len(inner) == 2:
            first, second = inner
            after = len(first)

            def in_order(text):
                found = text.find(first)
                return found >= 0 and text.find(second, found + after) >= 0
            return in_order
    return general


def patterns_intersect(p, q):
    """True when some string matches both patterns.

    For two patterns that each contain ``%`` this holds exactly when their
    literal prefixes are compatible (one starts the other) and so are their
    suffixes: ``prefix + inner segments of p + inner segments of q + suffix``
    then matches both. A literal pattern intersects when the other matches it.
    """
    if p.is_literal:
        return q.matches(p.pattern)
    if q.is_literal:
        return p.matches(q.pattern)
    return (p.prefix.startswith(q.prefix) or q.prefix.startswith(p.prefix)) and (
        p.suffix.endswith(q.suffix) or q.suffix.endswith(p.suffix)
    )


def witnesses(p, q):
    """Example strings matched by both patterns (empty when none exist)."""
    if not patterns_intersect(p, q):
        return []
    if p.is_literal:
        return [p.pattern]
    if q.is_literal:
        return [q.pattern]
    prefix = p.prefix if len(p.prefix) >= len(q.prefix) else q.prefix
    suffix = p.suffix if len(p.suffix) >= len(q.suffix) else q.suffix
    inner_p = " ".join(s for s in p.segments[1:-1] if s)
    inner_q = " ".join(s for s in q.segments[1:-1] if s)
    found = []
    for middle in ((inner_q, inner_p), (inner_p, inner_q)):
        text = " ".join(part for part in (prefix,) + middle + (suffix,) if part)
        if text not in found and p.matches(text) and q.matches(text):
            found.append(text)
    return found


class MappingTable(object):
    """An ordered mapping table with an index so a lookup does not scan every row.

    Rows are indexed by their rarest literal segment; a lookup collects the rows
    whose segment occurs in the text (by enumerating the text's substrings of the
    indexed lengths) and tests only those, in rule order.
    """

    def __init__(self, rows, default_label):
        self.rows = sorted(rows, key=lambda r: r.order)
        self.default_label = default_label
        self._literal = {}
        self._by_segment = {}
        self._always = []
        # Key each row by its rarest literal segment (longer on ties): small buckets, short lookups.
        frequency = {}
        for row in self.rows:
            if not row.is_literal:
                for segment in set(row.segments):
                    frequency[segment] = frequency.get(segment, 0) + 1
        for row in self.rows:
            if row.is_literal:
                self._literal.setdefault(row.pattern, []).append(row)  # in rule order, as every bucket
                continue
            segments = [seg for seg in row.segments if seg]
            key = min(segments, key=lambda seg: (frequency[seg], -len(seg), seg)) if segments else ""
            if key:
                self._by_segment.setdefault(key, []).append(row)
            else:
                self._always.append(row)
        # The rows' literal parts, for a lookup to learn which the text contains: the inner ones by their first
        # three characters (shorter ones whole), read at every position of the text; the anchored ones (a
        # prefix, a suffix) by their length, read at the text's start or end.
        self._parts_at = {}
        self._prefixes, self._suffixes = set(), set()
        inner = set()
        for row in self.rows:
            if not row.is_literal:
                inner.update(segment for segment in row.segments[1:-1] if segment)
                if row.prefix:
                    self._prefixes.add(row.prefix)
                if row.suffix:
                    self._suffixes.add(row.suffix)
        for part in inner:
            self._parts_at.setdefault(part[:3], []).append(part)
        self._prefix_lengths = sorted(set(len(prefix) for prefix in self._prefixes))
        self._suffix_lengths = sorted(set(len(suffix) for suffix in self._suffixes))

    def all_matches(self, text):
        """Every row that matches ``text`` (in no particular order)."""
        buckets, parts = self._candidates(text)
        return [row for bucket in buckets for row in bucket
                if (row.needs is None or row.needs <= parts) and row.matches(text)]

    def lookup(self, text):
        """The winning row for ``text``, or None.

        Each candidate bucket is in rule order: its first matching row is its best, and a bucket is left as soon
        as its rows come after the best row found so far; the buckets are visited by their first row, so the
        search ends at the first bucket that starts after it.
        """
        best = None
        buckets, parts = self._candidates(text)
        # buckets by their first row: once one starts after the best row found, so do all that follow
        for bucket in sorted(buckets, key=lambda rows: rows[0].order):
            if best is not None and bucket[0].order >= best.order:
                break
            for row in bucket:
                if best is not None and row.order >= best.order:
                    break
                if (row.needs is None or row.needs <= parts) and row.matches(text):
                    best = row
                    break
        return best

    def _candidates(self, text):
        """The index buckets whose rows can match ``text`` (each row is in exactly one bucket), and the rows'
        literal parts the text contains."""
        buckets = [self._always] if self._always else []
        literal = self._literal.get(text)
        if literal is not None:
            buckets.append(literal)
        parts_at = self._parts_at
        parts = set()
        size = len(text)
        for length in self._prefix_lengths:
            if length > size:
                break
            if text[:length] in self._prefixes:
                parts.add(text[:length])
        for length in self._suffix_lengths:
            if length > size:
                break
            if text[size - length:] in self._suffixes:
                parts.add(text[size - length:])
        for start in range(size if parts_at else 0):
            for head in (text[start:start + 3], text[start:start + 2], text[start]):
                for part in parts_at.get(head, ()):
                    if part not in parts and text.startswith(part, start):  # a part twice in the text: once
                        parts.add(part)
        by_segment = self._by_segment
        buckets.extend(by_segment[part] for part in parts if part in by_segment)
        return buckets, parts

    def label(self, text):
        row = self.lookup(text)
        return row.label if row is not None else self.default_label


def site_rows(rows, site):
    return [Row(r["pattern"], r["rule"], r["label"], (site,)) for r in rows]


def build_superset(table, tables_by_site, findings, origin=None, catch_all_rule=1000000, renumbered=False):
    """Union of every site's rows of one table.

    ``tables_by_site``: {site: [ {pattern, rule, label}, ... ]} (already shape-checked).
    Adds ICL021/ICL022/ICL023 findings; returns the superset rows (sorted) with
    their sites.
    """
    origin = origin or (lambda site: None)
    by_pattern = {}
    for site in sorted(tables_by_site):
        local = {}
        for index, row in enumerate(tables_by_site[site]):
            field = "impax_mappings.%s[%d].pattern" % (table, index)
            seen = local.get(row["pattern"])
            if seen is not None:
                if (seen["rule"], seen["label"]) != (row["rule"], row["label"]):
                    findings.add("ICL021", "%s pattern %r appears twice in one table: %s at rule %d and %s at rule %d"
                                 % (table, row["pattern"], seen["label"], seen["rule"], row["label"], row["rule"]),
                                 cluster=site, obj=row["pattern"], field=field, file=origin(site))
                else:
                    findings.add("ICL105", "%s pattern %r is listed twice" % (table, row["pattern"]),
                                 cluster=site, obj=row["pattern"], field=field, file=origin(site))
                continue
            local[row["pattern"]] = row
            by_pattern.setdefault(row["pattern"], []).append((site, row))

    rows = []
    for pattern in sorted(by_pattern):
        entries = by_pattern[pattern]
        labels = sorted(set(r["label"] for unused, r in entries))
        if len(labels) > 1:
            where = ", ".join("%s at %s (rule %d)" % (r["label"], s, r["rule"]) for s, r in entries)
            findings.add("ICL021", "%s pattern %r maps to different labels: %s" % (table, pattern, where),
                         cluster=entries[0][0], obj=pattern, field="impax_mappings.%s" % table,
                         file=origin(entries[0][0]),
                         data={"table": table, "pattern": pattern, "sites": [s for s, unused in entries]})
        numbers = sorted(set(r["rule"] for unused, r in entries))
        if len(numbers) > 1 and not renumbered:
            where = ", ".join("%d at %s" % (r["rule"], s) for s, r in entries)
            findings.add("ICL022", "%s pattern %r has different rule numbers (%s); the superset uses %d"
                         % (table, pattern, where, numbers[0]),
                         cluster=entries[0][0], obj=pattern, field="impax_mappings.%s" % table,
                         file=origin(entries[0][0]))
        first = min(entries, key=lambda e: (e[1]["rule"], e[1]["label"]))[1]
        rows.append(Row(pattern, first["rule"], first["label"], [s for s, unused in entries]))

    rows.sort(key=lambda r: r.order)
    if not renumbered:
        check_rule_hygiene(table, rows, findings, catch_all_rule)
    return rows


def given_superset(table, union, given, findings, catch_all_rule=1000000, file=None, labels=None):
    """The reviewed synthesised table, checked to hold exactly the union's rows (ICL205).

    ``labels``: {pattern: {label: [sites]}}. A row keeps one of the labels its sites give it: a contested pattern
    (ICL021, reported on its own) is not a stale table, whichever site's label the synthesis kept.
    """
    field = "impax_mapping_superset.%s" % table
    labels = labels or dict((r.pattern, {r.label: list(r.sites)}) for r in union)
    wanted = dict((r.pattern, r) for r in union)
    rows, seen = [], set()
    for index, item in enumerate(given):
        pattern = item["pattern"]
        source = wanted.get(pattern)
        if source is None:
            findings.add("ICL205", "%s row %r is in the synthesised table but at no site any more; re-run "
                         "synthesize_mappings.yml" % (table, pattern), obj=pattern, field="%s[%d]" % (field, index), file=file)
            continue
        if pattern in seen:
            findings.add("ICL205", "%s row %r is listed twice in the synthesised table" % (table, pattern),
                         obj=pattern, field="%s[%d]" % (field, index), file=file)
            continue
        seen.add(pattern)
        if item["label"] not in labels[pattern]:
            findings.add("ICL205", "%s row %r maps to %s in the synthesised table but no site gives it that label "
                         "(%s); re-run synthesize_mappings.yml" % (table, pattern, item["label"], ", ".join(
                             "%s at %s" % (label, "/".join(sites)) for label, sites in sorted(labels[pattern].items()))),
                         obj=pattern, field="%s[%d].label" % (field, index), file=file)
        rows.append(Row(pattern, item["rule"], item["label"], source.sites))
    for pattern in sorted(set(wanted) - seen):
        findings.add("ICL205", "%s row %r (%s) is missing from the synthesised table; re-run synthesize_mappings.yml"
                     % (table, pattern, "/".join(wanted[pattern].sites)), cluster=wanted[pattern].sites[0],
                     obj=pattern, field=field, file=file)
    rows.sort(key=lambda r: r.order)
    check_rule_hygiene(table, rows, findings, catch_all_rule)
    return rows


def check_rule_hygiene(table, rows, findings, catch_all_rule):
    """ICL022 (distinct numbers, catch-all) and ICL023 (wildcards, case twins)."""
    by_rule = {}
    for row in rows:
        by_rule.setdefault(row.rule, []).append(row)
    for rule, same in sorted(by_rule.items()):
        if len(set(r.label for r in same)) > 1:  # same label: the order between them changes nothing
            findings.add("ICL022", "%s rule number %d is shared by %s; priority between them is unclear"
                         % (table, rule, ", ".join(r.describe() for r in same)), obj=str(rule),
                         field="impax_mappings.%s" % table)
    catch_alls = [r for r in rows if r.is_catch_all]
    if not catch_alls:
        findings.add("ICL022", "%s has no catch-all '%%' row (KB 9513 suggests %%%% at %d)"
                     % (table, catch_all_rule), field="impax_mappings.%s" % table)
    for row in catch_alls:
        if row.rule != catch_all_rule:
            findings.add("ICL022", "%s catch-all %r is at rule %d, not %d" % (table, row.pattern, row.rule, catch_all_rule),
                         cluster=row.sites[0], obj=row.pattern, field="impax_mappings.%s" % table)
    folded = {}
    for row in rows:
        for char in FOREIGN_WILDCARDS:
            if char in row.pattern:
                findings.add("ICL023", "%s pattern %r contains %r, not a wildcard in IMPAX (KB 9496: only %%) nor in a "
                             "database LIKE; it matches itself" % (table, row.pattern, char), cluster=row.sites[0],
                             obj=row.pattern, field="impax_mappings.%s" % table)
                break
        folded.setdefault(row.pattern.casefold(), []).append(row)
    for twins in folded.values():
        if len(twins) > 1:
            findings.add("ICL023", "%s patterns differ only in case: %s" % (table, ", ".join(repr(r.pattern) for r in twins)),
                         cluster=twins[0].sites[0], obj=twins[0].pattern, field="impax_mappings.%s" % table)


def gains(own_row, declared):
    """Whether another label the superset gives a site's description is *gained* rather than *changed*: nobody
    declared its meaning (a corpus count, not a sample) and the site's own table had no specific row for it (no
    row, or only the catch-all). A declared sample is a meaning whatever row gave it locally. The one definition
    the plan (ICL202) and the synthesis share."""
    return not declared and (own_row is None or own_row.is_catch_all)


def sample_shadowing(table, site, own, superset, samples, findings, origin=None):
    """Evaluate a site's samples with its own table and with the superset.

    ICL201: the site's own table does not give the expected label.
    ICL202: the superset changes the label the site's own table gives.
    ICL204 (info): the site's table had no row for it, the superset has one.
    """
    origin = origin or (lambda s: None)
    for index, sample in enumerate(samples):
        text, expected = sample["description"], sample["label"]
        field = "impax_mapping_samples.%s[%d]" % (table, index)
        own_row = own.lookup(text)
        own_label = own_row.label if own_row else own.default_label
        sup_row = superset.lookup(text)
        sup_label = sup_row.label if sup_row else superset.default_label
        if own_label != expected:
            findings.add("ICL201", "%s sample %r is expected to map to %s, the site's own table gives %s (%s)"
                         % (table, text, expected, own_label, own_row.describe() if own_row else "no row matches"),
                         cluster=site, obj=text, field=field, file=origin(site))
        if sup_label != own_label and not gains(own_row, True):
            findings.add("ICL202", "%s: %r maps to %s at %s (%s) but to %s under the superset (%s)"
                         % (table, text, own_label, site, own_row.describe() if own_row else "no row",
                            sup_label, sup_row.describe() if sup_row else "no row"),
                         cluster=site, obj=text, field=field, file=origin(site),
                         data={"table": table, "description": text, "local_label": own_label,
                               "superset_label": sup_label,
                               "local_row": own_row.as_dict() if own_row else None,
                               "superset_row": sup_row.as_dict() if sup_row else None,
                               "superset_row_sites": list(sup_row.sites) if sup_row else []})
        elif own_row is None and sup_row is not None:
            findings.add("ICL204", "%s: %r had no row at %s; the superset maps it to %s (%s)"
                         % (table, text, site, sup_label, sup_row.describe()),
                         cluster=site, obj=text, field=field, file=origin(site))


def structural_shadowing(table, site, own, superset, findings, origin=None, candidates=STRUCTURAL_CANDIDATES,
                         severity=None):
    """Rows that can take descriptions a local row labels, once the site holds the superset.

    Two causes: another site's row, or one of the site's own rows renumbered (the union keeps the lowest number
    a pattern has anywhere, so a row the site had low in its table can move above its other rows). For each
    local row ``p`` the rows that may now come before it with a different label are tried in rule order (at
    most ``candidates`` that can match a common string). A finding is reported only with an example string
    that the site's own table really maps through ``p`` and that the superset maps to another label, so every
    finding is proven both ways; the search is bounded, so absence is not proof (the sample check complements
    it). Under a reviewed synthesised table these are orders no evidence decided: ``severity`` info.
    """
    origin = origin or (lambda s: None)
    own_order = dict((row.pattern, row.order) for row in own.rows)
    # the rows whose place among this site's rows differs from the site's own table
    movers = [row for row in superset.rows if site not in row.sites or own_order.get(row.pattern) != row.order]
    placed = dict((row.pattern, row) for row in superset.rows)
    reported = 0
    for local in own.rows if movers else ():
        if local.is_catch_all:
            continue  # a catch-all yielding to specific rows is what a superset is for
        limit = placed[local.pattern].order if local.pattern in placed else local.order
        proof = _prove_structural(local, own, superset, movers, candidates, limit)
        if proof is None:
            continue
        winner, text = proof
        if site in winner.sites:
            cause, why = "renumbered", "this site's own row, renumbered from rule %d" % own_order[winner.pattern][0]
        else:
            cause, why = "foreign", "another site's row"
        findings.add("ICL203", "%s row %s at %s can be overtaken by %s, %s: e.g. %r maps to %s in the site's own "
                     "table but to %s under the superset"
                     % (table, local.describe(), site, winner.describe(), why, text, local.label, winner.label),
                     cluster=site, obj=local.pattern, field="impax_mappings.%s" % table, file=origin(site),
                     severity=severity,
                     data={"table": table, "local_row": local.as_dict(), "superset_row": winner.as_dict(),
                           "superset_row_sites": list(winner.sites), "cause": cause, "example": text})
        reported += 1
    return reported


def _prove_structural(local, own, superset, movers, candidates, limit):
    """First (winning row, example) proving that ``local`` is overtaken, or None. ``movers`` are in rule order;
    only those before ``limit`` (the local row's place in the superset) can overtake it."""
    tried = scanned = 0
    for other in movers:
        scanned += 1
        if other.order >= limit or tried >= candidates or scanned > candidates * 16:
            return None
        if other.label == local.label or other.pattern == local.pattern or not patterns_intersect(local, other):
            continue
        tried += 1
        for text in witnesses(local, other):
            if own.lookup(text) is not local:
                continue
            winner = superset.lookup(text)
            if winner is not None and winner.label != local.label:
                return winner, text
    return None


def like_match(pattern, text):
    """SQL LIKE: ``%`` any run, ``_`` exactly one character. The other reading of ``_`` (see underscore_readings);
    positions are tracked as a set, so time is linear in pattern length times text length, whatever the input."""
    positions = {0}
    for char in pattern:
        if char == WILDCARD:
            positions = set(range(min(positions), len(text) + 1))
        elif char == "_":
            positions = set(p + 1 for p in positions if p < len(text))
        else:
            positions = set(p + 1 for p in positions if p < len(text) and text[p] == char)
        if not positions:
            return False
    return len(text) in positions


def underscore_readings(table, rows, texts):
    """Descriptions whose label depends on how IMPAX reads ``_`` in a pattern.

    The KB documents ``%`` as the only wildcard; a database LIKE reads ``_`` as one character. Both readings
    are evaluated and ``[(pattern, description, literal label, one-character label)]`` returned, one example per
    pattern, for descriptions where they disagree. ``rows``: Row objects, the table the site holds.
    """
    with_underscore = [row for row in rows if "_" in row.pattern]
    if not with_underscore:
        return []
    table_rows = MappingTable(rows, DEFAULT_LABELS[table])
    found, reported = [], set()
    for text in texts:
        literal = table_rows.lookup(text)
        other = literal
        for row in with_underscore:  # every literal match is a LIKE match too: only these can come first
            if (other is None or row.order < other.order) and like_match(row.pattern, text):
                other = row
        as_literal = literal.label if literal is not None else table_rows.default_label
        as_wildcard = other.label if other is not None else table_rows.default_label
        if as_literal != as_wildcard:
            pattern = (other if other is not literal else literal).pattern
            if pattern not in reported:
                reported.add(pattern)
                found.append((pattern, text, as_literal, as_wildcard))
    return found


def report_underscores(table, site, rows, texts, findings, origin=None, what="sample"):
    """ICL023 for each pattern whose ``_`` changes the label of one of ``site``'s descriptions."""
    origin = origin or (lambda s: None)
    for pattern, text, as_literal, as_wildcard in underscore_readings(table, rows, texts):
        findings.add("ICL023", "%s pattern %r contains '_': %s %r maps to %s if IMPAX reads '_' literally but to %s if "
                     "it reads it as one character (SQL LIKE); the KB documents only %%, so write the row so both "
                     "readings agree" % (table, pattern, what, text, as_literal, as_wildcard),
                     cluster=site, obj=pattern, field="impax_mappings.%s" % table, file=origin(site),
                     data={"table": table, "pattern": pattern, "description": text,
                           "literal_label": as_literal, "wildcard_label": as_wildcard})


def evaluate(rows, texts, table="body_part"):
    """Labels for ``texts`` under ``rows`` (list of dicts): used by the mapping_test filter."""
    mt = MappingTable([Row(r["pattern"], r["rule"], r["label"]) for r in rows], DEFAULT_LABELS[table])
    return [mt.label(t) for t in texts]


def analyse(tables, samples_by_site, findings=None, origin=None, structural=True, catch_all_rule=1000000, given=None,
            given_file=None):
    """Superset plus findings for one mapping table type.

    ``tables``: {table: {site: [rows]}}; ``samples_by_site``: {table: {site: [samples]}};
    ``given``: {table: [rows]} synthesised tables to use instead of the union's numbers.
    Returns {table: [superset rows as dicts]}.
    """
    findings = findings if findings is not None else Findings()
    result = {}
    for table in sorted(tables):
        by_site = tables[table]
        if given is not None and table in given:
            union = build_superset(table, by_site, findings, origin=origin, catch_all_rule=catch_all_rule, renumbered=True)
            labels = {}
            for site in sorted(by_site):
                for row in by_site[site]:
                    labels.setdefault(row["pattern"], {}).setdefault(row["label"], []).append(site)
            rows = given_superset(table, union, given[table], findings, catch_all_rule=catch_all_rule, file=given_file,
                                  labels=labels)
        else:
            rows = build_superset(table, by_site, findings, origin=origin, catch_all_rule=catch_all_rule)
        superset = MappingTable(rows, DEFAULT_LABELS[table])
        for site in sorted(by_site):
            own = MappingTable(site_rows(by_site[site], site), DEFAULT_LABELS[table])
            samples = samples_by_site.get(table, {}).get(site, [])
            sample_shadowing(table, site, own, superset, samples, findings, origin)
            report_underscores(table, site, superset.rows, [s["description"] for s in samples], findings, origin)
            if structural:
                structural_shadowing(table, site, own, superset, findings, origin,
                                     severity="info" if given is not None and table in given else None)
        result[table] = [dict(r.as_dict(), sites=list(r.sites)) for r in rows]
    return result
