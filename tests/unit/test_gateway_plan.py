"""The planner's DICOM gateway registry: who may do what at each cluster's gateway."""

import os

from estate_helpers import ROOT, inventory_plan

from ansible_collections.impax.cluster_link.plugins.modules.dicom_nodes import FIELDS, as_options
from ansible_collections.impax.cluster_link.plugins.module_utils.driver import Part
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MODALITIES
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.orthanc import RegistryTarget
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MODALITY_FIELDS, canonical_modalities


def registry(cluster):
    plan = inventory_plan(os.path.join(ROOT, "inventories", "example"))
    return dict((m["name"], m) for m in plan["clusters"][cluster]["gateway_modalities"]), plan


def test_registry_permissions_follow_network_management():
    north, plan = registry("north")
    assert "NGH_CM" not in north  # the gateway is north's CM
    assert north["SVH_CM"]["manufacturer"] == "AgfaImpax"
    assert north["SVH_CM"]["allow_find"] and north["SVH_CM"]["allow_move"] and north["SVH_CM"]["allow_store"]
    # east sends no cluster updates: north's gateway takes queries from EIC_CM but no C-STORE
    east_to_north = [e for e in plan["clusters"]["east"]["network_management"] if e["ae_title"] == "NGH_CM"][0]
    assert not east_to_north["link_cluster_updates"]
    assert north["EIC_CM"]["allow_find"] and north["EIC_CM"]["allow_store"]  # north's flags towards east allow updates
    east, unused = registry("east")
    assert east["NGH_CM"]["allow_find"] and not east["NGH_CM"]["allow_store"]
    # modalities store, and may not query; review stations query and retrieve
    assert north["NGH_CT1"]["allow_store"] and not north["NGH_CT1"]["allow_find"]
    assert north["NGH_READ1"]["allow_find"] and not north["NGH_READ1"]["allow_store"]
    # the third-party PACS queries but never sends IMPAX updates
    assert north["ORTHOPACS"]["allow_find"] and not north["ORTHOPACS"]["allow_store"]
    assert all(not m["allow_find_worklist"] and m["allow_echo"] for m in north.values())


def test_orthanc_names_and_canonical_manufacturers():
    item = {"name": "X", "ae_title": "X", "host": "x", "port": 104, "manufacturer": "AgfaImpax", "allow_find": False}
    part = Part("modalities", "modalities", MODALITIES, [item], [], False, None)
    body = RegistryTarget(None, FIELDS).body(part, canonical_modalities([item])[0])
    assert body == {"AET": "X", "Host": "x", "Port": 104, "Manufacturer": "GenericNoWildcardInDates", "AllowFind": False}
    assert as_options({"X": body}, MODALITY_FIELDS) == [dict(canonical_modalities([item])[0])]
