# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring the namespace lab up or down, or report its health.

    impax_lab.py up|down|status SPEC.json

SPEC is written by roles/lab from the lab inventory. Every step first looks at
what exists and only creates what is missing, so ``up`` twice changes nothing.
Processes the lab starts are recorded (PID and start time) under
``<lab_dir>/run``; ``down`` stops only those. Output: one JSON document with
``changed`` and what happened, for the role's ``changed_when``.
"""

import functools
import glob
import ipaddress
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import base64

NS_PREFIX = "il"  # the lab inventory's; another estate's lab names its own (impax_lab_prefix)
STATE = "state.json"


def sh(*args, check=True, ns=None, user=None, capture=True, env=None):
    cmd = list(args)
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    result = subprocess.run(cmd, capture_output=capture, text=True, check=False, env=env)
    if check and result.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), result.returncode, (result.stderr or "").strip()))
    return result


class Lab(object):
    def __init__(self, spec):
        self.spec = spec
        self.dir = spec["lab_dir"]
        self.run = os.path.join(self.dir, "run")
        self.prefix = spec.get("prefix") or NS_PREFIX
        self.changes = []

    # -- helpers ------------------------------------------------------------------------
    def ns(self, node):
        return "%s-%s" % (self.prefix, node["name"])

    def link(self, index):
        """The host end of a node's veth pair: named by the lab's prefix, so two labs' links never collide."""
        return "%sv%d" % (self.prefix, index)

    def changed(self, what):
        self.changes.append(what)

    def record(self, name, pid):
        with open(os.path.join(self.run, name + ".json"), "w") as handle:
            json.dump({"pid": pid, "start": _start_time(pid)}, handle)

    def recorded(self, name):
        """The PID of a recorded process that is still the one we started, else None."""
        path = os.path.join(self.run, name + ".json")
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            entry = json.load(handle)
        if _start_time(entry["pid"]) == entry["start"]:
            return entry["pid"]
        return None

    def stop(self, name, wait=True):
        pid = self.recorded(name)
        if pid is None:
            return None
        _signal(pid, signal.SIGTERM)
        self.changed("stopped %s" % name)
        if wait:
            _wait_gone(pid)
        return pid

    def start(self, name, argv, ns, log):
        if self.recorded(name):
            return False
        with open(log, "ab") as out:
            proc = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.record(name, proc.pid)
        self.changed("started %s" % name)
        return True

    # -- up -----------------------------------------------------------------------------
    def up(self):
        for sub in ("run", "ssh", "cp", "orthanc", "db", "logs", "pg", "tls"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(os.path.join(self.dir, "ssh"), 0o700)
        self._state_first()
        self._keys()
        self._tls()
        self._bridge()
        for index, node in enumerate(self.spec["nodes"]):
            self._namespace(index, node)
        self._ssh_config()
        for node in self.spec["nodes"]:
            self._sshd(node)
            if node.get("cm"):
                self._orthanc(node)
                self._tls_gateway(node)
            if node.get("database"):
                self._database(node)
        for node in self.spec["nodes"]:
            _wait_port(node["ip"], 22, "sshd on %s" % node["name"])
            if node.get("cm"):
                _wait_port(node["ip"], 8443, "the HTTPS endpoint of %s" % node["name"])
                self._orthanc_brownfield(node)
                for seed in self.spec.get("seed_studies") or []:
                    if node["cluster"] == seed.get("cluster"):
                        self._seed_study(node, seed)
        return {"changed": bool(self.changes), "changes": self.changes}

    def _state_first(self):
        path = os.path.join(self.dir, STATE)
        if not os.path.exists(path):
            state = {"run_netns_existed": os.path.isdir("/run/netns"), "created": time.time()}
            with open(path, "w") as handle:
                json.dump(state, handle)
            self.changed("lab directory")

    def _keys(self):
        key = os.path.join(self.dir, "ssh", "id_ed25519")
        if not os.path.exists(key):
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "impax-lab", "-f", key)
            shutil.copy(key + ".pub", os.path.join(self.dir, "ssh", "authorized_keys"))
            self.changed("lab ssh key")
        host_key = os.path.join(self.dir, "ssh", "ssh_host_ed25519_key")
        if not os.path.exists(host_key):
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key)
            self.changed("lab host key")
        os.makedirs("/run/sshd", exist_ok=True)

    def _tls(self):
        """A lab CA and, per node, a server certificate for its host name only (no IP: a URL by IP must fail
        verification, as at a site). Every TLS endpoint of the lab uses them; clients get ``tls/ca.pem``."""
        root = os.path.join(self.dir, "tls")
        if os.path.exists(os.path.join(root, "ca.pem")):
            return
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.datetime.now(datetime.timezone.utc)
        lifetime = (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=30))

        def certificate(subject, key, issuer, issuer_key, extensions):
            builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                       .serial_number(x509.random_serial_number()).not_valid_before(lifetime[0])
                       .not_valid_after(lifetime[1]))
            for extension, critical in extensions:
                builder = builder.add_extension(extension, critical=critical)
            return builder.sign(issuer_key, hashes.SHA256())

        def write(path, data, mode=0o644):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as handle:
                handle.write(data)

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "impax.cluster_link lab CA")])
        ca = certificate(ca_name, ca_key, ca_name, ca_key, [(x509.BasicConstraints(ca=True, path_length=0), True),
                                                            (x509.KeyUsage(True, False, False, False, False, True, True,
                                                                           False, False), True)])
        for node in self.spec["nodes"]:
            key = ec.generate_private_key(ec.SECP256R1())
            cert = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node["name"])]), key, ca_name, ca_key,
                               [(x509.SubjectAlternativeName([x509.DNSName(node["name"])]), False),
                                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
            write(os.path.join(root, node["name"] + ".crt"), cert.public_bytes(serialization.Encoding.PEM))
            write(os.path.join(root, node["name"] + ".key"),
                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()), 0o600)
        write(os.path.join(root, "ca.pem"), ca.public_bytes(serialization.Encoding.PEM))
        self.changed("lab TLS certificates")

    def _tls_gateway(self, node):
        """HTTPS on port 8443 in front of the node's Orthanc: Debian's Orthanc 1.10 (CivetWeb on OpenSSL 3)
        resets every TLS connection after the handshake, so the lab terminates TLS with stunnel, the way
        sites put a reverse proxy in front of it."""
        tls = os.path.join(self.dir, "tls")
        config = os.path.join(tls, "stunnel-%s.conf" % node["name"])
        text = "\n".join(["foreground = yes", "pid =", "[orthanc-https]", "accept = %s:8443" % node["ip"],
                          "connect = 127.0.0.1:8042", "cert = %s" % os.path.join(tls, node["name"] + ".crt"),
                          "key = %s" % os.path.join(tls, node["name"] + ".key"), ""])
        name = "stunnel-" + node["name"]
        if _write_if_changed(config, text, self, mode=0o600):
            self.stop(name)
        binary = shutil.which("stunnel4") or shutil.which("stunnel") or "stunnel4"
        self.start(name, [binary, config], self.ns(node), os.path.join(self.dir, "logs", name + ".log"))

    def _bridge(self):
        bridge = self.spec["bridge"]
        if sh("ip", "link", "show", bridge, check=False).returncode != 0:
            sh("ip", "link", "add", bridge, "type", "bridge")
            self.changed("bridge %s" % bridge)
        addresses = sh("ip", "-o", "addr", "show", "dev", bridge).stdout
        if self.spec["bridge_cidr"] not in addresses:
            sh("ip", "addr", "add", self.spec["bridge_cidr"], "dev", bridge)
            self.changed("bridge address")
        if "state UP" not in sh("ip", "link", "show", bridge).stdout and ",UP" not in sh("ip", "link", "show", bridge).stdout:
            sh("ip", "link", "set", bridge, "up")
            self.changed("bridge up")

    def _namespace(self, index, node):
        ns = self.ns(node)
        etc = os.path.join("/etc/netns", ns)
        hosts = os.path.join(etc, "hosts")
        # The node's own /etc/hosts must exist before anything starts in the namespace.
        if not os.path.exists(hosts):
            os.makedirs(etc, exist_ok=True)
            with open(hosts, "w") as handle:
                handle.write(node["hosts_seed"])
            self.changed("hosts file of %s" % node["name"])
        if ns not in sh("ip", "netns", "list").stdout.split():
            sh("ip", "netns", "add", ns)
            self.changed("namespace %s" % ns)
        outside = self.link(index)
        if sh("ip", "link", "show", outside, check=False).returncode != 0:
            sh("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", outside, "master", self.spec["bridge"])
            sh("ip", "link", "set", outside, "up")
            self.changed("link %s" % outside)
        inside = sh("ip", "-o", "addr", "show", "dev", "eth0", ns=ns, check=False).stdout
        if node["ip"] + "/" not in inside:
            length = ipaddress.ip_interface(self.spec["bridge_cidr"]).network.prefixlen  # the lab's range, as given
            sh("ip", "addr", "add", "%s/%d" % (node["ip"], length), "dev", "eth0", ns=ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
            sh("ip", "link", "set", "eth0", "up", ns=ns)
            self.changed("address of %s" % node["name"])

    def _ssh_config(self):
        """``ssh -F .build/lab/ssh/config harbor-cm01`` reaches a node by its name (people and testinfra use it)."""
        key = os.path.join(self.dir, "ssh", "id_ed25519")
        blocks = []
        for node in self.spec["nodes"]:
            blocks.append("Host %s\n  HostName %s\n  User root\n  IdentityFile %s\n  StrictHostKeyChecking no\n"
                          "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n" % (node["name"], node["ip"], key))
        _write_if_changed(os.path.join(self.dir, "ssh", "config"), "\n".join(blocks), self, mode=0o600)

    def _sshd(self, node):
        config = os.path.join(self.dir, "ssh", "sshd_%s.conf" % node["name"])
        text = "\n".join([
            "ListenAddress %s" % node["ip"],
            "Port 22",
            "HostKey %s" % os.path.join(self.dir, "ssh", "ssh_host_ed25519_key"),
            "AuthorizedKeysFile %s" % os.path.join(self.dir, "ssh", "authorized_keys"),
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PidFile none",
            "Subsystem sftp internal-sftp",
            "AcceptEnv LANG LC_*",
            "MaxStartups 50:30:100",
            "MaxSessions 50",
            "",
        ])
        _write_if_changed(config, text, self)
        self.start("sshd-" + node["name"], ["/usr/sbin/sshd", "-D", "-e", "-f", config], self.ns(node),
                   os.path.join(self.dir, "logs", "sshd-%s.log" % node["name"]))

    def _orthanc(self, node):
        root = os.path.join(self.dir, "orthanc", node["name"])
        os.makedirs(root, exist_ok=True)
        config = {
            "Name": node["name"],
            "StorageDirectory": os.path.join(root, "storage"),
            "IndexDirectory": os.path.join(root, "storage"),
            "HttpPort": 8042,
            "DicomPort": node["cm"]["port"],
            "DicomAet": node["cm"]["ae_title"],
            "RemoteAccessAllowed": True,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {self.spec["gateway_username"]: self.spec["gateway_password"]},
            "DicomModalitiesInDatabase": True,
            "OrthancPeersInDatabase": True,
            "DicomAlwaysAllowEcho": False,
            "DicomAlwaysAllowStore": False,
            "DicomAlwaysAllowFind": False,
            "DicomAlwaysAllowFindWorklist": False,
            "DicomAlwaysAllowGet": False,
            "DicomAlwaysAllowMove": False,
            "DicomCheckCalledAet": True,
            # Orthanc 1.10 compares the caller's IP with the registered Host *string* (no name lookup),
            # so with modalities registered by host name (KB 9085) the check rejects every link.
            # Permissions are still enforced per calling AE title (the DicomAlwaysAllow* options are off).
            "DicomCheckModalityHost": False,
            "Plugins": [],
            "SaveJobs": False,
            "ConcurrentJobs": 2,
            "StableAge": 2,
            "HttpTimeout": 10,
            # its own https calls (peers registered with https URLs) trust the lab CA, and verify
            "HttpsCACertificates": os.path.join(self.dir, "tls", "ca.pem"),
            "HttpsVerifyPeers": True,
        }
        path = os.path.join(root, "orthanc.json")
        name = "orthanc-" + node["name"]
        if _write_if_changed(path, json.dumps(config, indent=2, sort_keys=True) + "\n", self, mode=0o600):
            self.stop(name)  # a changed configuration needs a restart
        logs = os.path.join(self.dir, "logs", name)
        os.makedirs(logs, exist_ok=True)
        self.start(name, ["/usr/sbin/Orthanc", "--logdir=" + logs, path], self.ns(node), os.path.join(logs, "stdout.log"))

    def _orthanc_brownfield(self, node):
        """Modalities a site already had before linking: created once, when the Orthanc is new."""
        marker = os.path.join(self.dir, "orthanc", node["name"], "brownfield.done")
        api = Api(node["ip"], self.spec["gateway_username"], self.spec["gateway_password"])
        api.wait()
        if os.path.exists(marker):
            return
        for name, modality in sorted((node.get("brownfield_modalities") or {}).items()):
            api.put("/modalities/" + name, modality)
        open(marker, "w").close()
        self.changed("brownfield registry of %s" % node["name"])

    def _seed_study(self, node, seed):
        """A synthetic study (pydicom, no patient data) so a cross-cluster C-FIND and C-MOVE have something to find."""
        api = Api(node["ip"], self.spec["gateway_username"], self.spec["gateway_password"])
        found = api.request("POST", "/tools/find", {"Level": "Study", "Query": {"StudyInstanceUID": seed["study_instance_uid"]}})
        if found:
            return
        api.request_raw("POST", "/instances", synthetic_instance(seed), "application/dicom")
        self.changed("synthetic study on %s" % node["name"])

    def _database(self, node):
        """The SQLite file always (it is cheap); a PostgreSQL server too when the lab asks for it."""
        db = node["database"]
        self._sqlite(node, db)
        if self._engine(db) == "postgresql":
            self._postgresql(node, db)

    def _engine(self, db):
        """The cluster's engine (impax_cluster.database.engine): an estate may mix them; the lab's switch (make
        lab-up DB=postgresql) turns every database node's PostgreSQL on."""
        return "postgresql" if self.spec["database"] == "postgresql" else db.get("engine") or "sqlite"

    def _sqlite(self, node, db):
        if os.path.exists(db["path"]):
            return
        os.makedirs(os.path.dirname(db["path"]), exist_ok=True)
        connection = sqlite3.connect(db["path"])
        with connection:
            connection.executescript(self.spec["schema"])
            _seed(connection, db.get("brownfield") or {}, "?")
        connection.close()
        self.changed("sqlite database %s" % db["path"])

    def _postgresql(self, node, db):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        root = os.path.join(self.dir, "pg", node["name"])
        data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
        if not os.path.exists(os.path.join(data, "PG_VERSION")):
            os.makedirs(sock, exist_ok=True)
            shutil.chown(root, "postgres", "postgres")
            shutil.chown(sock, "postgres", "postgres")
            sh(os.path.join(binaries, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust",
               "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", user="postgres")
            with open(os.path.join(data, "pg_hba.conf"), "a") as handle:
                # the lab's own network, from the inventory (impax_lab_bridge_cidr), not a fixed range
                network = ipaddress.ip_interface(self.spec["bridge_cidr"]).network
                handle.write("host all all %s scram-sha-256\n" % network)
            self.changed("postgresql cluster of %s" % node["name"])
        name = "postgresql-" + node["name"]
        if not self.recorded(name):
            # TLS on (clients choose: the lab inventory uses sslmode disable, tests/lab/test_tls.py verify-full);
            # the server reads its key as postgres, mode 0600
            key = os.path.join(root, "server.key")
            shutil.copy(os.path.join(self.dir, "tls", node["name"] + ".key"), key)
            shutil.chown(key, "postgres", "postgres")
            os.chmod(key, 0o600)
            options = "-c listen_addresses=%s -c port=5432 -c unix_socket_directories=%s -c shared_buffers=16MB " \
                      "-c max_connections=30 -c fsync=on -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s" % (
                          node["ip"], sock, os.path.join(self.dir, "tls", node["name"] + ".crt"), key)
            sh(os.path.join(binaries, "pg_ctl"), "-D", data, "-l", os.path.join(root, "postgresql.log"),
               "-o", options, "-w", "start", ns=self.ns(node), user="postgres")
            with open(os.path.join(data, "postmaster.pid")) as handle:
                self.record(name, int(handle.readline()))
            self.changed("started %s" % name)
        # Names and password come from the inventory: psql reads them from the environment and quotes
        # them itself (%I, %L); nothing is pasted into SQL and the password is on no command line.
        script = ("\\getenv user IMPAX_LAB_DB_USER\n\\getenv pw IMPAX_LAB_DB_PASSWORD\n\\getenv db IMPAX_LAB_DB_NAME\n"
                  "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'user', :'pw') "
                  "WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \\gexec\n"
                  "SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') "
                  "WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec\n")
        user, password = self.spec["database_username"], self.spec["database_password"]
        env = dict(os.environ, IMPAX_LAB_DB_USER=user, IMPAX_LAB_DB_PASSWORD=password, IMPAX_LAB_DB_NAME=db["name"])
        proc = subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(binaries, "psql"), "-h", sock, "-U",
                               "postgres", "-d", "postgres", "-tAq", "-v", "ON_ERROR_STOP=1"],
                              input=script, capture_output=True, text=True, check=False, env=env)
        if proc.returncode != 0:
            raise RuntimeError("creating database %s: %s" % (db["name"], proc.stderr.strip()))
        import psycopg
        with psycopg.connect(host=node["ip"], port=5432, dbname=db["name"], user=user, password=password) as conn:
            with conn.cursor() as cursor:
                cursor.execute("SELECT to_regclass('network_station')")
                if cursor.fetchone()[0] is None:
                    cursor.execute(self.spec["schema"])
                    _seed_cursor(cursor, db.get("brownfield") or {})
                    self.changed("postgresql database %s" % db["name"])

    # -- down ---------------------------------------------------------------------------
    def down(self):
        names = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(self.run, "*.json"))]
        alive = []
        for name in sorted(names):
            pid = self.recorded(name)
            if pid is None:
                continue
            if name.startswith("postgresql-"):
                node = name[len("postgresql-"):]
                data = os.path.join(self.dir, "pg", node, "data")
                binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
                sh(os.path.join(binaries, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop", user="postgres", check=False)
                self.changed("stopped %s" % name)
            else:
                self.stop(name, wait=False)
            alive.append(pid)
        for pid in alive:  # Orthanc takes 2 to 3.5 s to stop: signal all first, then wait for all
            _wait_gone(pid)
        for sock in glob.glob(os.path.join(self.dir, "cp", "*")):
            sh("ssh", "-O", "exit", "-o", "ControlPath=" + sock, "lab", check=False)
        listed = sh("ip", "netns", "list").stdout.split()
        for index, node in enumerate(self.spec["nodes"]):
            ns = self.ns(node)
            if ns in listed:
                _retry(functools.partial(sh, "ip", "netns", "delete", ns))  # a process may still be leaving it
                self.changed("namespace %s" % ns)
            _delete_link(self.link(index))
            etc = os.path.join("/etc/netns", ns)
            if os.path.isdir(etc):
                shutil.rmtree(etc)
        if os.path.isdir("/etc/netns") and not os.listdir("/etc/netns"):
            os.rmdir("/etc/netns")
        if _delete_link(self.spec["bridge"]):
            self.changed("bridge")
        state = {}
        if os.path.exists(os.path.join(self.dir, STATE)):
            with open(os.path.join(self.dir, STATE)) as handle:
                state = json.load(handle)
        if state and not state.get("run_netns_existed") and os.path.isdir("/run/netns") and not os.listdir("/run/netns"):
            # `ip netns add` made /run/netns a shared mount point: undo both
            while sh("umount", "/run/netns", check=False).returncode == 0:
                pass
            os.rmdir("/run/netns")
        if os.path.isdir(self.dir):
            _retry(functools.partial(_remove_tree, self.dir), attempts=10, delay=0.5)
            self.changed("lab directory")
        return {"changed": bool(self.changes), "changes": self.changes}

    # -- status -------------------------------------------------------------------------
    def status(self):
        nodes = []
        key = os.path.join(self.dir, "ssh", "id_ed25519")
        checks = {}
        for node in self.spec["nodes"]:
            ssh = subprocess.Popen(["ssh", "-i", key, "-o", "BatchMode=yes", "-o", "ConnectTimeout=3",
                                    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                    "-o", "LogLevel=ERROR", "root@" + node["ip"], "hostname -I; cat /etc/hosts | wc -l"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            checks[node["name"]] = ssh
        for node in self.spec["nodes"]:
            proc = checks[node["name"]]
            out, err = proc.communicate(timeout=20)
            row = {"node": node["name"], "ip": node["ip"], "ssh": "ok" if proc.returncode == 0 and node["ip"] in out
                   else "DOWN (%s)" % (err.strip() or out.strip() or proc.returncode)}
            if node.get("cm"):
                try:
                    system = Api(node["ip"], self.spec["gateway_username"], self.spec["gateway_password"]).get("/system")
                    row["orthanc"] = "ok (%s, AE %s)" % (system["Version"], system["DicomAet"])
                except Exception as exc:  # report, do not stop the status table
                    row["orthanc"] = "DOWN (%s)" % exc
            if node.get("database"):
                row["database"] = self._database_status(node)
            nodes.append(row)
        healthy = all(all(str(v).startswith("ok") for k, v in row.items() if k not in ("node", "ip")) for row in nodes)
        return {"changed": False, "healthy": healthy, "nodes": nodes}

    def _database_status(self, node):
        db = node["database"]
        try:
            if self._engine(db) == "postgresql":
                import psycopg
                with psycopg.connect(host=node["ip"], port=5432, dbname=db["name"], user=self.spec["database_username"],
                                     password=self.spec["database_password"], connect_timeout=3) as conn:
                    count = conn.execute("SELECT count(*) FROM network_station").fetchone()[0]
                return "ok (postgresql %s, %d stations)" % (db["name"], count)
            connection = sqlite3.connect("file:%s?mode=ro" % db["path"], uri=True)
            count = connection.execute("SELECT count(*) FROM network_station").fetchone()[0]
            connection.close()
            return "ok (sqlite %s, %d stations)" % (os.path.basename(db["path"]), count)
        except Exception as exc:
            return "DOWN (%s)" % exc


class Api(object):
    """A minimal Orthanc REST client for the lab's own set-up (the collection's client is a module_util)."""

    def __init__(self, ip, user, password):
        self.base = "http://%s:8042" % ip
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": self.auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as response:
            text = response.read().decode()
        return json.loads(text) if text.strip() else None

    def request_raw(self, method, path, data, content_type):
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": self.auth, "Content-Type": content_type})
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.loads(response.read().decode() or "null")

    def get(self, path):
        return self.request("GET", path)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def wait(self, seconds=30):
        deadline = time.time() + seconds
        while True:
            try:
                return self.get("/system")
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)


def synthetic_instance(seed):
    """One 8x8 secondary-capture image of a made-up patient, as DICOM bytes."""
    import io
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = seed["study_instance_uid"] + ".1.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = seed["study_instance_uid"]
    ds.SeriesInstanceUID = seed["study_instance_uid"] + ".1"
    ds.PatientName = seed.get("patient_name", "LAB^SYNTHETIC")
    ds.PatientID = seed.get("patient_id", "LAB0001")
    ds.AccessionNumber = seed.get("accession_number", "LABACC0001")
    ds.StudyDescription = seed.get("description", "CT HEAD WO CONTRAST")
    ds.StudyDate, ds.StudyTime, ds.Modality = "20260101", "120000", "OT"
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.Rows, ds.Columns = 1, "MONOCHROME2", 8, 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(range(64))
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _seed(connection, brownfield, placeholder):
    for table, rows in sorted(brownfield.items()):
        for row in rows:
            columns = sorted(row)
            connection.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(columns),
                                                                    ", ".join([placeholder] * len(columns))),
                               [row[c] for c in columns])


def _seed_cursor(cursor, brownfield):
    for table, rows in sorted(brownfield.items()):
        for row in rows:
            columns = sorted(row)
            cursor.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(columns), ", ".join(["%s"] * len(columns))),
                           [row[c] for c in columns])


def _start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            return None
        return fields[19]
    except (OSError, IndexError):
        return None


def _wait_port(ip, port, what, seconds=15):
    deadline = time.time() + seconds
    while True:
        try:
            with socket.create_connection((ip, port), timeout=1):
                return
        except OSError:
            if time.time() > deadline:
                raise RuntimeError("%s does not answer on %s:%d" % (what, ip, port))
            time.sleep(0.05)


def _write_if_changed(path, text, lab, mode=0o644):
    if os.path.exists(path):
        with open(path) as handle:
            if handle.read() == text:
                return False
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
    lab.changed("wrote %s" % os.path.basename(path))
    return True


def _retry(action, attempts=20, delay=0.25):
    for attempt in range(attempts):
        try:
            return action()
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
    return None


def _wait_gone(pid, seconds=15):
    """Wait for a signalled process to leave; SIGKILL it after ``seconds`` and wait for that too."""
    for sig in (None, signal.SIGKILL):
        if sig is not None:
            _signal(pid, sig)
        deadline = time.time() + seconds
        while _start_time(pid) is not None and time.time() < deadline:
            time.sleep(0.05)
        if _start_time(pid) is None:
            return
    raise RuntimeError("process %d is still running after SIGKILL" % pid)


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # it left between the look and the signal
        pass


def _delete_link(name):
    """Delete a network link; True if this call deleted it.

    A veth whose peer was in a deleted namespace disappears on its own, asynchronously (the kernel's
    namespace clean-up): it can be listed and then be gone before ``ip link delete`` runs, so a failed
    delete is fine as long as the link is gone afterwards.
    """
    if sh("ip", "link", "show", name, check=False).returncode != 0:
        return False
    deleted = sh("ip", "link", "delete", name, check=False)
    if deleted.returncode == 0:
        return True
    _retry(functools.partial(_link_absent, name, deleted.stderr.strip()))
    return False


def _link_absent(name, why):
    if sh("ip", "link", "show", name, check=False).returncode == 0:
        raise RuntimeError("ip link delete %s failed and the link is still there: %s" % (name, why))


def _remove_tree(path):
    """Remove a directory tree; RuntimeError (retried) if a process still writes in it."""
    try:
        shutil.rmtree(path, onerror=_vanished_ok)
    except OSError as exc:
        raise RuntimeError("cannot remove %s: %s" % (path, exc)) from exc


def _vanished_ok(function, path, exc_info):
    if not issubclass(exc_info[0], FileNotFoundError):  # a file its process removed while we walked
        raise exc_info[1]


def main():
    action, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as handle:
        spec = json.load(handle)
    lab = Lab(spec)
    try:
        result = getattr(lab, action)()
    except Exception as exc:
        print(json.dumps({"changed": bool(lab.changes), "failed": True, "msg": str(exc), "changes": lab.changes}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
