"""KB 10665 on the lab's databases: a modality archives only in its home cluster; everywhere else it is a Visitor."""

import json
import os
import sqlite3

import pytest
import yaml

from labutil import LAB_DIR, ROOT, playbook, recap

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")
CLUSTERS = ("harbor", "summit", "valley")


def inventory_sources():
    """{AE title: (home cluster, visitor)} of every source of the lab inventory, read from its files."""
    sources = {}
    for cluster in CLUSTERS:
        with open(os.path.join(ROOT, "inventories", "lab", "group_vars", cluster, "stations.yml")) as handle:
            for station in yaml.safe_load(handle)["impax_stations"]:
                if station.get("station_type", "Acquisition Station") == "Acquisition Station":
                    sources[station["ae_title"]] = (cluster, bool(station.get("visitor")))
    return sources


def source_rows(cluster):
    """{AE title: (visitor, automatic_archiving)} as the cluster's database holds them."""
    db = sqlite3.connect(os.path.join(LAB_DIR, "db", "%s.sqlite" % cluster))
    try:
        return dict((ae, (bool(visitor), bool(archiving))) for ae, visitor, archiving in
                    db.execute("SELECT ae_title, visitor, automatic_archiving FROM source_station"))
    finally:
        db.close()


def test_every_remote_source_is_a_visitor_and_every_local_one_archives(lab):
    result, unused = playbook("link-clusters.yml", "--skip-tags", "verify")
    assert result.returncode == 0, result.stdout[-3000:]
    sources = inventory_sources()
    for cluster in CLUSTERS:
        rows = source_rows(cluster)
        assert sorted(rows) == sorted(sources), cluster  # every cluster holds every source
        for ae_title, (home, visitor) in sorted(sources.items()):
            if home == cluster:
                assert rows[ae_title] == (visitor, not visitor), (cluster, ae_title, rows[ae_title])
            else:
                assert rows[ae_title] == (True, False), (cluster, ae_title, "a Visitor away from home")
        assert any(home == cluster for home, unused in sources.values())
        assert any(home != cluster for home, unused in sources.values())


def test_a_brownfield_remote_row_that_archives_is_drift_and_the_rollout_corrects_it(lab, tmp_path):
    result, unused = playbook("link-clusters.yml", "--skip-tags", "verify")
    assert result.returncode == 0, result.stdout[-3000:]
    remote = sorted(ae for ae, (home, visitor) in inventory_sources().items() if home == "summit" and not visitor)[0]
    db = sqlite3.connect(os.path.join(LAB_DIR, "db", "harbor.sqlite"), isolation_level=None)
    try:  # the way Administration Tools left it before KB 10665 was applied: harbor archives summit's studies
        db.execute("UPDATE source_station SET visitor = 0, automatic_archiving = 1 WHERE ae_title = ?", (remote,))
    finally:
        db.close()
    assert source_rows("harbor")[remote] == (False, True)

    reports = tmp_path / "drift"
    drift, unused = playbook("playbooks/drift_check.yml", "-e", "impax_report_dir=%s" % reports)
    assert drift.returncode != 0 and "drift (exit status 2)" in drift.stdout, drift.stdout[-3000:]
    with open(reports / "drift-impax-lab.json") as handle:
        report = json.load(handle)
    assert report["status"] == "drift"
    drifted = sorted((name, resource) for name, cluster in report["clusters"].items()
                     for resource, entry in cluster["resources"].items() if entry["status"] == "drift")
    assert drifted == [("harbor", "sources")], drifted
    assert remote in json.dumps(report["clusters"]["harbor"]["resources"]["sources"])

    fixed, unused = playbook("link-clusters.yml", "--skip-tags", "verify", "--diff")
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    assert dict((h, r["changed"]) for h, r in recap(fixed.stdout).items() if r["changed"]) == {"harbor-db01": 1}
    assert source_rows("harbor")[remote] == (True, False)
    again, unused = playbook("link-clusters.yml", "--skip-tags", "verify")
    assert not [h for h, r in recap(again.stdout).items() if r["changed"]], again.stdout[-3000:]
