"""Export round trip: what the plan puts in a cluster comes back in the inventory's shape."""

import os

from estate_helpers import ROOT, inventory_plan, inventory_raw

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.export import to_inventory

NM_META = ("kind", "home_cluster")
SOURCE_META = ("host", "modality", "home_cm_ae_title", "home_cluster")


def strip(items, keys):
    return [dict((k, v) for k, v in item.items() if k not in keys) for item in items]


def test_plan_exports_back_to_the_inventory():
    path = os.path.join(ROOT, "inventories", "lab")
    plan = inventory_plan(path)
    raw = inventory_raw(path)
    for name, cluster in plan["clusters"].items():
        exported = to_inventory(name, strip(cluster["network_management"], NM_META), strip(cluster["sources"], SOURCE_META),
                                cluster["mappings"])
        inventory = raw["clusters"][name]["vars"]
        assert exported["impax_connectivity_managers"] == [
            dict((k, v) for k, v in cm.items() if k != "port") for cm in inventory["impax_connectivity_managers"]]
        sources = [dict((k, v) for k, v in st.items() if k not in ("ip", "modality"))
                   for st in inventory["impax_stations"] if st.get("station_type", "Acquisition Station") == "Acquisition Station"]
        assert sorted(exported["impax_stations"], key=lambda s: s["ae_title"]) == sorted(sources, key=lambda s: s["ae_title"])
        assert exported["impax_mappings"]["specialty"] == cluster["mappings"]["specialty"]


def test_stations_that_are_neither_cms_nor_sources_are_listed_to_be_placed():
    path = os.path.join(ROOT, "inventories", "lab")
    plan = inventory_plan(path)
    for name, cluster in plan["clusters"].items():
        exported = to_inventory(name, strip(cluster["network_management"], NM_META), strip(cluster["sources"], SOURCE_META),
                                cluster["mappings"])
        # harbor's review station is in every cluster's Network Management, and no source or CM is listed with it
        assert exported["network_management_only"] == [
            {"station_name": "READ1", "ae_title": "HBR_READ1", "host": "hbr-read1", "station_type": "Review Station",
             "capabilities": {"transmit_to_station": True, "query_retrieve": False, "query_user_information": False,
                              "send_key_images_only": False, "send_multiframe": False, "send_storage_commit": False}}
        ], (name, exported["network_management_only"])
