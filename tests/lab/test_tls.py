"""TLS is verified by default, against the lab's real endpoints.

Every cluster's Orthanc answers HTTPS on port 8443 (stunnel in front of it, tls/<node>.crt for its host name
only) and every PostgreSQL server has ssl on, both with the lab's own CA (``.build/lab/tls/ca.pem``). The
rollout runs over verified TLS when the inventory says so; without the CA, or by IP address, it refuses with a
message naming the cause and the endpoint, and changes nothing.
"""

import os
import shutil

import yaml

from labutil import LAB_DIR, ROOT, playbook, recap, run_task

CA = os.path.join(LAB_DIR, "tls", "ca.pem")
CLUSTERS = {"harbor": "harbor-cm01", "summit": "summit-cm01", "valley": "valley-cm01"}
GATEWAY = {"username": "impax", "password": "lab-gateway-secret", "state": "gathered"}


def tls_inventory(tmp_path, name, with_ca=True, database_ca=None):
    """The lab estate with https gateways and verify-full PostgreSQL; ``with_ca``: the inventory names the CA
    (``database_ca``: for the databases, when it differs)."""
    inventory = tmp_path / name
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), inventory)
    for cluster, cm in CLUSTERS.items():
        path = inventory / "group_vars" / cluster / "cluster.yml"
        data = yaml.safe_load(path.read_text())
        settings = data["impax_cluster"]
        settings["gateway"]["url"] = "https://%s:8443" % cm
        settings["database"]["sslmode"] = "verify-full"
        if with_ca:
            settings["gateway"]["ca_path"] = CA
        if with_ca if database_ca is None else database_ca:
            settings["database"]["sslrootcert"] = CA
        path.write_text(yaml.safe_dump(data))
    return inventory


def rollout(inventory, *extra):
    result, unused = playbook("link-clusters.yml", "-e", "impax_lab_database=postgresql", *extra,
                              inventory=str(inventory), IMPAX_PROJECT_DIR=ROOT, IMPAX_LAB_DATABASE="postgresql")
    return result


def test_the_rollout_runs_over_verified_tls_and_refuses_without_the_ca(lab_postgresql, tmp_path):
    inventory = tls_inventory(tmp_path, "tls")
    first = rollout(inventory)
    assert first.returncode == 0, first.stdout[-4000:]
    assert "All DICOM links answer" in first.stdout, "verify_links ran over https too"
    again = rollout(inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert not [h for h, r in recap(again.stdout).items() if r["changed"]], "idempotent over TLS"

    # the same estate without the CA: the system trust store does not know the lab CA. Every database refuses
    # (the estate lock reaches them first; with every database node failed, Ansible ends the run there); the
    # gateways refuse too, in an estate whose databases are trusted (else the run ends at their lock)
    untrusted = tls_inventory(tmp_path, "untrusted", with_ca=False)
    gateways_untrusted = tls_inventory(tmp_path, "gateways-untrusted", with_ca=False, database_ca=True)
    for stage, nodes, said in (("config_db", ["%s-db01" % c for c in CLUSTERS], ["root certificate file"]),
                               # harbor-cm02's gateway: impax_cluster.gateway's https and port on its own name
                               ("gateway", list(CLUSTERS.values()) + ["harbor-cm02"],
                                ["TLS to https://%s:8443 failed" % cm for cm in list(CLUSTERS.values()) + ["harbor-cm02"]]
                                + ["CERTIFICATE_VERIFY_FAILED", "set ca_path, or validate_certs: false"])):
        refused = rollout(untrusted if stage == "config_db" else gateways_untrusted, "--tags", stage)
        assert refused.returncode != 0, (stage, refused.stdout[-3000:])
        counts = recap(refused.stdout)
        assert all(counts[node]["failed"] == 1 for node in nodes), (stage, counts)
        for text in said:
            assert text in refused.stdout, (stage, text, refused.stdout[-3000:])
        assert not [h for h, r in counts.items() if r["changed"]], "a refused connection changes nothing"
        assert "lab-gateway-secret" not in refused.stdout and "lab-database-secret" not in refused.stdout


def test_the_gateway_certificate_must_match_the_host_name(lab_postgresql):
    by_name = run_task("harbor-cm01", "impax.cluster_link.dicom_nodes",
                       dict(GATEWAY, url="https://harbor-cm01:8443", ca_path=CA))
    assert not by_name.get("failed") and by_name["gathered"]["modalities"], by_name
    # the certificate names the host, not its address: the same endpoint by IP is refused
    by_ip = run_task("harbor-cm01", "impax.cluster_link.dicom_nodes",
                     dict(GATEWAY, url="https://10.201.0.11:8443", ca_path=CA))
    assert by_ip["failed"] and "TLS to https://10.201.0.11:8443 failed" in by_ip["msg"], by_ip
    assert "IP address mismatch" in by_ip["msg"] or "doesn't match" in by_ip["msg"], by_ip["msg"]
    # turning verification off is possible, and only on purpose
    unverified = run_task("harbor-cm01", "impax.cluster_link.dicom_nodes",
                          dict(GATEWAY, url="https://10.201.0.11:8443", validate_certs=False))
    assert not unverified.get("failed") and unverified["gathered"]["modalities"] == by_name["gathered"]["modalities"]


def test_the_database_certificate_is_verified(lab_postgresql):
    database = {"engine": "postgresql", "host": "harbor-db01", "name": "impax_harbor", "user": "impax",
                "password": "lab-database-secret", "sslrootcert": CA}
    verified = run_task("harbor-db01", "impax.cluster_link.config_database", {"state": "gathered"}, database=database)
    assert not verified.get("failed") and verified["gathered"]["network_management"], verified
    by_ip = run_task("harbor-db01", "impax.cluster_link.config_database", {"state": "gathered"},
                     database=dict(database, host="10.201.0.13"))
    assert by_ip["failed"] and "cannot connect to the postgresql database" in by_ip["msg"], by_ip
    assert "10.201.0.13" in by_ip["msg"] and "lab-database-secret" not in str(by_ip)
