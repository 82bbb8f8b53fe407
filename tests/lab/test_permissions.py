"""DICOM permissions from both directions of each link, on the lab's Orthanc gateways (docs/targets.md).

The lab's summit relays no cluster updates (impax_cluster.linking.link_cluster_updates: false), so before the
permissions followed both directions its gateway refused the C-STOREs that answer its own C-MOVEs.
"""

import json
import os
import re
import shutil
import sys

import pytest
import yaml

from labutil import ROOT, playbook, recap

sys.path.insert(0, os.path.join(ROOT, "roles", "lab", "files"))
from impax_lab import Api  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")
GATEWAYS = {"harbor": "10.201.0.11", "valley": "10.201.0.21", "summit": "10.201.0.31"}
STUDY = "2.25.196730248172361728163581235125120911"  # the lab's seed study, held by harbor


def api(cluster):
    return Api(GATEWAYS[cluster], "impax", "lab-gateway-secret")


def holds_study(cluster):
    return bool(api(cluster).request("POST", "/tools/find", {"Level": "Study", "Query": {"StudyInstanceUID": STUDY}}))


@pytest.fixture(scope="module")
def rolled_out(lab):
    result, unused = playbook("link-clusters.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout


CM = {"harbor": "HBR_CM", "valley": "VLY_CM", "summit": "SMT_CM"}


def test_every_linked_pair_retrieves_the_others_prior_and_keeps_no_copy(rolled_out):
    # the lab seeds a study in every cluster; summit relays no updates, yet it retrieves: answers may store there
    for source in CM:
        for target in CM:
            if target != source:
                assert re.search(r"%s\s+-> %s \(C-MOVE\)\s+ok" % (CM[source], CM[target]), rolled_out), (source, target)
    assert holds_study("harbor") and not holds_study("valley") and not holds_study("summit")  # harbor's, only there
    summit = api("summit").get("/modalities?expand")
    assert summit["HBR_CM"]["AllowStore"] and summit["HBR_CM"]["AllowFind"] and summit["HBR_CM"]["AllowMove"]
    assert not any(m["AllowGet"] for m in summit.values())
    # the least-privilege table in the plan's summary
    # the second opinion from outside: a modality of each cluster is refused by every other gateway
    for source in CM:
        for target in CM:
            if target != source:
                assert re.search(r"pynetdicom %s_\S+\s+-> %s \(refused\)\s+ok" % (CM[source][:3], CM[target]), rolled_out), \
                    (source, target)
    flat = " ".join(rolled_out.split())  # the callback wraps long lines
    assert re.search(r"gateway of summit \(SMT_CM on summit-cm01\): may store HBR_CM, HBR_CM2, VLY_CM, \d+ modalities; "
                     r"query HBR_CM, HBR_CM2, HBR_READ1, VLY_CM", flat), \
        rolled_out[-4000:]


def association(calling, cluster, contexts):
    from pynetdicom import AE
    ae = AE(ae_title=calling)
    for context in contexts:
        ae.add_requested_context(context)
    ae.acse_timeout = ae.network_timeout = ae.connection_timeout = 10
    return ae, ae.associate(GATEWAYS[cluster], 104, ae_title={"harbor": "HBR_CM", "valley": "VLY_CM", "summit": "SMT_CM"}[cluster])


def study_query():
    from pydicom.dataset import Dataset
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = STUDY
    return query


def find_answers(calling, cluster):
    """(association established, identifiers answered, last status) of a C-FIND as ``calling``."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND  # pylint: disable=no-name-in-module
    ae, assoc = association(calling, cluster, [FIND])
    try:
        if not assoc.is_established:
            return False, 0, None
        answers, last = 0, None
        for status, identifier in assoc.send_c_find(study_query(), FIND):
            last = status.Status if status else None
            answers += identifier is not None and last in (0xFF00, 0xFF01)
        assoc.release()
        return True, answers, last
    finally:
        ae.shutdown()


def move_status(calling, cluster, destination):
    """(association established, last status) of a C-MOVE of the study as ``calling``, to ``destination``."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelMove as MOVE  # pylint: disable=no-name-in-module
    ae, assoc = association(calling, cluster, [MOVE])
    try:
        if not assoc.is_established:
            return False, None
        last = None
        for status, unused in assoc.send_c_move(study_query(), destination, MOVE):
            last = status.Status if status else None
        assoc.release()
        return True, last
    finally:
        ae.shutdown()


def test_a_modality_may_not_query_a_gateway_and_a_peer_may(rolled_out):
    # the second opinion from outside, as each calling AE: HBR_CT1 is a modality (store only)
    assert find_answers("VLY_CM", "harbor")[1] == 1  # a linked peer that queries harbor finds the study
    established, answers, last = find_answers("HBR_CT1", "harbor")
    assert answers == 0 and (not established or last != 0x0000), (established, answers, last)


def test_a_permission_granted_by_hand_is_drift_and_corrected(rolled_out, tmp_path):
    harbor = api("harbor")
    read1 = harbor.get("/modalities?expand")["HBR_READ1"]
    assert read1["AllowMove"] and not read1["AllowStore"]
    read1["AllowStore"] = True  # a review station needs none: someone turned it on in the gateway
    harbor.put("/modalities/HBR_READ1", read1)
    reports = tmp_path / "drift"
    drift, unused = playbook("playbooks/drift_check.yml", "-e", "impax_report_dir=%s" % reports)
    assert drift.returncode != 0 and "drift (exit status 2)" in drift.stdout, drift.stdout[-3000:]
    with open(reports / "drift-impax-lab.json") as handle:
        report = json.load(handle)
    dicom = report["clusters"]["harbor"]["resources"]["dicom"]
    assert dicom["status"] == "drift", dicom
    objects = dicom["targets"][0]["objects"]
    assert [(o["key"], sorted(o["fields"])) for o in objects] == [("modality HBR_READ1", ["allow_store"])], objects
    assert report["clusters"]["harbor"]["permissions"]["store"]["ae_titles"] == ["SMT_CM", "VLY_CM"]
    with open(reports / "drift-impax-lab.md") as handle:
        assert "Gateway permissions (least privilege, as planned)" in handle.read()
    fixed, unused = playbook("link-clusters.yml", "--tags", "gateway")
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    assert not harbor.get("/modalities?expand")["HBR_READ1"]["AllowStore"]


def test_a_peer_with_linking_off_may_not_retrieve(rolled_out, tmp_path):
    inventory = tmp_path / "apart"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    for me, other in (("valley", "summit"), ("summit", "valley")):
        path = inventory / "group_vars" / me / "cluster.yml"
        data = yaml.safe_load(path.read_text())
        data["impax_cluster"]["links"] = {other: {"cluster_linking": False}}
        path.write_text(yaml.safe_dump(data))
    try:
        apart, unused = playbook("link-clusters.yml", inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT)
        assert apart.returncode == 0, apart.stdout[-4000:]
        # valley still retrieves from harbor; between valley and summit, echo only
        assert re.search(r"VLY_CM\s+-> HBR_CM \(C-MOVE\)\s+ok", apart.stdout), apart.stdout[-4000:]
        assert re.search(r"VLY_CM\s+-> HBR_CM2 \(C-MOVE\)\s+ok", apart.stdout), apart.stdout[-4000:]
        vly = api("summit").get("/modalities?expand")["VLY_CM"]
        assert vly["AllowEcho"] and not (vly["AllowFind"] or vly["AllowMove"] or vly["AllowStore"]), vly
        # summit retrieves a copy from harbor, so what summit refuses valley below is refused for the right
        established, last = move_status("SMT_CM", "harbor", "SMT_CM")
        assert established and last == 0x0000 and holds_study("summit"), last
        established, last = move_status("VLY_CM", "summit", "VLY_CM")
        # refused: no association, a failure status, or (Orthanc 1.10) the association aborted without an answer
        assert (not established or last != 0x0000) and not holds_study("valley"), last
        established, last = move_status("VLY_CM", "harbor", "VLY_CM")  # harbor still lets valley retrieve
        assert established and last == 0x0000 and holds_study("valley"), last
        assert dict((h, r["failed"]) for h, r in recap(apart.stdout).items() if r["failed"]) == {}
    finally:
        for cluster in ("valley", "summit"):
            for study in api(cluster).request("POST", "/tools/find", {"Level": "Study", "Query": {"StudyInstanceUID": STUDY}}) or []:
                api(cluster).request("DELETE", "/studies/%s" % study)
        back, unused = playbook("link-clusters.yml")
        assert back.returncode == 0, back.stdout[-3000:]
