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
    description: Fail before changing anything when more objects would be deleted.
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
  description: Every REST call the run makes (or would make in check mode) - method, path and body.
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
calls:
  description: Number of HTTP requests made.
  returned: when connected
  type: int
fingerprint_matched:
  description:
    - C([modalities]) when the action plugin sent the list as a fingerprint and the registry held exactly that
      list - the converged re-run's short way (module_utils/fingerprints).
  returned: when the action plugin sent a probe and the registry matched
  type: list
  elements: str
needs_content:
  description:
    - C([modalities]) when the registry is not exactly the list the action plugin's probe stands for (the action
      then runs the module again with the list; a task never ends with it). Nothing was changed.
  returned: when the action plugin sent a probe and the registry differs
  type: list
  elements: str
service_unreachable:
  description: On failure, true when the Orthanc did not answer at all (refused, no route, timeout), false when it
    answered and refused; drift reports tell the two apart with it.
  returned: when a call failed
  type: bool
"""

from ansible_collections.impax.cluster_link.plugins.module_utils import fingerprints, reconcile
from ansible_collections.impax.cluster_link.plugins.module_utils.large_lists import LargeListModule
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import FROM_PLAN, refuse_unresolved
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import (
    DICOM_MODALITIES, DICOM_PEERS, MODALITY_FIELDS, argspec, canonical_modalities, modality_problems)
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.orthanc import OrthancClient, OrthancError, quote_id

# a modality as GET /modalities?expand returns it (every field; the name is the registry's key)
MODALITY_FORM = DICOM_MODALITIES.record_form(MODALITY_FIELDS)
PEER_FIELDS = dict([("url", "Url"), ("username", "Username"), ("password", "Password")])
MASK = "********"


def from_orthanc(registry, fields):
    items = []
    for name, body in sorted(registry.items()):
        item = {"name": name}
        for option, key in fields.items():
            if key in body:
                item[option] = body[key]
        items.append(item)
    return items


def full_from_orthanc(resource, registry, fields):
    """What from_orthanc gives, with defaults filled in and normalised (resource.full_normal), in one pass."""
    names = dict((key, option) for option, key in fields.items())
    return [resource.from_record(body, names, name=name) for name, body in sorted(registry.items())]


def to_orthanc(item, fields):
    return dict((key, item[option]) for option, key in fields.items() if item.get(option) is not None)


def check_input(module):
    problems = modality_problems(module.params["modalities"])
    if problems:
        module.fail_json(msg="refused before any call: " + "; ".join(problems))


def calls_for(ops, fields, kind, mask=False):
    calls = []
    for op in ops:
        path = "/%s/%s" % (kind, quote_id(op.key))
        if op.action == "delete":
            calls.append({"op": "delete", "key": op.key, "method": "DELETE", "path": path})
        else:
            body = to_orthanc(op.after, fields)
            if mask and body.get("Password") is not None:
                body["Password"] = MASK
            calls.append({"op": op.action, "key": op.key, "method": "PUT", "path": path, "body": body})
    return calls


def masked(items):
    return [dict(item, password=MASK) if item.get("password") is not None else item for item in items]


def run(module):
    refuse_unresolved(module)
    p = module.params
    state = p["state"]
    check_input(module)
    want_m = canonical_modalities(p["modalities"] or [])
    # Orthanc stores a peer's URL with a trailing slash
    want_p = None if p["peers"] is None else [dict(i, url=i["url"].rstrip("/") + "/") if i.get("url") else i for i in p["peers"]]
    if state == "rendered":
        try:
            items = reconcile.sort_items(DICOM_MODALITIES, [DICOM_MODALITIES.full_normal(i) for i in want_m])
            DICOM_MODALITIES.index(items, "modalities")
        except reconcile.ReconcileError as exc:
            module.fail_json(msg=str(exc))
        module.exit_json(changed=False, rendered={"modalities": items},
                         commands=[{"method": "PUT", "path": "/modalities/%s" % quote_id(i["name"]),
                                    "body": to_orthanc(i, MODALITY_FIELDS)} for i in items])
    client = OrthancClient(p["url"], p["username"], p["password"], p["validate_certs"], p["ca_path"], p["timeout"])
    try:
        if state == "gathered":
            module.exit_json(changed=False, gathered={"modalities": from_orthanc(client.modalities(), MODALITY_FIELDS),
                                                      "peers": from_orthanc(client.peers(), PEER_FIELDS)},
                             calls=len(client.calls))
        registry = client.modalities()
        guards = dict(protected=p["protected"], allow_empty=p["allow_empty"], max_deletions=p["max_deletions"])
        probe = module.probes.get("modalities")
        if probe is not None:  # the action sent the list's fingerprint in its place (module_utils/fingerprints)
            if state not in fingerprints.PROBED_STATES or not fingerprints.records_match(probe, registry, p["protected"]):
                module.exit_json(changed=False, needs_content=["modalities"], calls=len(client.calls))
            have_m, ops_m = registry, []  # exactly the list
        elif reconcile.unchanged(MODALITY_FORM, want_m, registry, state, p["protected"]):
            have_m, ops_m = registry, []  # converged: compared in Orthanc's own form (result() counts have_m)
        else:
            have_m = full_from_orthanc(DICOM_MODALITIES, registry, MODALITY_FIELDS)
            ops_m = reconcile.plan(DICOM_MODALITIES, want_m, have_m, state, have_normal=True, **guards)
        have_p = full_from_orthanc(DICOM_PEERS, client.peers(), PEER_FIELDS) if want_p is not None else []
        # peer passwords cannot be read back: on_create treats the stored one as the one given
        wanted_passwords = dict((i["name"], i.get("password")) for i in want_p or [])
        for item in have_p:
            item["password"] = wanted_passwords.get(item["name"]) if p["update_password"] == "on_create" else None
        ops_p = reconcile.plan(DICOM_PEERS, want_p, have_p, state, have_normal=True, **guards) if want_p is not None else []
        if p["max_deletions"] is not None:
            deletions = sum(1 for op in ops_m + ops_p if op.action == "delete")
            if deletions > p["max_deletions"]:
                module.fail_json(msg="the plan deletes %d object%s, more than max_deletions=%d; nothing was changed"
                                     % (deletions, "" if deletions == 1 else "s", p["max_deletions"]))
        result = {"changed": bool(ops_m or ops_p),
                  "modalities": reconcile.result(DICOM_MODALITIES, state, have_m, ops_m),
                  "commands": calls_for(ops_m, MODALITY_FIELDS, "modalities") + calls_for(ops_p, PEER_FIELDS, "peers", True)}
        if want_p is not None:
            peers = reconcile.result(DICOM_PEERS, state, have_p, ops_p)
            peers.update(before=masked(peers["before"]), after=masked(peers["after"]))
            peers["commands"] = [dict(c, values=dict(c["values"], password=MASK)) if c.get("values", {}).get("password")
                                 else c for c in peers["commands"]]
            result["peers"] = peers
        if module._diff:
            result["diff"] = {"before": {"modalities": reconcile.diff(DICOM_MODALITIES, result["modalities"]["before"], [])["before"]},
                              "after": {"modalities": reconcile.diff(DICOM_MODALITIES, result["modalities"]["after"], [])["before"]}}
        if (ops_m or ops_p) and not module.check_mode:
            apply(client, ops_m, MODALITY_FIELDS, "modalities", result)
            apply(client, ops_p, PEER_FIELDS, "peers", result)
            verify(module, client, have_m, ops_m)
        result["calls"] = len(client.calls)
        if probe is not None:
            result["fingerprint_matched"] = ["modalities"]
    except reconcile.ReconcileError as exc:
        module.fail_json(msg=str(exc), calls=len(client.calls))
    except OrthancError as exc:
        module.fail_json(msg=str(exc), status=exc.status, calls=len(client.calls), service_unreachable=exc.unreachable)
    finally:
        client.close()
    module.exit_json(**result)


def apply(client, ops, fields, kind, result):
    done = []
    for op in ops:
        path = "/%s/%s" % (kind, quote_id(op.key))
        try:
            if op.action == "delete":
                client.delete(path)
            else:
                client.put(path, to_orthanc(op.after, fields))
        except OrthancError as exc:
            raise OrthancError("%s (after %d of %d %s calls: %s)" % (exc, len(done), len(ops), kind,
                                                                     ", ".join(done) or "none"), exc.status, exc.body,
                               exc.unreachable)
        done.append("%s %s" % (op.action, op.key))


def verify(module, client, have, ops):
    predicted = reconcile.predict(DICOM_MODALITIES, have, ops)
    actual = reconcile.sort_items(DICOM_MODALITIES, full_from_orthanc(DICOM_MODALITIES, client.modalities(), MODALITY_FIELDS))
    if actual != predicted:
        module.warn("Orthanc holds other modality values than were written (a normalisation to fix): %s"
                    % reconcile.changed_fields(reconcile.diff(DICOM_MODALITIES, predicted, [])["before"],
                                               reconcile.diff(DICOM_MODALITIES, actual, [])["before"]))


def main():
    peer_spec = argspec(DICOM_PEERS)
    peer_spec["password"]["no_log"] = True
    module = LargeListModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=30),
            state=dict(type="str", default="merged", choices=list(reconcile.STATES)),
            modalities=dict(type="list", elements="dict", options=argspec(DICOM_MODALITIES)),
            from_plan=FROM_PLAN,
            peers=dict(type="list", elements="dict", options=peer_spec),
            update_password=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
            protected=dict(type="list", elements="str", default=[]),
            allow_empty=dict(type="bool", default=False),
            max_deletions=dict(type="int"),
        ),
        large_lists=("modalities",),
        supports_check_mode=True,
    )
    run(module)


if __name__ == "__main__":
    main()
