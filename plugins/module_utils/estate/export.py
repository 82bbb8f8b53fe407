# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From what a live cluster holds (gathered lists) back to the inventory's shape.

A cluster's database holds every station of the estate; the cluster's own are
the sources whose home CM is one of its CMs, and its CMs are the HIS/RIS
stations named as such. What cannot be known from the database (IP addresses:
they live in the hosts tables) is left out, so the result is a starting point
that ``estate_plan`` then validates. Network Management stations that are neither a CM nor a source
(review stations, PACS, external destinations) come back as ``network_management_only``: the database does
not say which cluster they belong to.
"""

from __future__ import annotations

NM_FIELDS = ("port", "alias", "validation_level", "capabilities")
SOURCE_FIELDS = ("institution", "department", "home_cm", "visitor", "automatic_archiving", "his_verification",
                 "his_notifications", "study_observed_notifications", "demographic_layout")
CM_DEFAULTS = {"port": 104, "validation_level": "WARN", "study_observed_notifications": False}


def _lean(item, defaults):
    """Drop values equal to the inventory defaults, so the exported files stay short."""
    return dict((k, v) for k, v in item.items() if v is not None and defaults.get(k, object()) != v)


def _station_item(station, station_name, ae_title, default_type=None):
    """A station's Network Management part in the shape of an ``impax_stations`` entry."""
    item = {"station_name": station_name, "ae_title": ae_title, "host": station.get("host"),
            "station_type": station.get("station_type") or default_type}
    for field in NM_FIELDS:
        item[field] = station.get(field)
    if item.get("capabilities") and not any(item["capabilities"].values()):
        item.pop("capabilities")
    return item


def to_inventory(cluster, network_stations, sources, mappings, local_cms=None):
    """{impax_connectivity_managers, impax_stations, impax_mappings} of one cluster."""
    by_ae = dict((s["ae_title"], s) for s in network_stations)
    his = [s for s in network_stations if s.get("station_type") == "HIS/RIS"]
    if local_cms is None:  # the cluster's own CMs carry no linking flags towards themselves
        local_cms = [s["station_name"] for s in his if not s.get("cluster_linking")]
    local_cms = set(local_cms)
    cms = []
    for station in sorted(his, key=lambda s: s["station_name"]):
        if station["station_name"] in local_cms:
            cm = {"station_name": station["station_name"], "host": station["host"], "ae_title": station["ae_title"],
                  "port": station.get("port"), "alias": station.get("alias"),
                  "validation_level": station.get("validation_level"),
                  "study_observed_notifications": station.get("study_observed_notifications")}
            cms.append(_lean(cm, CM_DEFAULTS))
    stations = []
    for source in sorted(sources, key=lambda s: s["ae_title"]):
        if source.get("home_cm") not in local_cms:
            continue
        station = by_ae.get(source["ae_title"], {})
        item = _station_item(station, source["station_name"], source["ae_title"], "Acquisition Station")
        for field in SOURCE_FIELDS:
            item[field] = source.get(field)
        if item.get("his_verification") == {"study_identification": ["accession_number"],
                                            "patient_identification": "patient_id",
                                            "accession_number_identifies_patient": False}:
            item.pop("his_verification")
        if item.get("automatic_archiving") == (not item.get("visitor")):
            item.pop("automatic_archiving")
        stations.append(_lean(item, {"port": 104, "validation_level": "WARN", "visitor": False,
                                     "his_notifications": [], "study_observed_notifications": False,
                                     "demographic_layout": "GENERIC_LAYOUT", "station_type": "Acquisition Station"}))
    # what Network Management holds besides CMs and sources (review stations, PACS, external destinations) cannot
    # be placed from the database alone: listed for the team to move to the cluster it belongs to, or to keep
    placed = set(s["ae_title"] for s in sources) | set(s["ae_title"] for s in his
                                                       if s["station_name"] in local_cms or s.get("cluster_linking"))
    others = []
    for station in sorted(network_stations, key=lambda s: s["ae_title"]):
        if station["ae_title"] in placed:
            continue
        others.append(_lean(_station_item(station, station["station_name"], station["ae_title"]),
                            {"port": 104, "validation_level": "WARN"}))
    tables = dict((table, [{"pattern": r["pattern"], "rule": r["rule"], "label": r["label"]}
                           for r in sorted(rows, key=lambda r: (r["rule"], r["pattern"]))])
                  for table, rows in sorted(mappings.items()) if rows)
    return {"impax_connectivity_managers": cms, "impax_stations": stations, "impax_mappings": tables,
            "network_management_only": others}
