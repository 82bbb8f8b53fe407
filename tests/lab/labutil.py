"""Running the project's playbooks and ad-hoc commands against the lab, as a user would."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
LAB_DIR = os.path.join(ROOT, ".build", "lab")


def inventory_nodes(inventory="inventories/lab"):
    """{node: {"cluster", "ip", "roles"}} of a lab inventory's hosts.yml (one group per cluster), in file order."""
    import yaml
    with open(os.path.join(ROOT, inventory, "hosts.yml")) as handle:
        tree = yaml.safe_load(handle)
    clusters = tree["all"]["children"]["impax_clusters"]["children"]
    return dict((node, {"cluster": cluster, "ip": values["impax_ip"], "roles": values["impax_roles"]})
                for cluster, group in clusters.items() for node, values in group["hosts"].items())


NODES = list(inventory_nodes())
# the Connectivity Manager nodes: each runs a DICOM gateway (harbor has two)
CMS = [node for node, values in inventory_nodes().items() if "connectivity_manager" in values["roles"]]


def environ(**extra):
    """The environment of a command run in ROOT. PWD says ROOT too: the roles put their controller files under
    the current directory's build/ (the hosts files for unmanaged machines), and a bench started from bench/
    would otherwise write them there, the next run from ROOT writing them again (a change)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1", PWD=ROOT)
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


def run_task(host, module, args, check=False, diff=False, database=None, timeout=300, background=False,
             pipelining=True):
    """Run one module on one lab node through ansible-playbook; returns its registered result (a dict).

    With ``background`` returns (Popen, result_path) so a test can act while the module runs; with
    ``pipelining=False`` the module runs from a file named AnsiballZ_<module>.py, so a test can find its process.
    """
    import tempfile
    work = tempfile.mkdtemp(prefix="impax-task-", dir=os.path.join(ROOT, "build"))
    out = os.path.join(work, "result.json")
    task = {"name": "module under test", module: args, "register": "r", "ignore_errors": True}
    if check:
        task["check_mode"] = True
    if diff:
        task["diff"] = True
    play = [{"hosts": host, "gather_facts": False,
             "module_defaults": {"group/impax.cluster_link.config_db": {"database": database}} if database else {},
             "tasks": [task, {"name": "keep the result", "ansible.builtin.copy": {"content": "{{ r | to_json }}",
                                                                                  "dest": out, "mode": "0600"},
                              "delegate_to": "localhost"}]}]
    book = os.path.join(work, "play.yml")
    with open(book, "w") as handle:
        json.dump(play, handle)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "inventories/lab", book]
    if not pipelining:
        cmd += ["-e", "ansible_pipelining=false"]
    if background:
        return subprocess.Popen(cmd, cwd=ROOT, env=environ(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True), out
    result = subprocess.run(cmd, cwd=ROOT, env=environ(), capture_output=True, text=True, timeout=timeout, check=False)
    try:
        if not os.path.exists(out):
            raise AssertionError(result.stdout + result.stderr)
        with open(out) as handle:
            return json.load(handle)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def read_result(path):
    with open(path) as handle:
        return json.load(handle)


def report_figures(figures, path=None):
    """Print a benchmark's figures and, when asked, keep them as JSON (bench/*.py)."""
    print(json.dumps(figures, indent=1))
    if path:
        with open(path, "w") as handle:
            json.dump(figures, handle, indent=1)
