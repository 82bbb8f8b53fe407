"""Shared by the scenarios' verify tests: reach lab nodes over their own sshd, compute the lab's plan."""

import os
import sys

import testinfra

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
SSH_CONFIG = os.path.join(ROOT, ".build", "lab", "ssh", "config")  # written by lab-up
NODES = ["harbor-cm01", "harbor-as01", "harbor-db01", "harbor-cm02", "valley-cm01", "valley-as01", "valley-db01",
         "summit-cm01", "summit-as01", "summit-db01"]
# each cluster's first CM (its database and the scenarios' checks go through it)
CMS = {"harbor": ("harbor-cm01", "HBR_CM"), "valley": ("valley-cm01", "VLY_CM"), "summit": ("summit-cm01", "SMT_CM")}
# every CM node runs a DICOM gateway: node -> (cluster, the CM's AE title)
GATEWAYS = {"harbor-cm01": ("harbor", "HBR_CM"), "harbor-cm02": ("harbor", "HBR_CM2"),
            "valley-cm01": ("valley", "VLY_CM"), "summit-cm01": ("summit", "SMT_CM")}
ENGINE = os.environ.get("IMPAX_LAB_DATABASE", "sqlite")


def host(name):
    """The node over its own sshd (the lab's ssh config names every node)."""
    return testinfra.get_host("ssh://%s?ssh_config=%s" % (name, SSH_CONFIG))


def plan(inventory=None):
    """The plan of an estate, computed the way estate_plan does."""
    sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "unit")]
    import conftest  # noqa: F401  (makes the collection importable)
    from estate_helpers import inventory_plan
    return inventory_plan(inventory or os.path.join(ROOT, "inventories", "lab"))


# One statement on the cluster's database node; prints the rows read, or the rows touched after a commit.
CONNECT = {"sqlite": "import sqlite3 as db; c = db.connect(sys.argv[1]); ",
           "postgresql": "import psycopg as db; c = db.connect(host=sys.argv[1], dbname=sys.argv[3], user='impax', "
                         "password='lab-database-secret'); "}
READ = "print(json.dumps(c.execute(sys.argv[2]).fetchall()))"
WRITE = "n = c.execute(sys.argv[2]).rowcount; c.commit(); print(n)"


def _on_database(cluster, statement, action):
    import json
    python = "%s/.venv/bin/python" % ROOT
    script = "import json, sys; " + CONNECT[ENGINE] + action
    where = "%s/.build/lab/db/%s.sqlite" % (ROOT, cluster) if ENGINE == "sqlite" else "%s-db01" % cluster
    out = host("%s-db01" % cluster).check_output("%s -c %s %s %s %s", python, script, where, statement, "impax_%s" % cluster)
    return json.loads(out)


def sql(cluster, query):
    """Rows of ``query`` in the cluster's configuration database, read on its database node."""
    return _on_database(cluster, query, READ)


def sql_write(cluster, statement):
    """Run one statement in the cluster's configuration database behind the collection's back; rows touched."""
    return int(_on_database(cluster, statement, WRITE))


def orthanc(cluster, path):
    """GET ``path`` of a cluster's first gateway, or of the gateway on a node (a GATEWAYS key)."""
    import json
    node = cluster if cluster in GATEWAYS else CMS[cluster][0]
    return json.loads(host(node).check_output("curl -s -u impax:lab-gateway-secret http://%s:8042%s" % (node, path)))
