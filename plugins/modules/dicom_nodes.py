#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dicom_nodes
short_description: Reconcile an Orthanc DICOM gateway's modalities and peers with a cluster's desired list
version_added: 0.1.0
description:
  - Makes the DICOM modalities (and optionally the HTTP peers) an Orthanc gateway knows what O(modalities) and
    O(peers) say, in one call over one kept-alive connection.
  - Orthanc's C(PUT /modalities/{id}) replaces the whole modality and turns every omitted C(Allow*) flag on, so the
    module always sends complete objects, and compares against C(GET /modalities?expand) with Orthanc's defaults
    filled in. AE titles are validated here (Orthanc accepts anything).
  - Uses the collection's reconcile engine - C(merged), C(replaced), C(overridden), C(deleted), C(gathered),
    C(rendered), with the same guards as the database modules.
author:
  - impax.cluster_link contributors (@impax)
extends_documentation_fragment:
  - impax.cluster_link.orthanc
  - impax.cluster_link.plan_slice
options:
  url:
    description: Base URL of the Orthanc REST API, for example C(https://harbor-cm01:8042).
    type: str
    required: true
  state:
    description: How to reconcile both lists (see the collection's reconcile engine).
    type: str
    default: merged
    choices: [merged, replaced, overridden, deleted, gathered, rendered]
  modalities:
    description: The modalities. Unset fields are not managed under V(merged) and take Orthanc's default otherwise.
    type: list
    elements: dict
    suboptions:
      name:
        description: Orthanc's identifier of the modality, the key (the collection uses the AE title).
        type: str
        required: true
      ae_title:
        description: AE title of the remote node (needed to create a modality).
        type: str
      host:
        description: Host name of the remote node, resolved by the gateway at each association.
        type: str
      port:
        description: DICOM port (default 104).
        type: int
      manufacturer:
        description:
          - Orthanc's manufacturer quirks (default C(Generic)); C(AgfaImpax) for IMPAX nodes.
          - Orthanc 1.10 stores C(AgfaImpax) as C(GenericNoWildcardInDates), C(StoreScp) as
            C(GenericNoUniversalWildcard), C(EFilm2) and C(Syngo) as C(Generic); the module compares and reports
            the stored names.
        type: str
        choices: [Generic, GenericNoWildcardInDates, GenericNoUniversalWildcard, StoreScp, Vitrea, GE, AgfaImpax,
                  EFilm2, Syngo]
      allow_echo:
        description: The node may send C-ECHO (Orthanc default true).
        type: bool
      allow_find:
        description: The node may send C-FIND (Orthanc default true).
        type: bool
      allow_find_worklist:
        description: The node may query the worklist (Orthanc default true).
        type: bool
      allow_get:
        description: The node may send C-GET (Orthanc default true).
        type: bool
      allow_move:
        description: The node may send C-MOVE (Orthanc default true).
        type: bool
      allow_store:
        description: The node may send C-STORE (Orthanc default true).
        type: bool
      allow_n_action:
        description: The node may send N-ACTION, storage commitment (Orthanc default true).
        type: bool
      allow_event_report:
        description: The node may send N-EVENT-REPORT (Orthanc default true).
        type: bool
      allow_transcoding:
        description: Orthanc may transcode for this node (Orthanc default true).
        type: bool
      use_dicom_tls:
        description: DICOM TLS towards this node (default false).
        type: bool
      local_ae_title:
        description: Calling AE title Orthanc uses towards this node (default its own).
        type: str
      timeout:
        description: Association timeout in seconds (0 is Orthanc's global default).
        type: int
  peers:
    description: Orthanc peers (other gateways' REST APIs). Omit to leave peers alone.
    type: list
    elements: dict
    suboptions:
      name:
        description: Orthanc's identifier of the peer, the key.
        type: str
        required: true
      url:
        description: The peer's REST URL (needed to create a peer).
        type: str
      username:
        description: User on the peer.
        type: str
      password:
        description: Password on the peer. Orthanc never returns it, see O(update_password).
        type: str
  update_password:
    description:
      - Peer passwords cannot be read back. V(on_create) sets them when a peer is created (later runs cannot see a
        changed password); V(always) sends them on every run (always reports a change when peers are given).
    type: str
    choices: [on_create, always]
    default: on_create
  protected:
    description: Modality or peer names that are never deleted.
    type: list
    elements: str
    default: []
  allow_empty:
    description: Allow V(overridden) with empty lists, which deletes every unprotected modality.
    type: bool
    default: false
  max_deletions:
    description:
      - Fail before changing anything when more modalities, or more peers, would be deleted (each list on its own,
        as each table of M(impax.cluster_link.config_database)).
      - In check mode the module does not fail - it returns the whole plan and names the refusal in RV(refused).
    type: int
attributes:
  check_mode:
    support: full
    description: The same code plans the calls; only the writes are skipped.
  diff_mode:
    support: full
    description: Before and after keyed per modality and peer.
  idempotent:
    support: partial
    description: Fully idempotent for modalities; peers with O(update_password=always) always report a change.
"""

EXAMPLES = r"""
- name: The cluster's registry in its Orthanc gateway
  impax.cluster_link.dicom_nodes:
    url: http://harbor-cm01:8042
    username: impax
    password: "{{ impax_gateway_password }}"
    state: overridden
    modalities:
      - name: VLY_CM
        ae_title: VLY_CM
        host: valley-cm01
        port: 104
        manufacturer: AgfaImpax
        allow_find_worklist: false
"""

RETURN = r"""
modalities:
  description: C(before), C(after) (the modalities the run touches), C(commands), C(count_before), C(count_after).
  returned: for merged, replaced, overridden and deleted
  type: dict
peers:
  description: The same for peers (passwords shown as C(********)).
  returned: when O(peers) is given
  type: dict
commands:
  description: Every REST call the run makes (or would make in check mode) - method, path and body; an update also names its changed C(fields) (before, after).
  returned: for merged, replaced, overridden, deleted and rendered
  type: list
  elements: dict
gathered:
  description: C(modalities) and C(peers) in the options' shape.
  returned: for gathered
  type: dict
rendered:
  description: The complete objects O(modalities) would be stored as.
  returned: for rendered
  type: dict
refused:
  description: In check mode, what a real run refuses (O(max_deletions)), one line per list.
  returned: in check mode, when a guard would refuse
  type: list
  elements: str
calls:
  description: Number of HTTP requests made.
  returned: when connected
  type: int
service_unreachable:
  description: On failure, true when the Orthanc did not answer at all (refused, no route, timeout), false when it
    answered and refused; drift reports tell the two apart with it.
  returned: when a call failed
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.impax.cluster_link.plugins.module_utils import driver, reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN, take
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    MODALITIES, PEERS, MODALITY_FIELDS, argspec, canonical_modalities, modality_problems)
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.orthanc import (
    MASK, OrthancClient, OrthancError, RegistryTarget, quote_id)

PEER_FIELDS = dict([("url", "Url"), ("username", "Username"), ("password", "Password")])
FIELDS = {"modalities": MODALITY_FIELDS, "peers": PEER_FIELDS}


def as_options(registry, fields):
    """A registry as GET /<registry>?expand returns it, in the options' shape."""
    return [dict([("name", name)] + [(option, body[key]) for option, key in fields.items() if key in body])
            for name, body in sorted(registry.items())]


def masked(items):
    return [dict(item, password=MASK) if item.get("password") is not None else item for item in items]


def run(module):
    p = module.params
    state = p["state"]
    modalities = take(module, "from_plan", p["modalities"])
    problems = modality_problems(modalities)
    if problems:
        module.fail_json(msg="refused before any call: " + "; ".join(problems))
    guards = (p["protected"], p["allow_empty"], p["max_deletions"])
    parts = [driver.Part("modalities", "modalities", MODALITIES, canonical_modalities(modalities or []), *guards)]
    if p["peers"] is not None:
        # Orthanc stores a peer's URL with a trailing slash
        peers = [dict(i, url=i["url"].rstrip("/") + "/") if i.get("url") else i for i in p["peers"]]
        parts.append(driver.Part("peers", "peers", PEERS, peers, *guards))
    if state == "rendered":
        try:
            items = driver.rendered(parts[0])
        except reconcile.ReconcileError as exc:
            module.fail_json(msg=str(exc))
        module.exit_json(changed=False, rendered={"modalities": items},
                         commands=[{"method": "PUT", "path": "/modalities/%s" % quote_id(i["name"]),
                                    "body": dict((key, i[option]) for option, key in MODALITY_FIELDS.items()
                                                 if i.get(option) is not None)} for i in items])
    try:
        client = OrthancClient(p["url"], p["username"], p["password"], p["validate_certs"], p["ca_path"], p["timeout"])
    except OrthancError as exc:
        module.fail_json(msg=str(exc))
    if state == "gathered":
        try:
            module.exit_json(changed=False, gathered={"modalities": as_options(client.modalities(), MODALITY_FIELDS),
                                                      "peers": as_options(client.peers(), PEER_FIELDS)},
                             calls=len(client.calls))
        except OrthancError as exc:
            module.fail_json(msg=str(exc), calls=len(client.calls), service_unreachable=exc.unreachable)
        finally:
            client.close()
    wanted_passwords = None
    if p["update_password"] == "on_create":
        wanted_passwords = dict((i["name"], i.get("password")) for i in p["peers"] or [])
    out = driver.run(module, RegistryTarget(client, FIELDS, wanted_passwords), parts, "dicom_nodes")
    results = out["results"]
    result = dict(changed=out["changed"], calls=out["calls"], modalities=results["modalities"],
                  commands=[c for key in ("modalities", "peers") if key in results for c in results[key]["commands"]])
    if "peers" in results:
        peers = results["peers"]
        peers.update(before=masked(peers["before"]), after=masked(peers["after"]))
        peers.pop("diff", None)
        result["peers"] = peers
    if out.get("refused"):
        result["refused"] = out["refused"]
    if module._diff:
        modality_diff = results["modalities"].pop("diff")
        result["diff"] = {"before": {"modalities": modality_diff["before"]},
                          "after": {"modalities": modality_diff["after"]}}
    module.exit_json(**result)


def main():
    peer_spec = argspec(PEERS)
    peer_spec["password"]["no_log"] = True
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=30),
            state=dict(type="str", default="merged", choices=list(reconcile.STATES)),
            modalities=dict(type="list", elements="dict", options=argspec(MODALITIES)),
            from_plan=FROM_PLAN,
            peers=dict(type="list", elements="dict", options=peer_spec),
            update_password=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
            protected=dict(type="list", elements="str", default=[]),
            allow_empty=dict(type="bool", default=False),
            max_deletions=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    run(module)


if __name__ == "__main__":
    main()
