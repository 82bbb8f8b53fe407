"""Running the project's playbooks and ad-hoc commands against the lab, as a user would."""

import hashlib
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
LAB_DIR = os.path.join(ROOT, ".build", "lab")
NODES = ["harbor-cm01", "harbor-as01", "harbor-db01", "valley-cm01", "valley-as01", "valley-db01",
         "summit-cm01", "summit-as01", "summit-db01"]
CMS = ["harbor-cm01", "valley-cm01", "summit-cm01"]


def environ(**extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1")
    env.update(extra)
    return env


def playbook(path, *extra, inventory="inventories/lab", **env):
    """Run ansible-playbook; returns (CompletedProcess, seconds)."""
    start = time.time()
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), path, "-i", inventory] + list(extra), cwd=ROOT,
                            env=environ(**env), capture_output=True, text=True, timeout=900, check=False)
    return result, time.time() - start


def adhoc(pattern, module, args, *extra):
    return subprocess.run([os.path.join(BIN, "ansible"), "-i", "inventories/lab", pattern, "-m", module, "-a", args]
                          + list(extra), cwd=ROOT, env=environ(), capture_output=True, text=True, timeout=300,
                          check=False)


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    table = {}
    for match in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)",
                             output, re.M):
        table[match.group(1)] = dict(zip(("ok", "changed", "unreachable", "failed", "skipped"),
                                         map(int, match.groups()[1:])))
    return table


def hosts_path(node):
    return "/etc/netns/il-%s/hosts" % node


def hosts_digests():
    digests = {}
    for node in NODES:
        with open(hosts_path(node), "rb") as handle:
            digests[node] = hashlib.sha256(handle.read()).hexdigest()
    return digests


def lab_is_up():
    return os.path.exists(os.path.join(LAB_DIR, "state.json"))


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(data, handle, indent=1)
