"""Benchmark: synthesise one global mapping table for a large estate.

10 sites x 1,000 rows x a corpus of 5,000 descriptions per site (issue target:
under 10 s on this machine). Two vocabularies:

- ``radiology`` (the default): a shared radiology vocabulary - modalities, body
  regions with the specialty each means, qualifiers - that occurs at every
  site, as real study descriptions do ("CT ANGIO HEAD WWO", "MR L SPINE WO");
  rows are ``%REGION%``, ``%MOD%REGION%``, ``MOD REGION%`` and two-region
  patterns, so many rows of different sites match the same descriptions;
- ``random``: random words whose letters occur inside other words (harsher).

Each site orders its rows by specificity, then by a shared priority of regions
jittered per site; ``habits`` of a site's rows carry a label of its own. Reports
the wall time of the synthesis (including the evaluation of every corpus under
the naive union and under the proposal, and the check of every site's whole
order) and what it found. A benchmark, not a test: it prints figures.
"""

import argparse
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "lab")]
import conftest  # noqa: E402  (makes ansible_collections.impax.cluster_link importable)
from labutil import report_figures  # noqa: E402

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.synthesis import evidence, synthesize  # noqa: E402


assert conftest.COLLECTIONS in sys.path

MODALITIES = ["CT", "MR", "XR", "US", "NM", "PET", "MG", "FL", "DX", "CR"]
LABELS = ["NEURO", "CHEST", "ABDO", "MSK", "BREAST", "CARDIAC", "VASC", "PEDS", "ENT", "GU", "ONCO", "BODY"]


# a shared radiology vocabulary: region -> the specialty it means
REGIONS = {
    "HEAD": "NEURO", "BRAIN": "NEURO", "SKULL": "NEURO", "ORBITS": "NEURO", "IAC": "ENT", "PITUITARY": "NEURO",
    "SINUS": "ENT", "NECK": "ENT", "FACE": "ENT", "C SPINE": "NEURO", "T SPINE": "MSK", "L SPINE": "MSK",
    "SPINE": "MSK", "CHEST": "CHEST", "THORAX": "CHEST", "LUNG": "CHEST", "RIBS": "CHEST", "HEART": "CARDIAC",
    "CARDIAC": "CARDIAC", "CORONARY": "CARDIAC", "ABDOMEN": "ABDO", "ABD": "ABDO", "LIVER": "ABDO",
    "PANCREAS": "ABDO", "KIDNEY": "GU", "RENAL": "GU", "PELVIS": "ABDO", "PROSTATE": "GU", "BLADDER": "GU",
    "SCROTUM": "GU", "KNEE": "MSK", "HIP": "MSK", "SHOULDER": "MSK", "ANKLE": "MSK", "WRIST": "MSK", "ELBOW": "MSK",
    "HAND": "MSK", "FOOT": "MSK", "FEMUR": "MSK", "TIBIA": "MSK", "BREAST": "BREAST", "MAMMO": "BREAST",
    "ANGIO": "VASC", "AORTA": "VASC", "CAROTID": "VASC", "VENOUS": "VASC", "RUNOFF": "VASC", "STAGING": "ONCO",
    "WHOLE BODY": "ONCO", "INFANT": "PEDS", "NEONATE": "PEDS", "SKELETAL SURVEY": "PEDS",
}
QUALIFIERS = ["WO", "W", "WWO", "LEFT", "RIGHT", "BILAT", "LIMITED", "PORTABLE", "2V", "3V", "FOLLOW UP", "BIOPSY",
              "GUIDED", "PROTOCOL", "SCREENING", "DIAGNOSTIC"]


def radiology(sites, rows, corpus, seed=7, habits=0.02):
    """Sites share the vocabulary and what each region means, and roughly which region decides first (a shared
    priority, jittered per site); a description names one region or, one in five, two (the contested ones)."""
    rng = random.Random(seed)
    regions = sorted(REGIONS)
    priority = dict((w, i) for i, w in enumerate(rng.sample(regions, len(regions))))
    candidates = []
    for region in regions:
        candidates.append(("%%%s%%" % region, region))
        for modality in MODALITIES:
            candidates.append(("%%%s%%%s%%" % (modality, region), region))
            candidates.append(("%s %s%%" % (modality, region), region))
        for other in regions:
            if other != region:
                candidates.append(("%%%s%%%s%%" % (region, other), min(region, other, key=priority.get)))
    tables, ev = {}, {}
    for s in range(sites):
        site = "site%02d" % s
        local = {}
        for pattern, region in rng.sample(candidates, rows - 1):
            label = REGIONS[region]
            if rng.random() < habits:
                label = rng.choice(LABELS[:-1])  # a site's own habit (like South's %CT% -> ABDO)
            local[pattern] = (label, region)
        tables[site] = site_table(local, priority, rng)
        texts = {}
        while len(texts) < corpus:
            parts = [rng.choice(MODALITIES)] + rng.sample(regions, 2 if rng.random() < 0.2 else 1)
            if rng.random() < 0.5:
                parts.append(rng.choice(QUALIFIERS))
            texts[" ".join(parts)] = int(rng.paretovariate(1.2))
        samples = [{"description": t, "label": "?"} for t in sorted(texts)[:20]]
        ev[site] = evidence(samples, texts)
    return tables, ev


def site_table(local, priority, rng):
    """A site's rows numbered in its own order: specific rows (two literal parts) before generic ones, then the
    shared priority of the word that decides, jittered; the catch-all last."""
    ordered = sorted(local.items(), key=lambda item: (-item[0].strip("%").count("%") - (" " in item[0]),
                                                      priority[item[1][1]] + rng.gauss(0, 2)))
    table = [{"pattern": p, "rule": 10 * (i + 1), "label": lab} for i, (p, (lab, unused)) in enumerate(ordered)]
    return table + [{"pattern": "%", "rule": 1000000, "label": "BODY"}]


def vocabulary(size, rng):
    letters = "ABCDEFGHIJKLMNOPRSTUVWZ"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for unused in range(rng.randint(4, 8))))
    return sorted(words)


def row_for(rng, words, meaning):
    """A row as sites write them; its label is what the word means (shared across sites)."""
    word = rng.choice(words)
    shape = rng.random()
    if shape < 0.5:
        pattern = "%%%s%%" % word
    elif shape < 0.8:
        pattern = "%%%s%%%s%%" % (rng.choice(MODALITIES), word)
    else:
        pattern = "%s %s%%" % (rng.choice(MODALITIES), word)
    return pattern, (meaning[word], word)


def synthetic(sites, rows, corpus, seed=7, habits=0.02):
    """Sites agree on what words mean and roughly on which word decides first (a shared priority,
    jittered per site); ``habits`` of a site's rows are its own (e.g. %CT% -> ABDO)."""
    rng = random.Random(seed)
    words = vocabulary(max(200, rows // 2), rng)
    meaning = dict((w, rng.choice(LABELS[:-1])) for w in words)
    priority = dict((w, i) for i, w in enumerate(rng.sample(words, len(words))))
    priority.update((m, len(words)) for m in MODALITIES)
    shared = {}
    while len(shared) < rows // 3:
        pattern, label = row_for(rng, words, meaning)
        shared[pattern] = label
    tables, ev = {}, {}
    for s in range(sites):
        site = "site%02d" % s
        local = dict(rng.sample(sorted(shared.items()), len(shared) // 2))
        while len(local) < rows - 1:
            pattern, label = row_for(rng, words, meaning)
            if rng.random() < habits:
                word = rng.choice(MODALITIES + words)
                pattern, label = "%%%s%%" % word, (rng.choice(LABELS[:-1]), word)
            local.setdefault(pattern, label)
        tables[site] = site_table(local, priority, rng)
        texts = {}
        while len(texts) < corpus:
            # most descriptions name one region; some name two (the contested ones)
            parts = [rng.choice(MODALITIES)] + rng.sample(words, 2 if rng.random() < 0.15 else 1)
            if rng.random() < 0.3:
                parts.append(rng.choice(["WO", "W", "WWO", "LEFT", "RIGHT", "BILAT"]))
            texts[" ".join(parts)] = rng.randint(1, 200)
        samples = [{"description": t, "label": "?"} for t in sorted(texts)[:20]]
        ev[site] = evidence(samples, texts)
    return tables, ev


def contested(tables, result):
    """Reversed pairs (a before b at one site, b first in the proposal) that another site holding both puts b
    first: those break some site's order whatever the proposal. The others disagree through chains of rows."""
    places = dict((site, dict((r["pattern"], i) for i, r in enumerate(sorted(rows, key=lambda r: (r["rule"], r["pattern"])))))
                  for site, rows in tables.items())
    count = 0
    for conflict in result["conflicts"]:
        if conflict["kind"] != "order":
            continue
        before = conflict["broken"]["before"]
        pairs = [(p["site"], p["after"]) for p in conflict["pairs"]]
        pairs += [(site, after) for site, afters in conflict["untried"].items() for after in afters]
        for site, after in pairs:
            if any(other != site and after in place and before in place and place[after] < place[before]
                   for other, place in places.items()):
                count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--corpus", type=int, default=5000)
    parser.add_argument("--habits", type=float, default=0.02, help="share of rows with a site's own label")
    parser.add_argument("--vocabulary", choices=["radiology", "random"], default="radiology")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--contested", action="store_true",
                        help="also count the reversed pairs another site holding both rows orders the other way "
                             "(a minute more)")
    args = parser.parse_args()

    figures = {"estate": "%d sites x %d rows x %d corpus descriptions, %s vocabulary" % (
        args.sites, args.rows, args.corpus, args.vocabulary), "target_seconds": 10}
    make = radiology if args.vocabulary == "radiology" else synthetic
    # habits: the share of a site's rows with a label of its own (like South's %CT% -> ABDO);
    # with none, the sites agree on what every word means and differ only in row order.
    for habits in (args.habits, 0.0):
        tables, ev = make(args.sites, args.rows, args.corpus, habits=habits)
        start = time.perf_counter()
        result = synthesize("specialty", tables, ev)
        wall = time.perf_counter() - start
        figures["habits_%g" % habits] = {
            "synthesis_seconds": round(wall, 3),
            "global_rows": len(result["rows"]),
            "meaning_constraints": result["constraints"]["meaning"],
            "order_constraints": result["constraints"]["order"],
            "constraints_given_up": result["constraints"]["broken"],
            "conflicts_by_kind": dict((k, sum(1 for c in result["conflicts"] if c["kind"] == k))
                                      for k in sorted(set(c["kind"] for c in result["conflicts"]))),
            "descriptions_changed_naive_union": sum(r["naive"]["changed"] for r in result["report"].values()),
            "descriptions_changed_synthesized": sum(r["synthesized"]["changed"] for r in result["report"].values()),
            "studies_changed_naive_union": sum(r["naive"]["studies"] for r in result["report"].values()),
            "studies_changed_synthesized": sum(r["synthesized"]["studies"] for r in result["report"].values()),
            "descriptions_gained": sum(g["descriptions"] for g in result["gained"].values()),
            "unevidenced_structural": len(result["unevidenced"]),
            "given_up_before_improvement": [result["repair"]["descriptions_lost_before"], result["repair"]["studies_lost_before"]],
            "given_up_after_improvement": [result["repair"]["descriptions_lost_after"], result["repair"]["studies_lost_after"]],
            "site_order_breaks": sum(c["pair_count"] for c in result["conflicts"] if c["kind"] == "order"),
            "site_order_breaks_with_example": sum(1 for c in result["conflicts"] if c["kind"] == "order"
                                                  for pair in c["pairs"] if pair["example"]),
            "rows_overtaken": sum(1 for c in result["conflicts"] if c["kind"] == "order"),
            "rows_overtaken_with_example": sum(1 for c in result["conflicts"] if c["kind"] == "order" and c["proof"]),
            "conflict_lines": len(result["conflicts"]),
        }
        if args.contested:
            figures["habits_%g" % habits]["site_order_breaks_ordered_otherwise_by_another_site"] = contested(
                tables, result)
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
