"""Baseline for bench/config_db_scale.py: the same reconcile written as a plain psycopg script.

    python bench/baseline_psycopg.py DESIRED.json   (prints {"statements": N, "changed": N})
Reads the table once, writes only the rows that differ, in one transaction.
"""

import json
import sys

import psycopg


def main():
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    desired = dict((r["pattern"], (r["rule"], r["label"])) for r in job["rows"])
    statements = 0
    with psycopg.connect(**job["connection"]) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT source_pattern, rule_number, specialty FROM specialty_mapping")
            statements += 1
            current = dict((p, (r, l)) for p, r, l in cur.fetchall())
            for pattern in sorted(set(current) - set(desired)):
                cur.execute("DELETE FROM specialty_mapping WHERE source_pattern = %s", (pattern,))
                statements += 1
            for pattern, (rule, label) in sorted(desired.items()):
                if pattern not in current:
                    cur.execute("INSERT INTO specialty_mapping (source_pattern, rule_number, specialty) VALUES (%s, %s, %s)",
                                (pattern, rule, label))
                    statements += 1
                elif current[pattern] != (rule, label):
                    cur.execute("UPDATE specialty_mapping SET rule_number = %s, specialty = %s WHERE source_pattern = %s",
                                (rule, label, pattern))
                    statements += 1
        conn.commit()
    print(json.dumps({"statements": statements}))


if __name__ == "__main__":
    main()
