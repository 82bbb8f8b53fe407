# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Superset synthesis: one global rule order that keeps every site's meaning.

A naive superset keeps each row's own rule number, so another site's row with
a lower number can take a local description (shadowing). The synthesiser
renumbers the union instead, placing the rows first to last:

1. meaning: each description of a site's evidence (samples, corpus) that the
   site's own table labels L needs *some* row of the union labelled L before
   every row that matches it with another label (``_Want``). A row may come
   next when no open description needs another row before it; placing a row
   never adds a demand, so when an order keeps every description this finds
   one, and a description is given up only when none does (the lightest:
   a declared sample outweighs any corpus count), then won back where a move
   costs nothing (``_repair``);
2. site order: each site's consecutive rows, as a second priority, so a
   site's whole order holds unless something forces it; afterwards every pair
   of each site's rows is checked and each reversal that can change a label is
   reported with an example proven both ways (``_site_breaks``);
3. free rows: where the sites holding them put them (their average place in
   those sites' orders, ``_site_rank``: the orders of rows no constraint links
   still follow the sites), then more literal characters, then pattern text;
   catch-all rows go last.

The proposal is then evaluated against every site's evidence, so the reported
label changes are measured, not inferred. "Kept" and "gained" are defined once
for the synthesis and the plan's rules (``mapping.gains``). See docs/mappings.md.
"""

from __future__ import annotations

import bisect
import csv
import heapq
import io

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import Findings
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.mapping import (
    DEFAULT_LABELS, MappingTable, Row, WILDCARD, gains, patterns_intersect, site_rows, structural_shadowing,
    underscore_readings, witnesses)

SAMPLE_WEIGHT = 10 ** 12  # one declared sample outweighs any corpus count
ORDER_WEIGHT = 1          # a site's row order alone: given up before any evidence
EXAMPLES = 5              # descriptions kept per constraint and per report line


class CorpusError(ValueError):
    """A corpus file that cannot be read; the message names the file and line."""


class SynthesisError(ValueError):
    """Tables the synthesis refuses, as the plan does: the message names the site, table and pattern."""

    def __init__(self, message, site):
        super(SynthesisError, self).__init__(message)
        self.site = site


def _refuse_duplicates(table, tables_by_site):
    """A pattern twice in one site's table with two labels or rule numbers (ICL021): which one the proposal kept
    would depend on the order the rows are listed in."""
    for site in sorted(tables_by_site):
        seen = {}
        for row in tables_by_site[site]:
            other = seen.setdefault(row["pattern"], row)
            if (other["rule"], other["label"]) != (row["rule"], row["label"]):
                first, second = sorted([other, row], key=lambda r: (r["rule"], r["label"]))
                raise SynthesisError(
                    "ICL021: %s pattern %r appears twice at %s (%s at rule %d, %s at rule %d); a pattern maps to one "
                    "label and one rule number - keep one of the rows" % (table, row["pattern"], site, first["label"],
                                                                          first["rule"], second["label"], second["rule"]),
                    site)


def read_corpus(text, name="corpus"):
    """Parse a corpus CSV (``description,count``; header optional) into {description: count}."""
    corpus = {}
    reader = csv.reader(io.StringIO(text))
    for number, record in enumerate(reader, start=1):
        if not record or not "".join(record).strip():
            continue
        if number == 1 and record[0].strip().lower() == "description":
            continue
        if len(record) > 2:
            raise CorpusError("%s line %d: expected 'description,count', got %d fields" % (name, number, len(record)))
        count = 1
        if len(record) == 2 and record[1].strip():
            try:
                count = int(record[1])
            except ValueError:
                raise CorpusError("%s line %d: count %r is not a whole number" % (name, number, record[1]))
            if count < 0:
                raise CorpusError("%s line %d: count %d is negative" % (name, number, count))
        corpus[record[0]] = corpus.get(record[0], 0) + count
    return corpus


def specificity(pattern):
    """Literal characters in a pattern: the more, the more specific."""
    return len(pattern) - pattern.count(WILDCARD)


class _Node(object):
    __slots__ = ("pattern", "label", "sites", "row", "key", "catch_all", "naive_rule", "naive_label")

    def __init__(self, pattern, label, sites, naive):
        self.pattern, self.label, self.sites = pattern, label, sites
        self.naive_rule, self.naive_label = naive  # what the naive union keeps: the lowest number
        self.row = Row(pattern, 0, label, sites)
        self.catch_all = self.row.is_catch_all
        self.key = (self.catch_all, -specificity(pattern), pattern, label)


class _Edge(object):
    """For the feedback-arc order: ``before`` should precede ``after``; what breaking it costs, and whether evidence
    (not only a site's row order) asks for it."""
    __slots__ = ("before", "after", "weight", "evidenced")

    def __init__(self, before, after):
        self.before, self.after = before, after
        self.weight = 0
        self.evidenced = False


class _Want(object):
    """One description of one site's evidence: the first row of the proposal that matches it must be one of ``keep``
    (the union's specific rows with the site's label), not one of ``lose`` (specific rows with another label)."""
    __slots__ = ("site", "text", "samples", "count", "label", "keep", "lose", "weight", "kept")

    def __init__(self, site, text, samples, count, label, keep, lose):
        self.site, self.text, self.samples, self.count, self.label = site, text, samples, count, label
        self.keep, self.lose = keep, lose
        self.weight = samples * SAMPLE_WEIGHT + count
        self.kept = True

    def holds(self, position):
        """Whether the order ``position`` ({pattern: index}) keeps this description's label."""
        return min(position[n.pattern] for n in self.keep) < min(position[n.pattern] for n in self.lose)


def synthesize(table, tables_by_site, evidence_by_site=None, catch_all_rule=1000000, step=10, structural=True):
    """Propose one global table for ``table``.

    ``tables_by_site``: {site: [{pattern, rule, label}]}; ``evidence_by_site``:
    {site: {description: (samples, corpus count)}}. Returns a dict with
    ``rows`` (renumbered, with their sites), ``conflicts`` (evidence no order can keep, each site order the
    proposal breaks - proven with an example - label and catch-all disagreements), ``relaxed`` (site orders given
    up where the order provably changes no label), ``repair`` (what the improvement pass won back), ``gained``
    and a per site ``report`` comparing the naive union with the proposal.
    """
    _refuse_duplicates(table, tables_by_site)
    evidence_by_site = evidence_by_site or {}
    default = DEFAULT_LABELS[table]
    sites = sorted(tables_by_site)
    conflicts = []
    nodes, site_order = _unify(table, tables_by_site, sites, conflicts)
    own_tables = dict((site, MappingTable(site_rows(tables_by_site[site], site), default)) for site in sites)
    union_index = MappingTable([n.row for n in nodes.values()], default)

    matches_of = {}

    def matches(text):
        found = matches_of.get(text)
        if found is None:
            found = matches_of[text] = [nodes[r.pattern] for r in union_index.all_matches(text)]
        return found

    own_labels, wants, unkeepable = {}, [], []
    for site in sites:
        own = own_tables[site]
        labels = own_labels[site] = {}
        for text, (samples, count) in sorted((evidence_by_site.get(site) or {}).items()):
            row = own.lookup(text)
            label = row.label if row is not None else default
            labels[text] = (label, row)
            if gains(row, samples):
                continue  # nothing of the site's decides it: whatever the union gives is gained
            if row is not None and not row.is_catch_all and nodes[row.pattern].label != row.label:
                continue  # the pattern's label is contested: reported by _unify
            specific = [n for n in matches(text) if not n.catch_all]
            keep = [n for n in specific if n.label == label]
            lose = [n for n in specific if n.label != label]
            if not lose:
                continue  # no specific row gives it another label: kept whatever the order
            want = _Want(site, text, samples, count, label, keep, lose)
            if keep:
                wants.append(want)
            else:  # a declared sample on the catch-all that another site's row takes: no order can keep it
                want.kept = False
                unkeepable.append(want)

    specific_nodes = [n for n in nodes.values() if not n.catch_all]
    adjacent = _site_edges(site_order)
    # two orders, the one that gives up less evidence kept: the exact placement (it keeps every description
    # whenever an order can), and the weighted feedback-arc order (better where much must be given up)
    rank = _site_rank(site_order)
    candidates = [_place(specific_nodes, wants, adjacent, rank)]
    lost_before = _lost(candidates[0], wants)
    if lost_before:
        candidates.append(_order(specific_nodes, _edges(nodes, wants, adjacent), rank))
        other = _lost(candidates[1], wants)
        if sum(w.weight for w in other) < sum(w.weight for w in lost_before):
            candidates, lost_before = candidates[1:], other
    ordered = candidates[0]
    ordered = _repair(ordered, wants, lost_before)
    position = dict((n.pattern, i) for i, n in enumerate(ordered))
    for want in wants:
        want.kept = want.holds(position)
    lost = [w for w in wants if not w.kept]
    catch_alls = sorted((n for n in nodes.values() if n.catch_all), key=lambda n: (-len(n.sites), n.key))
    rows = _number(ordered, catch_alls, step, catch_all_rule)
    proposed = MappingTable([Row(r["pattern"], r["rule"], r["label"], r["sites"]) for r in rows], default)

    conflicts += _evidence_conflicts(lost + unkeepable, wants, position)
    breaks, relaxed = _site_breaks(sites, site_order, own_tables, proposed, position, adjacent)
    conflicts += breaks
    if len(set(n.label for n in catch_alls)) > 1:
        losers = sorted(set(s for n in catch_alls[1:] for s in n.sites))
        conflicts.append({
            "kind": "catch_all",
            "rows": [{"pattern": n.pattern, "label": n.label, "sites": list(n.sites)} for n in catch_alls],
            "message": "the catch-all rows give different labels; %r wins, so descriptions no row matches change label "
                       "at %s" % (catch_alls[0].pattern, ", ".join(losers)),
            "suggestion": "agree one catch-all label (KB 9513: %% -> %s at %d)" % (default, catch_all_rule)})

    result = {"table": table, "rows": rows, "conflicts": conflicts, "relaxed": relaxed,
              "constraints": {"order": len(adjacent), "meaning": len(wants) + len(unkeepable),
                              "broken": len(lost) + len(unkeepable)},
              "repair": {"descriptions_lost_before": len(lost_before), "studies_lost_before": _studies(lost_before),
                         "descriptions_lost_after": len(lost), "studies_lost_after": _studies(lost)}}
    naive_order = dict((n.pattern, (n.naive_rule, n.pattern)) for n in nodes.values())
    result["report"], result["gained"] = _evaluate(default, sites, evidence_by_site, own_labels, matches, {
        "naive": lambda found: min(found, key=lambda n: naive_order[n.pattern]).naive_label,
        "synthesized": lambda found: min(found, key=lambda n: (n.catch_all, position.get(n.pattern, 0),
                                                               catch_alls.index(n) if n.catch_all else 0)).label})
    if structural:
        result["unevidenced"] = _unevidenced(table, tables_by_site, sites, rows, own_tables)
    result["underscore_readings"] = [
        {"site": site, "pattern": pattern, "description": text, "literal_label": literal, "wildcard_label": wildcard}
        for site in sites
        for pattern, text, literal, wildcard in underscore_readings(table, proposed.rows, sorted(evidence_by_site.get(site) or {}))]
    return result


def _studies(wants):
    return sum(w.count + w.samples for w in wants)


def _lost(ordered, wants):
    position = dict((n.pattern, i) for i, n in enumerate(ordered))
    return [w for w in wants if not w.holds(position)]


def _edges(nodes, wants, adjacent):
    """The feedback-arc order's constraints: each description tied to its most specific row with the site's label
    (before every row that takes it), each site's consecutive rows (order only)."""
    edges = {}

    def edge(before, after):
        found = edges.get((before.pattern, after.pattern))
        if found is None:
            found = edges[(before.pattern, after.pattern)] = _Edge(before, after)
        return found

    for (before, after), sites in sorted(adjacent.items()):
        edge(nodes[before], nodes[after]).weight += ORDER_WEIGHT * len(sites)
    for want in wants:
        carrier = min(want.keep, key=lambda n: n.key)
        for other in want.lose:
            found = edge(carrier, other)
            found.weight += want.weight
            found.evidenced = True
    return edges


def _site_edges(site_order):
    """{(before, after): [sites]} - each site's consecutive specific rows, the site's order as soft constraints."""
    edges = {}
    for site, order in sorted(site_order.items()):
        specific = [n for n in order if not n.catch_all]  # rows after a site's catch-all were dead there
        for first, second in zip(specific, specific[1:]):
            edges.setdefault((first.pattern, second.pattern), []).append(site)
    return edges


def _site_rank(site_order):
    """{pattern: where the sites holding it put it, 0 first .. 1 last, averaged}: among rows that may come next,
    the one the sites put earliest goes first, so the orders of rows no constraint links still follow the sites."""
    places = {}
    for order in site_order.values():
        specific = [n for n in order if not n.catch_all]
        for index, node in enumerate(specific):
            places.setdefault(node.pattern, []).append(float(index) / len(specific))
    return dict((pattern, sum(found) / len(found)) for pattern, found in places.items())


def _place(nodes, wants, adjacent, rank):
    """The order, first row first: evidence first, each site's order second, specificity last.

    A row may come next when no description still open needs another row before it (it is in no open
    description's ``lose``). Placing a row only settles descriptions, never adds a demand, so the set of rows
    that may come next only grows: when every description can be kept together, this never gets stuck, and it
    keeps them all - a description is given up only when no order keeps every one. Among the rows that may
    come next, one whose site predecessors are all placed goes first (Kahn on the sites' orders), then the
    most specific. Stuck, it places the row that keeps the most open evidence for the least it gives up (the
    weight of the descriptions it settles with its label minus those it takes: Eades-Lin-Smyth's greedy rule).
    """
    by_pattern = dict((n.pattern, n) for n in nodes)
    as_keep, as_lose = dict((p, []) for p in by_pattern), dict((p, []) for p in by_pattern)
    for want in wants:
        for n in want.keep:
            as_keep[n.pattern].append(want)
        for n in want.lose:
            as_lose[n.pattern].append(want)
    blocking = dict((p, sum(w.weight for w in as_lose[p])) for p in by_pattern)
    keeping = dict((p, sum(w.weight for w in as_keep[p])) for p in by_pattern)
    succ = dict((p, []) for p in by_pattern)
    soft_in = dict((p, 0) for p in by_pattern)
    for before, after in adjacent:
        if before in by_pattern and after in by_pattern:
            succ[before].append(after)
            soft_in[after] += 1
    free, held, stuck = [], [], []  # free: may come next, site order too; held: site order holds it; stuck: all

    def offer(p):
        key = (rank.get(p, 1.0),) + by_pattern[p].key
        if not blocking[p]:
            heapq.heappush(free if not soft_in[p] else held, ((key, soft_in[p], p) if soft_in[p] else (key, p)))
        heapq.heappush(stuck, (blocking[p] - keeping[p], soft_in[p], key, p))

    for p in by_pattern:
        offer(p)
    placed, ordered, settled = set(), [], set()

    def settle(want):
        settled.add(id(want))
        for n in want.lose:
            if n.pattern not in placed:
                blocking[n.pattern] -= want.weight
                offer(n.pattern)
        for n in want.keep:
            if n.pattern not in placed:
                keeping[n.pattern] -= want.weight
                offer(n.pattern)

    while len(ordered) < len(by_pattern):
        if free:
            p = heapq.heappop(free)[-1]
            valid = p not in placed and not blocking[p] and not soft_in[p]
        elif held:
            entry = heapq.heappop(held)
            p = entry[-1]
            valid = p not in placed and not blocking[p] and entry[1] == soft_in[p]
        else:
            entry = heapq.heappop(stuck)
            p = entry[-1]
            valid = p not in placed and entry[0] == blocking[p] - keeping[p] and entry[1] == soft_in[p]
        if not valid:
            continue
        placed.add(p)
        ordered.append(by_pattern[p])
        for want in as_keep[p] + as_lose[p]:  # kept (p comes first with its label) or given up (p takes it)
            if id(want) not in settled:
                settle(want)
        for after in succ[p]:
            if after not in placed:
                soft_in[after] -= 1
                offer(after)
    return ordered


def _repair(ordered, wants, lost):
    """Win back given-up descriptions where that costs nothing: move one of a lost description's rows to just
    before the first row that takes it, when every description kept so far stays kept (heaviest first).

    Only the moved row's place changes, so only the descriptions it belongs to are re-checked, against its new
    place (just before the first taker: position - 0.5, the others where they are)."""
    if not lost:
        return ordered
    ordered = list(ordered)
    position = dict((n.pattern, i) for i, n in enumerate(ordered))
    involved = {}
    for want in wants:
        for n in want.keep + want.lose:
            involved.setdefault(n.pattern, []).append(want)

    def holds(want, moved, place):
        return (min(place if n is moved else position[n.pattern] for n in want.keep)
                < min(place if n is moved else position[n.pattern] for n in want.lose))

    lost = sorted(lost, key=lambda w: (-w.weight, w.site, w.text))
    moved = True
    while moved:  # each move wins a description and loses none: until no move helps
        moved = False
        for want in lost:
            if want.holds(position):
                continue  # an earlier move won it back
            first_loser = min(position[n.pattern] for n in want.lose)
            for carrier in sorted(want.keep, key=lambda n: n.key):  # every keep row comes after first_loser
                place = first_loser - 0.5
                if all(holds(w, carrier, place) for w in involved[carrier.pattern] if w is want or w.holds(position)):
                    ordered.pop(position[carrier.pattern])
                    ordered.insert(first_loser, carrier)
                    position = dict((n.pattern, i) for i, n in enumerate(ordered))
                    moved = True
                    break
    return ordered


def _evidence_conflicts(lost, wants, position):
    """One conflict per pair of rows (the site's row, the row that takes its descriptions), most studied first."""
    kept_by_keep = {}
    for want in wants:
        if want.kept:
            for n in want.keep:
                kept_by_keep.setdefault(n.pattern, []).append(want)
    groups = {}
    for want in lost:
        winner = min(want.lose, key=lambda n: position[n.pattern])  # the specific row that takes it
        carrier = min(want.keep, key=lambda n: n.key) if want.keep else None
        groups.setdefault((carrier.pattern if carrier else None, winner.pattern), []).append((want, carrier, winner))
    out = []
    for (unused_carrier, unused_winner), items in sorted(
            groups.items(), key=lambda kv: (-sum(w.weight for w, c, r in kv[1]), kv[0][1], kv[0][0] or "")):
        items.sort(key=lambda i: (-i[0].weight, i[0].site, i[0].text))
        want, carrier, winner = items[0]
        sites = sorted(set(w.site for w, c, r in items))
        described = "; ".join("%s: %s" % (site, ", ".join([repr(w.text) for w, c, r in items if w.site == site][:EXAMPLES]))
                              for site in sites)
        if carrier is None:
            message = ("%s has no specific row labelled %s for %s, and %r (%s) takes it: no order keeps it"
                       % (", ".join(sites), want.label, described, winner.pattern, winner.label))
            out.append({"kind": "sample", "sites": sites, "rows": [winner.row.as_dict()],
                        "message": message, "descriptions": [w.text for w, c, r in items][:EXAMPLES],
                        "all_descriptions": _listed(items), "count": len(items),
                        "studies": sum(w.count + w.samples for w, c, r in items),
                        "suggestion": "add a literal row {pattern: %r, label: %s} at %s (more specific than %r)"
                                      % (want.text, want.label, sites[0], winner.pattern)})
            continue
        opposing = [w for w in kept_by_keep.get(winner.pattern, ()) if any(n is carrier for n in w.lose)]
        opposing.sort(key=lambda w: (-w.weight, w.site, w.text))
        message = "%r (%s) must come before %r (%s) for %s" % (carrier.pattern, carrier.label, winner.pattern,
                                                               winner.label, described)
        if opposing:
            message += ", but %r must come before %r for %s" % (winner.pattern, carrier.pattern, "; ".join(
                "%s: %s" % (site, ", ".join([repr(w.text) for w in opposing if w.site == site][:EXAMPLES]))
                for site in sorted(set(w.site for w in opposing))))
        broken = _pair(carrier, winner, [w for w, c, r in items])
        cycle = [_pair(winner, carrier, opposing)] if opposing else []
        texts = [w.text for w, c, r in items]
        out.append({"kind": "cycle", "sites": sites, "broken": broken, "cycle": cycle, "message": message,
                    "descriptions": texts[:EXAMPLES], "all_descriptions": _listed(items), "count": len(items),
                    "studies": sum(w.count + w.samples for w, c, r in items),
                    "suggestion": _suggest(carrier, winner, texts, set(w.text for w in opposing), sites)})
    return out


def _pair(before, after, wants):
    """A precedence between two rows, with the descriptions (per site, the first few) that ask for it."""
    sites = sorted(set(w.site for w in wants))
    return {"before": before.pattern, "before_label": before.label, "after": after.pattern, "after_label": after.label,
            "order_of": [], "evidence": dict((site, [{"description": w.text, "samples": w.samples, "count": w.count}
                                                     for w in wants if w.site == site][:EXAMPLES]) for site in sites)}


def _listed(items):
    return [{"site": w.site, "description": w.text, "samples": w.samples, "count": w.count, "label": w.label}
            for w, unused_c, unused_r in items]


BREAKS_PROVEN = 2000  # reversed pairs tried one by one for an example string; beyond, one try per overtaken row
GROUP_TRIES = 8  # pairs of one overtaken row tried for its example once the budget is spent


def _site_breaks(sites, site_order, own_tables, proposed, position, adjacent):
    """Every pair of a site's rows the proposal puts the other way round, checked on the site's whole order.

    A pair that cannot give one description two labels (the patterns share no string, or the labels agree)
    changes nothing - provably - and is only listed in ``relaxed`` when it was adjacent. Every other reversed
    pair is a break. Breaks are grouped per row that loses its place (``before``): one conflict lists every
    row of every site that now comes before it, so estates whose sites disagree on thousands of rows read as
    one line per row (``pair_count`` pairs in all). Each pair is tried for an example string proven both ways
    (its label in the site's own table and in the proposal) until ``BREAKS_PROVEN`` pairs were tried; after
    that each row is tried on up to ``GROUP_TRIES`` of its pairs. Tried pairs are in ``pairs`` (``example``:
    the proof, or null when none was found); the others are listed per site in ``untried``. None is called
    harmless.
    """
    groups, relaxed = {}, []
    for site in sites:
        rows = [n for n in site_order[site] if not n.catch_all]
        seen = []  # (position in the proposal, pattern, node), sorted: the site's earlier rows
        for node in rows:
            here = position[node.pattern]
            index = bisect.bisect_right(seen, (here, node.pattern))
            for unused_pos, unused_pattern, earlier in seen[index:]:
                if earlier.label == node.label or not patterns_intersect(earlier.row, node.row):
                    if (earlier.pattern, node.pattern) in adjacent:
                        relaxed.append({"before": earlier.pattern, "after": node.pattern, "order_of": [site],
                                        "why": "the rows cannot give one description two labels, so their order "
                                               "changes nothing"})
                    continue
                # per overtaken row, its site's later rows now before it: no object per pair (there can be millions)
                groups.setdefault(earlier.pattern, (earlier, {}))[1].setdefault(site, []).append(node)
            bisect.insort(seen, (here, node.pattern, node))
    budget = BREAKS_PROVEN
    breaks = []
    counts = dict((pattern, sum(len(laters) for laters in by_site.values()))
                  for pattern, (unused, by_site) in groups.items())
    # the rows most overtaken first, then by pattern: the same order whatever the listing order
    for pattern in sorted(groups, key=lambda p: (-counts[p], p)):
        earlier, by_site = groups[pattern]
        count = counts[pattern]
        pairs, untried, proof, tries = [], {}, None, 0
        for site, laters in by_site.items():
            for index, later in enumerate(laters):
                if budget <= 0 and (proof is not None or tries >= GROUP_TRIES):
                    untried[site] = [node.pattern for node in laters[index:]]  # listed compactly: there can be millions
                    break
                budget, tries = budget - 1, tries + 1
                example = _break_example(site, earlier, later, own_tables, proposed)
                proof = proof or example
                pairs.append({"site": site, "after": later.pattern, "after_label": later.label, "example": example})
        sites_of = sorted(by_site)
        first = pairs[0]
        if count == 1:
            message = "%r (%s) comes before %r (%s) in the order of %s; the proposal puts it after" % (
                pattern, earlier.label, first["after"], first["after_label"], ", ".join(sites_of))
        else:
            shown = ", ".join("%r (%s)" % (pair["after"], pair["after_label"]) for pair in pairs[:3])
            message = "%r (%s) comes before %d later rows in the order of %s (%s%s); the proposal puts them before it" % (
                pattern, earlier.label, count, ", ".join(sites_of), shown,
                " and %d more" % (count - len(pairs[:3])) if count > 3 else "")
        if proof:
            message += ": e.g. %r maps to %s at %s but to %s under the proposal" % (
                proof["description"], proof["own_label"], proof["site"], proof["proposal_label"])
        else:
            message += " (no example found that changes label among the pairs tried: the rows before them decide " \
                       "their common strings)"
        breaks.append({"kind": "order", "sites": sites_of, "message": message, "proof": proof, "pairs": pairs,
                       "untried": untried, "pair_count": count,
                       "broken": {"before": pattern, "before_label": earlier.label, "after": first["after"],
                                  "after_label": first["after_label"], "order_of": sites_of, "evidence": {}},
                       "cycle": [], "descriptions": sorted(set(pair["example"]["description"] for pair in pairs
                                                               if pair["example"])),
                       "suggestion": "add a sample saying which label %s's descriptions matching both should get, "
                                     "or make one of the rows more specific" % ", ".join(sites_of)})
    relaxed.sort(key=lambda r: (r["before"], r["after"], r["order_of"]))
    return breaks, relaxed


def _break_example(site, earlier, later, own_tables, proposed):
    """A description the site's own table and the proposal label differently, matching both rows, or None."""
    for text in witnesses(earlier.row, later.row):
        own, now = own_tables[site].label(text), proposed.label(text)
        if own != now:
            return {"site": site, "description": text, "own_label": own, "proposal_label": now}
    return None


def _unify(table, tables_by_site, sites, conflicts):
    """One node per pattern; each site's rows in its own order (rule, then pattern)."""
    labels, order, naive = {}, {}, {}
    for site in sites:
        seen = set()
        order[site] = []
        for row in sorted(tables_by_site[site], key=lambda r: (r["rule"], r["pattern"])):
            if row["pattern"] in seen:
                continue  # a second row with the same pattern never wins at its own site
            seen.add(row["pattern"])
            labels.setdefault(row["pattern"], {}).setdefault(row["label"], []).append(site)
            naive[row["pattern"]] = min(naive.get(row["pattern"], (row["rule"], row["label"])), (row["rule"], row["label"]))
            order[site].append((row["pattern"], row["label"]))
    nodes = {}
    for pattern, by_label in sorted(labels.items()):
        # The label most sites use wins; ties go to the alphabetically first label.
        label = min(by_label, key=lambda lab: (-len(by_label[lab]), lab))
        nodes[pattern] = _Node(pattern, label, tuple(sorted(s for ss in by_label.values() for s in ss)), naive[pattern])
        if len(by_label) > 1:
            losers = sorted(s for lab, ss in by_label.items() if lab != label for s in ss)
            meanings = " / ".join("%s at %s" % (lab, ", ".join(sorted(ss))) for lab, ss in sorted(by_label.items()))
            conflicts.append({
                "kind": "label",
                "rows": [{"pattern": pattern, "label": lab, "sites": sorted(ss)} for lab, ss in sorted(by_label.items())],
                "message": "%s pattern %r maps to %s; no order can keep both meanings, the proposal keeps %s (used by %s)"
                           % (table, pattern, meanings, label, ", ".join(sorted(by_label[label]))),
                "suggestion": "agree one label for %r, or make the pattern more specific at %s" % (pattern, ", ".join(losers))})
    return nodes, dict((site, [nodes[p] for p, unused in order[site]]) for site in sites)


def _order(nodes, edges, rank):
    """Meaning first, each site's row order second, specificity last.

    Meaning constraints (from evidence) that contradict each other are settled
    first: inside each cycle of them the cheapest are given up. Site-order
    constraints are then kept wherever they do not contradict a kept meaning
    constraint: a Kahn pass that, when only order constraints block it,
    releases the row held by the fewest of them (breaking a site's order only
    risks descriptions no evidence mentions).
    """
    by_pattern = dict((n.pattern, n) for n in nodes)
    hard = dict((p, []) for p in by_pattern)
    soft = dict((p, []) for p in by_pattern)
    meaning = {}
    for pair, e in edges.items():
        if pair[0] in by_pattern and pair[1] in by_pattern:
            if e.evidenced:
                hard[pair[0]].append(pair[1])
                meaning[pair] = e
            else:
                soft[pair[0]].append(pair[1])
    dropped = set()
    for component in _components(hard):
        if len(component) > 1:
            dropped.update(_feedback_edges(component, meaning, by_pattern))
    hard_in = dict((p, 0) for p in by_pattern)
    soft_in = dict((p, 0) for p in by_pattern)
    for before in by_pattern:
        hard[before] = [a for a in hard[before] if (before, a) not in dropped]
        for after in hard[before]:
            hard_in[after] += 1
        for after in soft[before]:
            soft_in[after] += 1
    ready, blocked = [], []  # blocked: free of meaning constraints, held only by site order

    def offer(pattern):
        if not hard_in[pattern]:
            key = (rank.get(pattern, 1.0),) + by_pattern[pattern].key
            if soft_in[pattern]:
                heapq.heappush(blocked, (key, soft_in[pattern], pattern))
            else:
                heapq.heappush(ready, (key, pattern))

    for pattern in by_pattern:
        offer(pattern)
    placed, ordered = set(), []
    while ready or blocked:
        if ready:
            pattern = heapq.heappop(ready)[1]
        else:
            unused, count, pattern = heapq.heappop(blocked)
            if pattern in placed or count != soft_in[pattern]:
                continue  # an outdated entry: a newer one was offered
        if pattern in placed:
            continue
        placed.add(pattern)
        ordered.append(by_pattern[pattern])
        for after in hard[pattern]:
            hard_in[after] -= 1
            if after not in placed and not hard_in[after]:
                offer(after)
        for after in soft[pattern]:
            if after not in placed:
                soft_in[after] -= 1
                offer(after)
    return ordered


def _components(succ):
    """Strongly connected components (Tarjan, iterative: tables have thousands of rows)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(succ):
        if root in index:
            continue
        work = [(root, iter(sorted(succ[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def _feedback_edges(component, edges, by_pattern):
    """Edges to give up so ``component`` has no cycle (greedy Eades-Lin-Smyth, weighted).

    Sinks go to the end and sources to the front as they appear; otherwise the
    node whose outgoing weight most exceeds its incoming weight goes next. Heaps
    with lazy deletion keep it O(E log V); ties fall to the row key, so the
    result does not depend on input order.
    """
    members = set(component)
    succ = dict((m, []) for m in component)
    pred = dict((m, []) for m in component)
    for (before, after), e in edges.items():
        if before in members and after in members:
            succ[before].append((after, e.weight))
            pred[after].append((before, e.weight))
    key = dict((m, by_pattern[m].key) for m in component)
    out_degree = dict((m, len(succ[m])) for m in component)
    in_degree = dict((m, len(pred[m])) for m in component)
    delta = dict((m, sum(w for unused, w in succ[m]) - sum(w for unused, w in pred[m])) for m in component)
    sinks = [(key[m], m) for m in component if not out_degree[m]]
    sources = [(key[m], m) for m in component if not in_degree[m]]
    best = [(-delta[m], key[m], m) for m in component]
    for heap in (sinks, sources, best):
        heapq.heapify(heap)
    alive = set(component)
    left, right = [], []

    def remove(node):
        alive.discard(node)
        for after, weight in succ[node]:
            if after in alive:
                in_degree[after] -= 1
                delta[after] += weight
                heapq.heappush(best, (-delta[after], key[after], after))
                if not in_degree[after]:
                    heapq.heappush(sources, (key[after], after))
        for before, weight in pred[node]:
            if before in alive:
                out_degree[before] -= 1
                delta[before] -= weight
                heapq.heappush(best, (-delta[before], key[before], before))
                if not out_degree[before]:
                    heapq.heappush(sinks, (key[before], before))

    while alive:
        if sinks or sources:  # sinks go to the end, sources to the front
            heap, side = (sinks, right) if sinks else (sources, left)
            node = heapq.heappop(heap)[1]
            if node in alive:
                side.append(node)
                remove(node)
            continue
        negative, unused, node = heapq.heappop(best)
        if node in alive and -negative == delta[node]:
            left.append(node)
            remove(node)
    inside = [(pair, e.weight) for pair, e in edges.items() if pair[0] in members and pair[1] in members]
    best_cut = None
    # The greedy order, and the order the sites' own numbers suggest (what the naive
    # union does), each improved by sifting: keep whichever gives up less weight.
    for order in (left + right[::-1], sorted(component, key=lambda m: (by_pattern[m].naive_rule, key[m]))):
        order = _sift(order, succ, pred)
        place = dict((m, i) for i, m in enumerate(order))
        cut = [pair for pair, unused in inside if place[pair[0]] > place[pair[1]]]
        weight = sum(w for pair, w in inside if place[pair[0]] > place[pair[1]])
        if best_cut is None or weight < best_cut[0]:
            best_cut = (weight, cut)
    return set(best_cut[1])


def _sift(order, succ, pred, passes=10):
    """Local improvement of a linear order (sifting): move one row at a time to the place where the weight of
    the constraints it breaks is least, until no move helps or ``passes`` are done.

    A row's cost only changes where it passes one of its neighbours, so the best place follows from the
    neighbours' positions alone (O(degree log degree) per row). A row moves only for a strict gain, to the
    place of that cost nearest to where it is: deterministic, and close to the order it started from.
    """
    order = list(order)
    place = dict((m, i) for i, m in enumerate(order))
    for unused in range(passes):
        moved = False
        for node in list(order):
            here = place[node]
            # inserting the row just after neighbour x instead of just before it: node->x breaks, x->node heals
            change = {}
            for after, weight in succ[node]:
                change[after] = change.get(after, 0) + weight
            for before, weight in pred[node]:
                change[before] = change.get(before, 0) - weight
            if not change:
                continue
            # positions in the order without the row; inserting it at index ``here`` puts it back
            marks = sorted((place[x] - (place[x] > here), d) for x, d in change.items())
            cost = sum(w for unused_before, w in pred[node])  # at the front, every predecessor comes after it
            current = cost + sum(d for position, d in marks if position < here)
            best, low, high = cost, 0, marks[0][0]  # an index in [low, high] has cost ``best``
            for index, (position, delta) in enumerate(marks):
                cost += delta
                if cost < best:
                    best, low = cost, position + 1
                    high = marks[index + 1][0] if index + 1 < len(marks) else len(order) - 1
            if best >= current:
                continue
            target = min(max(here, low), high)
            order.pop(here)
            order.insert(target, node)
            for position in range(min(here, target), max(here, target) + 1):
                place[order[position]] = position
            moved = True
        if not moved:
            break
    return order


def _number(ordered, catch_alls, step, catch_all_rule):
    rows = [{"pattern": n.pattern, "rule": step * (i + 1), "label": n.label, "sites": list(n.sites)}
            for i, n in enumerate(ordered)]
    rule = max(catch_all_rule, step * (len(ordered) + 1))
    for n in catch_alls:
        rows.append({"pattern": n.pattern, "rule": rule, "label": n.label, "sites": list(n.sites)})
        rule += step
    return rows


def _suggest(carrier, winner, texts, against, sites):
    """A more specific row for the losing site that separates its descriptions from the other side's."""
    shared = sorted(set(texts) & against)
    if shared:
        return ("the sites disagree on the same description %r; agree one label for it (a literal row) or stop sharing "
                "this table" % shared[0])
    text = texts[0]
    pieces = sorted(set(seg for seg in carrier.row.segments + winner.row.segments if seg),
                    key=lambda seg: (text.find(seg), seg))
    candidates = []
    if all(text.find(seg) >= 0 for seg in pieces):
        candidates.append(WILDCARD + WILDCARD.join(pieces) + WILDCARD)
    candidates.append(text)
    for pattern in candidates:
        row = Row(pattern, 0, carrier.label)
        if row.matches(text) and not any(row.matches(other) for other in against):
            return ("add {pattern: %r, label: %s} at %s: it matches %r and none of the descriptions on the other side, "
                    "and is more specific than %r" % (pattern, carrier.label, ", ".join(sites), text, winner.pattern))
    return "add a literal row for %r at %s" % (text, ", ".join(sites))


def _evaluate(default, sites, evidence_by_site, own_labels, matches, tables):
    """Per site: descriptions whose label changes under the naive union and under the proposal.

    ``tables``: {name: winner label of a non-empty list of matching rows}; the
    matching rows of each description were found once, for the constraints.
    """
    report, gained = {}, {}
    for site in sites:
        entry = report[site] = dict({"descriptions": 0, "studies": 0},
                                    **dict((name, {"changed": 0, "studies": 0, "examples": []}) for name in tables))
        site_gained = {"descriptions": 0, "studies": 0, "examples": []}
        for text, (samples, count) in sorted((evidence_by_site.get(site) or {}).items()):
            entry["descriptions"] += 1
            entry["studies"] += count
            local_label, local_row = own_labels[site][text]
            found = matches(text)
            for name, winner in sorted(tables.items()):
                label = winner(found) if found else default
                if label == local_label:
                    continue
                if gains(local_row, samples):
                    if name == "synthesized":
                        site_gained["descriptions"] += 1
                        site_gained["studies"] += count
                        if len(site_gained["examples"]) < EXAMPLES:
                            site_gained["examples"].append({"description": text, "label": label, "count": count})
                    continue
                changes = entry[name]
                changes["changed"] += 1
                changes["studies"] += count
                if len(changes["examples"]) < EXAMPLES:
                    changes["examples"].append({"description": text, "from": local_label, "to": label,
                                                "count": count, "sample": bool(samples)})
        gained[site] = site_gained
    return report, gained


def _unevidenced(table, tables_by_site, sites, rows, own_tables):
    """Structural shadowing left in the proposal: orders no evidence decided (reported, not errors)."""
    default = DEFAULT_LABELS[table]
    proposed = MappingTable([Row(r["pattern"], r["rule"], r["label"], r["sites"]) for r in rows], default)
    findings = Findings()
    for site in sites:
        structural_shadowing(table, site, own_tables[site], proposed, findings)
    return [dict(f.data, site=f.cluster, message=f.message) for f in findings.sorted()]


def evidence(samples=None, corpus=None):
    """{description: (samples, corpus count)} from inventory samples and a parsed corpus."""
    merged = {}
    for sample in samples or ():
        s, c = merged.get(sample["description"], (0, 0))
        merged[sample["description"]] = (s + 1, c)
    for text, count in (corpus or {}).items():
        s, c = merged.get(text, (0, 0))
        merged[text] = (s, c + count)
    return merged
