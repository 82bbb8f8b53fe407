#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dicom_verify
short_description: Check DICOM links live - C-ECHO and C-FIND from a gateway, or C-ECHO with pynetdicom
version_added: 0.1.0
description:
  - With O(method=orthanc), asks an Orthanc gateway to C-ECHO each of O(targets) (modalities it knows, so the
    association goes to the target's host name as the gateway resolves it) and, with O(find), to C-FIND a study
    by its Study Instance UID on each of O(find.targets).
  - With O(method=pynetdicom), the node running the module is the SCU itself (an independent second opinion);
    it C-ECHOes each target's host and port with O(calling_ae_title).
  - Returns one row per check (target, ok or the error text, seconds) and, unless O(fail_on_error=false), fails
    with a table of every broken link.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.orthanc
options:
  url:
    description: Base URL of the Orthanc REST API (for O(method=orthanc)).
    type: str
  method:
    description: Who makes the associations.
    type: str
    choices: [orthanc, pynetdicom]
    default: orthanc
  source:
    description: Name of the checking side in the result rows (for example the cluster).
    type: str
    default: ""
  targets:
    description: What to C-ECHO.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The modality's name in the gateway (O(method=orthanc)), and the label of the row.
        type: str
        required: true
      ae_title:
        description: Called AE title (O(method=pynetdicom)).
        type: str
      host:
        description: Host name to connect to (O(method=pynetdicom)).
        type: str
      port:
        description: DICOM port (O(method=pynetdicom)).
        type: int
        default: 104
      cluster:
        description: The target's cluster, for O(studies[].cluster).
        type: str
  calling_ae_title:
    description: Calling AE title for O(method=pynetdicom).
    type: str
    default: IMPAX_VERIFY
  refused_as:
    description:
      - With O(method=pynetdicom), also C-FIND each target as this AE title, one its gateway must refuse (a modality,
        registered to store only) - least privilege checked from outside. A C-FIND that is answered is an error row.
    type: str
  resolve:
    description:
      - Host name to address for O(method=pynetdicom), for a node whose resolver does not know the estate's names
        (the controller of a lab). Names not listed are resolved normally.
    type: dict
    default: {}
  find:
    description: A cross-cluster C-FIND (O(method=orthanc)).
    type: dict
    suboptions:
      study_instance_uid:
        description: The study to find.
        type: str
        required: true
      targets:
        description: Modality names to query.
        type: list
        elements: str
        required: true
  studies:
    description:
      - Known studies to look for in other clusters (O(method=orthanc)) - each is found (C-FIND) on its O(studies[].targets)
        and, with O(studies[].retrieve), retrieved as a radiologist retrieves a prior - the gateway C-MOVEs it
        from each target to itself. The target's CM answers with C-STOREs, so this proves the permissions of both
        gateways for both directions. A study this gateway did not hold before is deleted again once it arrived.
      - The retrieval is not run in check mode (it stores and deletes a study); the result says so.
    type: list
    elements: dict
    default: []
    suboptions:
      study_instance_uid:
        description: The study.
        type: str
        required: true
      cluster:
        description: The cluster that holds it - its targets are those of O(targets) with this O(targets[].cluster).
        type: str
      targets:
        description: Modality names to look in instead (one of O(studies[].cluster) and this is required).
        type: list
        elements: str
      retrieve:
        description: Also retrieve it (C-MOVE), not only find it.
        type: bool
        default: true
      timeout:
        description: Seconds to wait for the study to arrive.
        type: int
        default: 60
  fail_on_error:
    description: Fail when a check fails.
    type: bool
    default: true
attributes:
  check_mode:
    support: partial
    description: Can run in check mode.
    details: C-ECHO and C-FIND run in check mode too; the retrieval of O(studies) does not (it stores a study).
  diff_mode:
    support: none
    description: Nothing is changed.
requirements:
  - pynetdicom for O(method=pynetdicom)
"""

EXAMPLES = r"""
- name: C-ECHO every other cluster's CM from this gateway, and find the seeded study
  impax.cluster_link.dicom_verify:
    url: http://harbor-cm01:8042
    username: impax
    password: "{{ impax_gateway_password }}"
    source: harbor
    targets: [{name: VLY_CM}, {name: SMT_CM}]
    find:
      study_instance_uid: 1.2.826.0.1.3680043.8.498.1
      targets: [VLY_CM, SMT_CM]
    studies:
      - study_instance_uid: 1.2.826.0.1.3680043.8.498.2
        targets: [VLY_CM]

- name: Second opinion from the controller
  impax.cluster_link.dicom_verify:
    method: pynetdicom
    calling_ae_title: HBR_CM
    targets: [{name: VLY_CM, ae_title: VLY_CM, host: valley-cm01, port: 104}]
  delegate_to: localhost
"""

RETURN = r"""
echo:
  description: One row per C-ECHO - source, target, status (C(ok) or C(error)), detail, seconds.
  returned: always
  type: list
  elements: dict
find:
  description: One row per C-FIND (O(find) and O(studies)) - source, target, study, status, matches, detail, seconds.
  returned: when O(find) or O(studies) is given
  type: list
  elements: dict
retrieve:
  description: One row per C-MOVE - source, target, study, status, detail, seconds (empty in check mode).
  returned: when O(studies) is given
  type: list
  elements: dict
ok:
  description: Whether every check passed.
  returned: always
  type: bool
table:
  description: The rows as aligned text lines.
  returned: always
  type: list
  elements: str
"""

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.impax.cluster_link.plugins.module_utils.targets.orthanc import OrthancClient, OrthancError, quote_id

try:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification  # pylint: disable=no-name-in-module
    HAS_PYNETDICOM = True
except ImportError:
    HAS_PYNETDICOM = False


def row(source, target, ok, detail, seconds, **extra):
    out = {"source": source, "target": target, "status": "ok" if ok else "error", "detail": detail,
           "seconds": round(seconds, 3)}
    out.update(extra)
    return out


def orthanc_checks(module, client):
    p = module.params
    echoes, finds, moves = [], [], []
    for target in p["targets"]:
        start = time.perf_counter()
        try:
            client.post("/modalities/%s/echo" % quote_id(target["name"]), {})
            echoes.append(row(p["source"], target["name"], True, "", time.perf_counter() - start))
        except OrthancError as exc:
            echoes.append(row(p["source"], target["name"], False, _detail(exc), time.perf_counter() - start))
    studies = list(p["studies"])
    if p["find"]:
        studies.insert(0, dict(p["find"], retrieve=False))
    for study in studies:
        names = study["targets"] or [t["name"] for t in p["targets"] if t.get("cluster") == study["cluster"]]
        if not names:
            finds.append(row(p["source"], study["cluster"], False, "no target of cluster %s to look in" % study["cluster"],
                             0.0, matches=0, study=study["study_instance_uid"]))
        for name in names:
            finds.append(find_check(p["source"], client, name, study["study_instance_uid"]))
            if study["retrieve"] and not module.check_mode:
                moves.append(retrieve_check(p["source"], client, name, study["study_instance_uid"], study["timeout"]))
    return echoes, finds, moves


def find_check(source, client, name, uid):
    start = time.perf_counter()
    try:
        query = client.post("/modalities/%s/query" % quote_id(name), {"Level": "Study", "Query": {"StudyInstanceUID": uid}})
        answers = client.get("/queries/%s/answers" % quote_id(query["ID"])) or []
        client.delete("/queries/%s" % quote_id(query["ID"]))
        return row(source, name, bool(answers), "" if answers else "study %s not found" % uid,
                   time.perf_counter() - start, matches=len(answers), study=uid)
    except OrthancError as exc:
        return row(source, name, False, _detail(exc), time.perf_counter() - start, matches=0, study=uid)


def _local_study(client, uid):
    """Orthanc's ID of the study if this gateway holds it, else None."""
    found = client.post("/tools/find", {"Level": "Study", "Query": {"StudyInstanceUID": uid}}) or []
    return found[0] if found else None


def retrieve_check(source, client, name, uid, timeout):
    """C-MOVE the study from ``name`` to this gateway, wait for it, delete it again unless it was here."""
    start = time.perf_counter()
    try:
        held = _local_study(client, uid)
        client.post("/modalities/%s/move" % quote_id(name),
                    {"Level": "Study", "Resources": [{"StudyInstanceUID": uid}], "Synchronous": True})
        arrived = held
        while arrived is None and time.perf_counter() - start < timeout:
            arrived = _local_study(client, uid)
            if arrived is None:
                time.sleep(0.2)
        if arrived is not None and held is None:
            client.delete("/studies/%s" % quote_id(arrived))
        return row(source, name, arrived is not None, "" if arrived is not None else "study %s did not arrive" % uid,
                   time.perf_counter() - start, study=uid)
    except OrthancError as exc:
        return row(source, name, False, _detail(exc), time.perf_counter() - start, study=uid)


def _detail(exc):
    """Orthanc's own words (for example 'Attempt to connect to unknown host: valley-cm01')."""
    import json
    try:
        return json.loads(exc.body).get("Details") or str(exc)
    except (TypeError, ValueError, AttributeError):
        return str(exc)


def pynetdicom_checks(module):
    p = module.params
    if not HAS_PYNETDICOM:
        module.fail_json(msg=missing_required_lib("pynetdicom"))
    rows = []
    for target in p["targets"]:
        ae = AE(ae_title=p["calling_ae_title"])
        ae.add_requested_context(Verification)
        ae.acse_timeout = ae.network_timeout = ae.connection_timeout = 10
        address = p["resolve"].get(target.get("host"), target.get("host"))
        start = time.perf_counter()
        try:
            assoc = ae.associate(address, target["port"], ae_title=target.get("ae_title") or target["name"])
            if assoc.is_established:
                status = assoc.send_c_echo()
                assoc.release()
                ok = bool(status) and status.Status == 0
                rows.append(row(p["calling_ae_title"], target["name"], ok, "" if ok else "C-ECHO status %s" % status,
                                time.perf_counter() - start))
            else:
                reason = "association rejected" if assoc.is_rejected else "association aborted or no answer"
                rows.append(row(p["calling_ae_title"], target["name"], False, "%s (%s:%s)" % (reason, address, target["port"]),
                                time.perf_counter() - start))
        except (OSError, ValueError) as exc:
            rows.append(row(p["calling_ae_title"], target["name"], False, str(exc), time.perf_counter() - start))
        finally:
            ae.shutdown()
    return rows


def refusal_checks(module):
    """C-FIND each target as O(refused_as): ok when refused (association rejected or aborted, or a failure)."""
    from pydicom.dataset import Dataset
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND  # pylint: disable=no-name-in-module
    p = module.params
    rows = []
    for target in p["targets"]:
        ae = AE(ae_title=p["refused_as"])
        ae.add_requested_context(FIND)
        ae.acse_timeout = ae.network_timeout = ae.connection_timeout = ae.dimse_timeout = 10
        address = p["resolve"].get(target.get("host"), target.get("host"))
        query = Dataset()
        query.QueryRetrieveLevel = "STUDY"
        query.StudyInstanceUID = ""
        start, answered = time.perf_counter(), None
        try:
            assoc = ae.associate(address, target["port"], ae_title=target.get("ae_title") or target["name"])
            if assoc.is_established:
                statuses = [status.Status for status, unused in assoc.send_c_find(query, FIND) if status]
                answered = "C-FIND answered (status %s)" % ", ".join("0x%04X" % s for s in statuses) \
                    if statuses and statuses[-1] == 0x0000 else None
                assoc.release()
        except (OSError, ValueError) as exc:
            rows.append(row(p["refused_as"], "%s (refused)" % target["name"], False, str(exc), time.perf_counter() - start))
            continue
        finally:
            ae.shutdown()
        rows.append(row(p["refused_as"], "%s (refused)" % target["name"], answered is None,
                        answered or "", time.perf_counter() - start))
    return rows


def table(rows):
    lines = []
    for r in rows:
        extra = " matches=%d" % r["matches"] if "matches" in r else ""
        values = (r["source"], r["target"], r["status"], r["seconds"], extra, r["detail"])
        lines.append("%-12s -> %-16s %-5s %6.3fs%s %s" % values)
    return lines


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=30),
            method=dict(type="str", choices=["orthanc", "pynetdicom"], default="orthanc"),
            source=dict(type="str", default=""),
            targets=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True), ae_title=dict(type="str"), host=dict(type="str"),
                port=dict(type="int", default=104), cluster=dict(type="str"))),
            calling_ae_title=dict(type="str", default="IMPAX_VERIFY"),
            refused_as=dict(type="str"),
            resolve=dict(type="dict", default={}),
            find=dict(type="dict", options=dict(study_instance_uid=dict(type="str", required=True),
                                                targets=dict(type="list", elements="str", required=True))),
            studies=dict(type="list", elements="dict", default=[], required_one_of=[("cluster", "targets")], options=dict(
                study_instance_uid=dict(type="str", required=True), cluster=dict(type="str"),
                targets=dict(type="list", elements="str"), retrieve=dict(type="bool", default=True),
                timeout=dict(type="int", default=60))),
            fail_on_error=dict(type="bool", default=True),
        ),
        required_if=[("method", "orthanc", ("url",))],
        supports_check_mode=True,
    )
    p = module.params
    finds, moves = [], []
    if p["method"] == "orthanc":
        client = OrthancClient(p["url"], p["username"], p["password"], p["validate_certs"], p["ca_path"], p["timeout"])
        try:
            echoes, finds, moves = orthanc_checks(module, client)
        finally:
            client.close()
    else:
        echoes = pynetdicom_checks(module)
        if p["refused_as"]:
            echoes += refusal_checks(module)
    rows = echoes + finds + [dict(r, target="%s (C-MOVE)" % r["target"]) for r in moves]
    ok = all(r["status"] == "ok" for r in rows)
    result = dict(changed=False, echo=echoes, ok=ok, table=table(rows))
    if p["find"] or p["studies"]:
        result["find"] = finds
    if p["studies"]:
        result["retrieve"] = moves
        if module.check_mode and any(study["retrieve"] for study in p["studies"]):
            module.warn("dicom_verify: the retrieval is not run in check mode (it stores a study)")
    if not ok and p["fail_on_error"]:
        broken = [line for line, r in zip(table(rows), rows) if r["status"] != "ok"]
        module.fail_json(msg="%d of %d DICOM checks failed:\n%s" % (len(broken), len(rows), "\n".join(broken)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
