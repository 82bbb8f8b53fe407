"""Molecule verify (drift): out-of-band changes are reported exactly, corrected where the policy allows, and
the report renders (headless Chromium screenshot, SVG naming every cluster and link).

The tests run in file order: each step builds on the state the previous one left.
"""

import html as html_text
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from labhost import ROOT, host, orthanc, plan, sql, sql_write  # noqa: E402

BIN = os.path.join(ROOT, ".venv", "bin")
REPORTS = os.path.join(ROOT, "build", "molecule", "drift")
STATE = {}


def drift_check(*extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               IMPAX_PROJECT_DIR=ROOT, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "playbooks/drift_check.yml", "-i", "inventories/lab",
                           "-e", "impax_report_dir=%s" % REPORTS] + list(extra),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    with open(os.path.join(REPORTS, "drift-impax-lab.json")) as handle:
        return done, json.load(handle)


def drifted(report):
    """{(cluster, resource, where): (status, objects)} of everything not in sync."""
    return dict(((name, resource, target["where"]), (target["status"], target["objects"]))
                for name, cluster in report["clusters"].items()
                for resource, entry in cluster["resources"].items()
                for target in entry["targets"] if target["status"] != "in_sync")


def test_out_of_band_changes_are_made():
    lab = plan()
    # 1. a hand edit inside valley-as01's managed hosts block: harbor-cm01 moved to another address
    harbor = [e for e in lab["hosts_table"] if e["hostname"] == "harbor-cm01"][0]
    node = host("valley-as01")
    edit = ("import sys; p = '/etc/hosts'; t = open(p).read(); old = sys.argv[1] + chr(9) + sys.argv[2]; "
            "assert t.count(old) == 1; open(p, 'w').write(t.replace(old, '10.201.0.250' + chr(9) + sys.argv[2]))")
    node.check_output("%s/.venv/bin/python -c %s %s %s", ROOT, edit, harbor["ip"], "harbor-cm01")
    # 2. a modality deleted in summit's Orthanc
    modalities = orthanc("summit", "/modalities")
    victim = sorted(modalities)[0]
    host("summit-cm01").check_output("curl -sf -X DELETE -u impax:lab-gateway-secret http://summit-cm01:8042/modalities/%s",
                                     victim)
    # 3. a mapping row changed in harbor's database
    row = [r for r in lab["clusters"]["harbor"]["mappings"]["specialty"] if r["pattern"] != "%"][0]
    other = "MSK" if row["label"] != "MSK" else "CHEST"
    assert sql_write("harbor", "UPDATE specialty_mapping SET specialty = '%s' WHERE source_pattern = '%s'"
                     % (other, row["pattern"])) == 1
    # 4. a linking flag flipped in valley's Network Management (its entry for harbor's CM)
    assert sql_write("valley", "UPDATE network_station SET link_prefetching = 0 WHERE ae_title = 'HBR_CM'") == 1
    STATE.update(harbor_ip=harbor["ip"], victim=victim, row=row, other=other)


def test_drift_check_reports_exactly_those_changes():
    done, report = drift_check()
    assert done.returncode != 0, done.stdout
    assert report["status"] == "drift" and report["exit_status"] == 2
    found = drifted(report)
    assert sorted(found) == sorted([("valley", "hosts", "valley-as01"), ("summit", "dicom", "summit-cm01"),
                                    ("harbor", "mappings.specialty", "harbor-db01"),
                                    ("valley", "network_management", "valley-db01")]), found
    assert all(status == "drift" for status, unused in found.values())
    hosts = found[("valley", "hosts", "valley-as01")][1]
    assert hosts == [{"key": "harbor-cm01", "op": "update",
                      "fields": {"ip": {"before": "10.201.0.250", "after": STATE["harbor_ip"]}}}]
    dicom = found[("summit", "dicom", "summit-cm01")][1]
    assert [(o["op"], o["key"]) for o in dicom] == [("create", "modality %s" % STATE["victim"])], dicom
    mapping = found[("harbor", "mappings.specialty", "harbor-db01")][1]
    assert len(mapping) == 1 and mapping[0]["op"] == "update" and mapping[0]["key"] == STATE["row"]["pattern"]
    assert mapping[0]["fields"] == {"label": {"before": STATE["other"], "after": STATE["row"]["label"]}}
    flags = found[("valley", "network_management", "valley-db01")][1]
    assert len(flags) == 1 and flags[0]["key"] == "HBR_CM"
    assert flags[0]["fields"] == {"link_prefetching": {"before": False, "after": True}}
    # nothing was written: the edits are still there
    assert "10.201.0.250" in host("valley-as01").file("/etc/hosts").content_string
    assert STATE["victim"] not in orthanc("summit", "/modalities")


def test_report_renders_in_chromium_with_every_cluster_and_link():
    from PIL import Image

    html = os.path.join(REPORTS, "drift-impax-lab.html")
    shot = os.path.join(REPORTS, "drift-report.png")
    if os.path.exists(shot):
        os.unlink(shot)
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1400,1000", "--screenshot=%s" % shot, "file://%s" % html],
                   capture_output=True, text=True, timeout=120, check=True)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1400, 1000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # text, the picture, the coloured status cells: not a blank page
    background = max(colours)[0] / float(image.size[0] * image.size[1])
    assert background < 0.97
    with open(os.path.join(REPORTS, "drift-impax-lab.svg")) as handle:
        svg = html_text.unescape(handle.read())
    lab = plan()
    for cluster in lab["clusters"]:
        assert "%s (" % cluster in svg
        for other in lab["clusters"][cluster]["links"]:
            assert "%s->%s" % (cluster, other) in svg


def test_correct_fixes_what_the_policy_allows_and_reports_the_rest():
    done, report = drift_check("-e", "impax_drift_correct=true")
    found = drifted(report)
    assert found[("valley", "hosts", "valley-as01")][0] == "corrected"
    assert found[("summit", "dicom", "summit-cm01")][0] == "corrected"
    assert found[("harbor", "mappings.specialty", "harbor-db01")][0] == "drift"  # policy window: no window open
    assert found[("valley", "network_management", "valley-db01")][0] == "drift"  # policy report
    assert report["status"] == "drift" and done.returncode != 0
    assert "10.201.0.250" not in host("valley-as01").file("/etc/hosts").content_string
    assert STATE["victim"] in orthanc("summit", "/modalities")
    assert sql("harbor", "SELECT specialty FROM specialty_mapping WHERE source_pattern = '%s'"
               % STATE["row"]["pattern"]) == [[STATE["other"]]]
    assert sql("valley", "SELECT link_prefetching FROM network_station WHERE ae_title = 'HBR_CM'") == [[0]]


def test_after_the_approved_rollout_the_estate_is_in_sync():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               IMPAX_PROJECT_DIR=ROOT)
    rollout = subprocess.run([os.path.join(BIN, "ansible-playbook"), "link-clusters.yml", "-i", "inventories/lab"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert rollout.returncode == 0, rollout.stdout[-3000:]
    done, report = drift_check()
    assert done.returncode == 0, done.stdout[-3000:]
    assert report["status"] == "in_sync" and report["exit_status"] == 0 and drifted(report) == {}


@pytest.fixture(autouse=True, scope="module")
def reports_folder():
    os.makedirs(REPORTS, exist_ok=True)
