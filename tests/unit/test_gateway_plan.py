"""The planner's DICOM gateway registry: who may do what at each cluster's gateway."""

import os

import pytest

from estate_helpers import ROOT, inventory_plan, inventory_raw

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import permissions, plan_estate

from ansible_collections.impax.cluster_link.plugins.modules.dicom_nodes import FIELDS, as_options
from ansible_collections.impax.cluster_link.plugins.module_utils.driver import Part
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MODALITIES
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.orthanc import RegistryTarget
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MODALITY_FIELDS, canonical_modalities


def registry(cluster, node=None, plan=None):
    """One gateway's registry by name (the cluster's only gateway unless ``node`` says which)."""
    plan = plan or inventory_plan(os.path.join(ROOT, "inventories", "example"))
    gateways = plan["clusters"][cluster]["gateways"]
    return dict((m["name"], m) for m in gateways[node or sorted(gateways)[0]]["modalities"]), plan


def flags(linking=True, internal=True, external=True, updates=True, prefetching=False):
    return {"cluster_linking": linking, "link_internal_queries": internal, "link_external_queries": external,
            "link_cluster_updates": updates, "link_prefetching": prefetching}


def cm_entry(outbound):
    """This cluster's Network Management entry for another cluster's CM, with this cluster's flags towards it."""
    return dict(outbound, ae_title="PEER_CM", host="peer-cm", port=104, kind="connectivity_manager", home_cluster="peer",
                station_type="HIS/RIS", capabilities={"send_storage_commit": False, "query_retrieve": False})


OFF = flags(False, False, False, False)
QUERIES_ONLY = flags(updates=False)
UPDATES_ONLY = flags(internal=False, external=False)
# (this cluster towards the peer, the peer towards this cluster) -> (find, move, store) at this cluster's gateway
BOTH_DIRECTIONS = [
    (OFF, OFF, (False, False, False)),                   # linking off both ways: echo only
    (flags(), flags(), (True, True, True)),
    (QUERIES_ONLY, flags(), (True, True, True)),         # we query it (its answers store here); it queries and updates us
    (flags(), QUERIES_ONLY, (True, True, True)),         # it queries us; we query it (answers store) and update it (it moves)
    (QUERIES_ONLY, QUERIES_ONLY, (True, True, True)),    # the example's East: no updates either way, retrieval both ways
    (QUERIES_ONLY, OFF, (False, False, True)),           # we retrieve from it; it never asks us anything
    (OFF, QUERIES_ONLY, (True, True, False)),            # it queries and retrieves from us; nothing comes back here
    (UPDATES_ONLY, OFF, (False, True, False)),           # we update it: it C-MOVEs what an update names from us
    (OFF, UPDATES_ONLY, (False, False, True)),           # it updates us: the private C-STORE
    (flags(prefetching=True, external=False, updates=False), OFF, (False, False, True)),  # prefetches from it
    (OFF, flags(linking=False, internal=True), (False, False, False)),  # sub-flags under linking off count for nothing
]


@pytest.mark.parametrize("outbound,inbound,expected", BOTH_DIRECTIONS)
def test_a_peer_cms_rights_follow_both_directions_of_the_link(outbound, inbound, expected):
    rights = permissions(cm_entry(outbound), inbound)
    assert (rights["find"], rights["move"], rights["store"]) == expected
    assert rights["echo"] and not rights["commit"]


def test_the_example_estates_east_retrieves_from_north_and_south():
    east, plan = registry("east")
    north, unused = registry("north")
    # east relays no updates to the others, but queries them: their answers to its C-MOVE must be stored
    assert not plan["clusters"]["east"]["links"]["north"]["link_cluster_updates"]
    assert east["NGH_CM"]["allow_store"] and east["SVH_CM"]["allow_store"]  # before: refused (0xC000 on C-MOVE)
    assert east["NGH_CM"]["allow_find"] and east["NGH_CM"]["allow_move"]   # north queries east
    assert north["EIC_CM"]["allow_find"] and north["EIC_CM"]["allow_move"]  # east queries north
    assert north["EIC_CM"]["allow_store"]  # north queries east: east's answers
    assert "NGH_CM" not in north  # the gateway is north's CM
    assert north["SVH_CM"]["manufacturer"] == "AgfaImpax"
    # modalities store only; review stations query and retrieve only; nobody uses C-GET or worklists
    assert north["NGH_CT1"]["allow_store"] and not north["NGH_CT1"]["allow_find"] and not north["NGH_CT1"]["allow_move"]
    assert north["NGH_READ1"]["allow_find"] and north["NGH_READ1"]["allow_move"] and not north["NGH_READ1"]["allow_store"]
    # the third-party PACS is linked for queries, and north retrieves from it (its answers store here)
    assert north["ORTHOPACS"]["allow_find"] and north["ORTHOPACS"]["allow_store"]
    assert all(not m["allow_find_worklist"] and not m["allow_get"] and m["allow_echo"] for m in north.values())
    assert plan["clusters"]["east"]["queries"] == ["north", "south"]
    summary = plan["clusters"]["east"]["gateway_permissions"]
    assert summary["store"] == {"ae_titles": ["NGH_CM", "ORTHOPACS", "SVH_CM", "SVH_CM2"], "modalities": 7}
    assert summary["retrieve"]["ae_titles"] == ["NGH_CM", "NGH_READ1", "ORTHOPACS", "SVH_CM", "SVH_CM2"]


def test_the_second_opinion_probes_with_an_ae_every_other_gateway_refuses_a_query():
    plan = inventory_plan(os.path.join(ROOT, "inventories", "example"))
    for name, cluster in plan["clusters"].items():
        probe = cluster["verify_refused_as"]
        assert probe and probe.startswith(name[0].upper()), (name, probe)  # one of its own modalities
        for other, theirs in plan["clusters"].items():
            if other != name:
                for gateway in theirs["gateways"].values():
                    entry = [m for m in gateway["modalities"] if m["ae_title"] == probe][0]
                    assert not entry["allow_find"] and not entry["allow_move"] and entry["allow_store"]


def test_a_peer_with_linking_off_both_ways_gets_echo_only():
    raw = inventory_raw(os.path.join(ROOT, "inventories", "example"))
    for me, other in (("east", "north"), ("north", "east")):
        raw["clusters"][me]["vars"]["impax_cluster"]["links"] = {other: {"cluster_linking": False}}
    plan = plan_estate(raw)
    assert plan["valid"], [f for f in plan["findings"] if f["severity"] == "error"]
    east, unused = registry("east", plan=plan)
    rights = [k for k, v in east["NGH_CM"].items() if k.startswith("allow_") and v]
    assert rights == ["allow_echo", "allow_transcoding"], rights
    assert "NGH_CM" in plan["clusters"]["east"]["gateway_permissions"]["echo_only"]["ae_titles"]
    assert "north" not in plan["clusters"]["east"]["queries"]


def test_orthanc_names_and_canonical_manufacturers():
    item = {"name": "X", "ae_title": "X", "host": "x", "port": 104, "manufacturer": "AgfaImpax", "allow_find": False}
    part = Part("modalities", "modalities", MODALITIES, [item], [], False, None)
    body = RegistryTarget(None, FIELDS).body(part, canonical_modalities([item])[0])
    assert body == {"AET": "X", "Host": "x", "Port": 104, "Manufacturer": "GenericNoWildcardInDates", "AllowFind": False}
    assert as_options({"X": body}, MODALITY_FIELDS) == [dict(canonical_modalities([item])[0])]
