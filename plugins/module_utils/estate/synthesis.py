# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Superset synthesis: one global rule order that keeps every site's meaning.

A naive superset keeps each row's own rule number, so another site's row with
a lower number can take a local description (shadowing). The synthesiser
renumbers the union instead. It turns what each site means into precedence
constraints between rows and orders the rows by them:

1. order: each site's rows keep their relative order (consecutive rows of a
   site give an edge);
2. meaning: for every description of a site's evidence (samples, corpus) that
   the site's own table maps through one of its own rows (not the catch-all)
   to label L, the most specific row of the union that matches it with label L
   must come before every row that matches it with another label;
3. free rows: more literal characters first, then pattern text; catch-all
   rows go last.

Contradictions show up as cycles (strongly connected components). Inside a
component the edges to give up are chosen greedily (Eades-Lin-Smyth, weighted
by evidence: a declared sample outweighs any corpus count, order-only edges
weigh least); every constraint the final order breaks is reported with the
cycle that forced it and a suggested fix. The result is then evaluated
against every site's evidence, so the reported label changes are measured,
not inferred. See docs/mappings.md.
"""

from __future__ import annotations

import csv
import heapq
import io

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import Findings
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.mapping import (
    DEFAULT_LABELS, MappingTable, Row, WILDCARD, patterns_intersect, site_rows, structural_shadowing, underscore_readings)

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
    """``before`` must precede ``after``; why, and how much breaking it costs."""
    __slots__ = ("before", "after", "weight", "order_sites", "evidence", "relevant")

    def __init__(self, before, after):
        self.before, self.after = before, after
        self.weight = 0
        self.order_sites = []
        self.evidence = {}  # site -> [(description, samples, corpus count)]
        self.relevant = False  # order edge between rows that can give one string two labels

    @property
    def evidenced(self):
        return bool(self.evidence)

    def as_dict(self):
        return {"before": self.before.pattern, "before_label": self.before.label,
                "after": self.after.pattern, "after_label": self.after.label,
                "order_of": sorted(self.order_sites),
                "evidence": dict((site, [{"description": d, "samples": s, "count": c} for d, s, c in items[:EXAMPLES]])
                                 for site, items in sorted(self.evidence.items()))}


def synthesize(table, tables_by_site, evidence_by_site=None, catch_all_rule=1000000, step=10, structural=True):
    """Propose one global table for ``table``.

    ``tables_by_site``: {site: [{pattern, rule, label}]}; ``evidence_by_site``:
    {site: {description: (samples, corpus count)}}. Returns a dict with
    ``rows`` (renumbered, with their sites), ``conflicts``, ``relaxed`` (site
    orders given up where the order changes no label), ``gained`` and a per
    site ``report`` comparing the naive union with the proposal.
    """
    _refuse_duplicates(table, tables_by_site)
    evidence_by_site = evidence_by_site or {}
    default = DEFAULT_LABELS[table]
    sites = sorted(tables_by_site)
    conflicts = []
    nodes, site_order = _unify(table, tables_by_site, sites, conflicts)
    own_tables = dict((site, MappingTable(site_rows(tables_by_site[site], site), default)) for site in sites)
    union_index = MappingTable([n.row for n in nodes.values()], default)

    edges = {}

    def edge(before, after):
        found = edges.get((before.pattern, after.pattern))
        if found is None:
            found = edges[(before.pattern, after.pattern)] = _Edge(before, after)
        return found

    for site in sites:
        order = site_order[site]
        for first, second in zip(order, order[1:]):
            if first.catch_all or second.catch_all:
                continue  # catch-alls go last anyway; rows after a site's catch-all were dead there
            found = edge(first, second)
            found.order_sites.append(site)
            found.weight += ORDER_WEIGHT
            found.relevant = found.relevant or (first.label != second.label and patterns_intersect(first.row, second.row))

    matches_of = {}

    def matches(text):
        found = matches_of.get(text)
        if found is None:
            found = matches_of[text] = [nodes[r.pattern] for r in union_index.all_matches(text)]
        return found

    own_labels = {}
    for site in sites:
        own = own_tables[site]
        labels = own_labels[site] = {}
        for text, (samples, count) in sorted((evidence_by_site.get(site) or {}).items()):
            row = own.lookup(text)
            labels[text] = (row.label if row is not None else default, row)
            if row is None or row.is_catch_all:
                continue
            if nodes[row.pattern].label != row.label:
                continue  # the pattern's label is contested: reported by _unify
            found_rows = matches(text)
            # Any row with the site's label may win; the most specific one carries the
            # constraint, so sites that agree on a description constrain the same row.
            carrier = min((n for n in found_rows if n.label == row.label and not n.catch_all), key=lambda n: n.key)
            for other in found_rows:
                if other.label != row.label and not other.catch_all:
                    found = edge(carrier, other)
                    found.weight += samples * SAMPLE_WEIGHT + count
                    found.evidence.setdefault(site, []).append((text, samples, count))

    ordered = _order([n for n in nodes.values() if not n.catch_all], edges)
    catch_alls = sorted((n for n in nodes.values() if n.catch_all), key=lambda n: (-len(n.sites), n.key))
    rows = _number(ordered, catch_alls, step, catch_all_rule)
    position = dict((r["pattern"], i) for i, r in enumerate(rows))

    relaxed = []
    broken = [e for e in edges.values() if position[e.before.pattern] > position[e.after.pattern]]
    succ = {}
    for before, after in sorted(edges):
        succ.setdefault(before, []).append(after)
    for broken_edge in sorted(broken, key=lambda e: (-e.weight, e.before.key, e.after.key)):
        if not broken_edge.evidenced and not broken_edge.relevant:
            relaxed.append({"before": broken_edge.before.pattern, "after": broken_edge.after.pattern,
                            "order_of": sorted(broken_edge.order_sites),
                            "why": "the rows cannot give one description two labels, so their order changes nothing"})
            continue
        conflicts.append(_explain(broken_edge, edges, succ))
    if len(set(n.label for n in catch_alls)) > 1:
        losers = sorted(set(s for n in catch_alls[1:] for s in n.sites))
        conflicts.append({
            "kind": "catch_all",
            "rows": [{"pattern": n.pattern, "label": n.label, "sites": list(n.sites)} for n in catch_alls],
            "message": "the catch-all rows give different labels; %r wins, so descriptions no row matches change label "
                       "at %s" % (catch_alls[0].pattern, ", ".join(losers)),
            "suggestion": "agree one catch-all label (KB 9513: %% -> %s at %d)" % (default, catch_all_rule)})

    result = {"table": table, "rows": rows, "conflicts": conflicts, "relaxed": relaxed,
              "constraints": {"order": sum(1 for e in edges.values() if e.order_sites),
                              "meaning": sum(1 for e in edges.values() if e.evidenced),
                              "broken": len(broken)}}
    naive_order = dict((n.pattern, (n.naive_rule, n.pattern)) for n in nodes.values())
    result["report"], result["gained"] = _evaluate(default, sites, evidence_by_site, own_labels, matches, {
        "naive": lambda found: min(found, key=lambda n: naive_order[n.pattern]).naive_label,
        "synthesized": lambda found: min(found, key=lambda n: position[n.pattern]).label})
    if structural:
        result["unevidenced"] = _unevidenced(table, tables_by_site, sites, rows, own_tables)
    proposed = [Row(r["pattern"], r["rule"], r["label"], r["sites"]) for r in rows]
    result["underscore_readings"] = [
        {"site": site, "pattern": pattern, "description": text, "literal_label": literal, "wildcard_label": wildcard}
        for site in sites
        for pattern, text, literal, wildcard in underscore_readings(table, proposed, sorted(evidence_by_site.get(site) or {}))]
    return result


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


def _order(nodes, edges):
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
            if soft_in[pattern]:
                heapq.heappush(blocked, (soft_in[pattern], by_pattern[pattern].key, pattern))
            else:
                heapq.heappush(ready, (by_pattern[pattern].key, pattern))

    for pattern in by_pattern:
        offer(pattern)
    placed, ordered = set(), []
    while ready or blocked:
        if ready:
            pattern = heapq.heappop(ready)[1]
        else:
            count, unused, pattern = heapq.heappop(blocked)
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


def _explain(broken, edges, succ):
    """A broken constraint, the cycle that forced it, and a suggested fix."""
    path = _path(broken.after.pattern, broken.before.pattern, edges, succ)
    opposing = [edges[pair] for pair in path]
    texts = [d for items in broken.evidence.values() for d, unused_s, unused_c in items]
    against = set(d for e in opposing for items in e.evidence.values() for d, unused_s, unused_c in items)
    kind = "cycle" if broken.evidenced else "order"
    sites = sorted(set(broken.evidence) | set(broken.order_sites))
    message = "%r (%s) must come before %r (%s) for %s" % (
        broken.before.pattern, broken.before.label, broken.after.pattern, broken.after.label,
        "; ".join("%s: %s" % (site, ", ".join(repr(d) for d, unused_s, unused_c in items[:EXAMPLES]))
                  for site, items in sorted(broken.evidence.items()))
        or "the row order of %s" % ", ".join(sorted(broken.order_sites)))
    if opposing:
        message += ", but %s" % "; ".join(
            "%r must come before %r for %s" % (e.before.pattern, e.after.pattern, "; ".join(
                "%s: %s" % (site, ", ".join(repr(d) for d, unused_s, unused_c in items[:EXAMPLES]))
                for site, items in sorted(e.evidence.items())) or "the row order of %s" % ", ".join(sorted(e.order_sites)))
            for e in opposing)
    return {"kind": kind, "sites": sites, "broken": broken.as_dict(), "cycle": [e.as_dict() for e in opposing],
            "message": message, "descriptions": texts[:EXAMPLES],
            "suggestion": _suggest(broken, texts, against, sites)}


def _path(start, goal, edges, succ, limit=2000):
    """Shortest chain of constraint edges from ``start`` to ``goal`` (breadth first, bounded).

    Most conflicts are two sites pulling one pair of rows both ways (the
    reverse edge); longer cycles are searched for among at most ``limit`` rows.
    """
    if (start, goal) in edges:
        return [(start, goal)]
    previous, frontier, visited = {start: None}, [start], 0
    while frontier and goal not in previous and visited < limit:
        following = []
        for node in frontier:
            visited += 1
            for after in succ.get(node, ()):
                if after not in previous:
                    previous[after] = node
                    following.append(after)
        frontier = following
    if goal not in previous:
        return []
    chain, node = [], goal
    while previous[node] is not None:
        chain.append((previous[node], node))
        node = previous[node]
    return chain[::-1]


def _suggest(broken, texts, against, sites):
    """A more specific row for the losing site that separates its descriptions from the other side's."""
    if not texts:
        return ("decide whether %r or %r should win where both match (add a sample saying so), or make one of them "
                "more specific" % (broken.before.pattern, broken.after.pattern))
    shared = sorted(set(texts) & against)
    if shared:
        return ("the sites disagree on the same description %r; agree one label for it (a literal row) or stop sharing "
                "this table" % shared[0])
    text = texts[0]
    pieces = sorted(set(seg for seg in broken.before.row.segments + broken.after.row.segments if seg),
                    key=lambda seg: (text.find(seg), seg))
    candidates = []
    if all(text.find(seg) >= 0 for seg in pieces):
        candidates.append(WILDCARD + WILDCARD.join(pieces) + WILDCARD)
    candidates.append(text)
    for pattern in candidates:
        row = Row(pattern, 0, broken.before.label)
        if row.matches(text) and not any(row.matches(other) for other in against):
            return ("add {pattern: %r, label: %s} at %s: it matches %r and none of the descriptions on the other side, "
                    "and is more specific than %r" % (pattern, broken.before.label, ", ".join(sites), text,
                                                      broken.after.pattern))
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
                if local_row is None or local_row.is_catch_all:
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
