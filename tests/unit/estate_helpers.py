"""Shared helpers: a small valid raw estate, and loading an inventory directory the way Ansible does."""

import copy
import os

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible import constants
from ansible.vars.manager import VariableManager

from ansible_collections.impax.cluster_link.plugins.module_utils.estate.inventory import raw_estate_from_hostvars
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.planner import plan_estate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# In this process no collection plugin can be loaded (ansible-playbook installs the collection finder); the vars
# plugin ansible.cfg enables only names unreadable files (tests/playbooks/test_hostile_playbook.py runs it).
constants.VARIABLE_PLUGINS_ENABLED = [name for name in constants.VARIABLE_PLUGINS_ENABLED if not name.startswith("impax.")]


def cm(name, host, **kw):
    d = {"station_name": name, "host": host, "ae_title": name}
    d.update(kw)
    return d


def station(name, ae, host, ip, cluster_cm, institution, **kw):
    d = {"station_name": name, "ae_title": ae, "host": host, "ip": ip, "institution": institution,
         "department": "Radiology", "home_cm": cluster_cm}
    d.update(kw)
    return d


BASE = {
    "estate": {"name": "unit", "specialty_catalog": {"NEURO": "Neuroradiology", "CHEST": "Thoracic", "BODY": "General"},
               "patient_identity": {"gpi_source": "EMPI"}},
    "clusters": {
        "a": {"vars": {
            "impax_cluster": {"name": "a"},
            "impax_connectivity_managers": [cm("A_CM", "a-cm")],
            "impax_stations": [station("CT1", "A_CT1", "a-ct1", "10.1.0.11", "A_CM", "Hospital A")],
            "impax_external_destinations": [],
            "impax_mappings": {"specialty": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"},
                                             {"pattern": "%", "rule": 1000000, "label": "BODY"}]},
            "impax_mapping_samples": {"specialty": [{"description": "CT HEAD", "label": "NEURO"}]},
        }, "nodes": [{"hostname": "a-cm", "ip": "10.1.0.10", "roles": ["connectivity_manager"]},
                     {"hostname": "a-app", "ip": "10.1.0.20", "roles": ["application"]}]},
        "b": {"vars": {
            "impax_cluster": {"name": "b"},
            "impax_connectivity_managers": [cm("B_CM", "b-cm")],
            "impax_stations": [station("CT1", "B_CT1", "b-ct1", "10.2.0.11", "B_CM", "Hospital B")],
            "impax_mappings": {"specialty": [{"pattern": "%CHEST%", "rule": 200, "label": "CHEST"},
                                             {"pattern": "%", "rule": 1000000, "label": "BODY"}]},
            "impax_mapping_samples": {"specialty": [{"description": "XR CHEST", "label": "CHEST"}]},
        }, "nodes": [{"hostname": "b-cm", "ip": "10.2.0.10", "roles": ["connectivity_manager"]}]},
    },
    "origins": {"a": {"impax_stations": "group_vars/a/stations.yml"}},
}


def base():
    return copy.deepcopy(BASE)


def rules_of(plan, severity=None):
    return sorted(set(f["rule"] for f in plan["findings"] if severity is None or f["severity"] == severity))


def inventory_raw(path):
    """The raw estate of an inventory directory, built from Ansible's own hostvars."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[path])
    variables = VariableManager(loader=loader, inventory=inventory)
    hosts = [h.name for h in inventory.get_hosts("impax_clusters")]
    hostvars = dict((h, variables.get_vars(host=inventory.get_host(h), include_hostvars=False)) for h in hosts)
    groups = dict((name, [h.name for h in group.get_hosts()]) for name, group in inventory.groups.items())
    raw = raw_estate_from_hostvars(hostvars, hosts, inventory_dir=path, relative_to=ROOT, groups=groups)
    from ansible_collections.impax.cluster_link.plugins.plugin_utils.inventory_files import duplicate_keys
    raw["problems"] = raw["problems"] + duplicate_keys(path, relative_to=ROOT)  # as estate_plan does
    return raw


def inventory_plan(path, **kw):
    return plan_estate(inventory_raw(path), **kw)
