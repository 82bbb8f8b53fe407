"""Benchmark: validate, build supersets and plan a large synthetic estate.

10 clusters x 2,000 stations each x 3 mapping tables of 1,000 rows per site, so
every cluster's plan holds all 20,000 stations. Reports wall time and peak
memory for validation + supersets + planning, and the structural shadowing
analysis as its own figure (with a half-size run to show how it grows).
A benchmark, not a test: it prints figures; targets are in the issue.
"""

import argparse
import json
import os
import random
import resource
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import conftest  # noqa: E402  (makes ansible_collections.impax.cluster_link importable)

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import planner, rules  # noqa: E402
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.model import Estate  # noqa: E402

WORDS = ["HEAD", "BRAIN", "CHEST", "THORAX", "ABD", "PELVIS", "KNEE", "SPINE", "SHOULDER", "HAND", "FOOT", "NECK",
         "CARDIAC", "LUNG", "LIVER", "KIDNEY", "HIP", "ANKLE", "WRIST", "ELBOW", "SINUS", "ORBIT", "FACE", "BREAST"]
LABELS = ["NEURO", "CHEST", "ABDO", "MSK", "BREAST", "CARDIAC", "BODY"]
CATCH_ALL = {"body_part": "DEFAULT", "specialty": "BODY", "patient_location": "SITE"}


assert conftest.COLLECTIONS in sys.path


def synthetic(clusters, stations, rows, seed=1):
    rng = random.Random(seed)
    raw = {"estate": {"name": "bench", "patient_identity": {"gpi_source": "EMPI"},
                      "specialty_catalog": dict((label, label.lower()) for label in LABELS),
                      "patient_location_superset": True},
           "clusters": {}, "origins": {}}
    for c in range(clusters):
        name = "c%02d" % c
        cm = "C%02d_CM" % c
        nodes = [{"hostname": "%s-cm" % name, "ip": "10.%d.0.10" % c, "roles": ["connectivity_manager"]},
                 {"hostname": "%s-app" % name, "ip": "10.%d.0.20" % c, "roles": ["application"]},
                 {"hostname": "%s-db" % name, "ip": "10.%d.0.30" % c, "roles": ["database"]}]
        st = [{"station_name": "S%02d_%05d" % (c, i), "ae_title": "S%02d_%05d" % (c, i), "host": "%s-st%05d" % (name, i),
               "ip": "10.%d.%d.%d" % (c, 1 + i // 250, 1 + i % 250), "institution": "Hospital %02d" % c,
               "department": "Radiology", "home_cm": cm} for i in range(stations)]
        tables, samples = {}, {}
        for table in ("body_part", "specialty", "patient_location"):
            site = []
            for i in range(rows - 1):
                if i % 10 == 0:
                    # every tenth row is a code all sites share, with the same label and number
                    shared = random.Random(i)
                    words = shared.sample(WORDS, 2)
                    pattern = "%%%s%%%s%%S%04d%%" % (words[0], words[1], i)
                    label, rule = shared.choice(LABELS), 10 * (i + 1)
                else:
                    words = rng.sample(WORDS, 2)
                    pattern = "%%%s%%%s%%%02d%04d%%" % (words[0], words[1], c, i)
                    label, rule = rng.choice(LABELS), 10 * (i + 1) + c + 1
                if table == "patient_location":
                    pattern = "W%02d%04d%%" % (c, i)
                site.append({"pattern": pattern, "rule": rule, "label": label})
            site.append({"pattern": "%", "rule": 1000000, "label": CATCH_ALL[table]})
            tables[table] = site
            samples[table] = [{"description": r["pattern"].replace("%", " ").strip(), "label": r["label"]}
                              for r in site[:50]]
        raw["clusters"][name] = {"vars": {"impax_cluster": {"name": name},
                                          "impax_connectivity_managers": [{"station_name": cm, "ae_title": cm,
                                                                           "host": "%s-cm" % name}],
                                          "impax_stations": st, "impax_mappings": tables,
                                          "impax_mapping_samples": samples},
                                 "nodes": nodes}
    return raw


def measure(raw, structural):
    """Wall time of one run, then peak traced memory of a second run (tracing slows Python down)."""
    start = time.perf_counter()
    plan = planner.plan_estate(json.loads(json.dumps(raw)), structural=structural)
    wall = time.perf_counter() - start
    tracemalloc.start()
    planner.plan_estate(raw, structural=structural)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return plan, wall, peak


def structural_only(raw):
    estate = Estate(raw)
    start = time.perf_counter()
    before = len(estate.findings)
    tables = rules.mapping_tables(estate)
    from ansible_collections.impax.cluster_link.plugins.module_utils.estate import mapping
    for table, by_site in tables.items():
        rows = mapping.build_superset(table, by_site, estate.findings)
        superset = mapping.MappingTable(rows, mapping.DEFAULT_LABELS[table])
        for site in by_site:
            own = mapping.MappingTable(mapping.site_rows(by_site[site], site), mapping.DEFAULT_LABELS[table])
            mapping.structural_shadowing(table, site, own, superset, estate.findings)
    return time.perf_counter() - start, sum(1 for f in estate.findings[before:] if f.rule == "ICL203")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    raw = synthetic(args.clusters, args.stations, args.rows)
    plan, wall, peak = measure(json.loads(json.dumps(raw)), structural=False)
    figures = {
        "estate": "%d clusters x %d stations x 3 tables x %d rows/site" % (args.clusters, args.stations, args.rows),
        "valid": plan["valid"],
        "stations_per_cluster_plan": len(plan["clusters"]["c00"]["sources"]) if plan["valid"] else None,
        "validate_supersets_plan_seconds": round(wall, 3),
        "validate_supersets_plan_peak_mb": round(peak / 2 ** 20, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    full, findings = structural_only(json.loads(json.dumps(raw)))
    figures.update({"structural_shadowing_seconds": round(full, 3), "structural_shadowing_findings": findings})
    # growth: the same analysis with a quarter, half and double the rows per site (stations do not matter here)
    series = {}
    for rows in (args.rows // 4, args.rows // 2, args.rows, args.rows * 2):
        seconds = full if rows == args.rows else structural_only(synthetic(args.clusters, 10, rows))[0]
        series[rows] = round(seconds, 3)
    figures["structural_seconds_by_rows_per_site"] = series
    figures["structural_ms_per_site_row"] = dict((rows, round(1000 * sec / (rows * args.clusters), 3))
                                                 for rows, sec in series.items())
    for key, value in figures.items():
        print("%-40s %s" % (key, value))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)


if __name__ == "__main__":
    main()
