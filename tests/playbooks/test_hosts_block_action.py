"""hosts_block's action decides a converged file on the controller (one ``cat``) for a table from the plan, with
the module's own code, and returns what the module returns; anything else runs the module. Against a real file,
connection local."""

import hashlib
import json
import sys

import pytest
import yaml

from test_plan_playbooks import run

TABLE = [{"ip": "10.201.0.11", "hostname": "harbor-cm01", "aliases": ["harbor-cm"], "comment": "cluster harbor; CM"},
         {"ip": "fd00:30::10", "hostname": "eic-cm01", "aliases": [], "comment": None}]
SITE_LINES = "127.0.0.1\tlocalhost\n10.9.9.9 printer1 # by hand\n"


def play_file(tmp_path, tasks):
    play = tmp_path / "play.yml"
    keep = [{"name": "Keep %s" % name, "ansible.builtin.copy": {
        "content": "{{ %s | to_json }}" % name, "dest": str(tmp_path / ("%s.json" % name)), "mode": "0600"},
        "check_mode": False} for name in [t["register"] for t in tasks]]
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "connection": "local",
                                     "vars": {"ansible_python_interpreter": sys.executable},
                                     "tasks": tasks + keep}]))
    return str(play)


def plan_slice(tmp_path):
    """TABLE as the planner writes it: a file named by the SHA-256 of its bytes, and the reference to it."""
    data = json.dumps(TABLE, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(data).hexdigest()
    (tmp_path / (digest + ".json")).write_bytes(data)
    return {"file": str(tmp_path / (digest + ".json")), "sha256": digest}


def block_task(path, register, **args):
    """The table from the plan (``from_plan`` in args), else given in the task."""
    table = {"entries": TABLE} if "from_plan" not in args else {}
    return {"name": register, "impax.cluster_link.hosts_block": dict(dict({"path": path}, **table), **args),
            "register": register}


def results(tmp_path, *names):
    return [json.loads((tmp_path / ("%s.json" % n)).read_text()) for n in names]


def comparable(result):
    """A result without the mark of the controller's decision (nor what Ansible or the module add to every
    result)."""
    return dict((k, v) for k, v in result.items() if k not in ("decided_on_controller", "invocation", "failed"))


def module_itself(tmp_path, args):
    """What the module answers on its own, run as Ansible runs it on a node: one Python process."""
    import os
    import subprocess
    from test_plan_playbooks import ROOT
    path = tmp_path / "module-args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_diff=True)}))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "plugins", "modules", "hosts_block.py"), str(path)],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections")))
    return json.loads(out.stdout)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_converged_file_is_decided_on_the_controller_as_the_module_decides(tmp_path, newline):
    hosts = tmp_path / "hosts"
    hosts.write_bytes(SITE_LINES.replace("\n", newline).encode())
    path = str(hosts)
    # first run writes (the module runs: it has something to write), then a converged one
    first = run(play_file(tmp_path, [block_task(path, "first")]), "-i", "localhost,")
    assert first.returncode == 0, first.stdout + first.stderr
    written = hosts.read_bytes()
    assert results(tmp_path, "first")[0]["changed"] and "decided_on_controller" not in results(tmp_path, "first")[0]
    assert written.startswith(SITE_LINES.replace("\n", newline).encode()) and newline.encode() + b"# END" in written

    # the converged file, the table from the plan or given in the task: answered on the controller (no module
    # invocation), with diff too, exactly as the module itself answers
    tasks = [block_task(path, "from_plan", from_plan=plan_slice(tmp_path)), block_task(path, "task_list")]
    again = run(play_file(tmp_path, tasks), "-i", "localhost,", "--diff")
    assert again.returncode == 0, again.stdout + again.stderr
    module = module_itself(tmp_path, {"path": path, "entries": TABLE})
    assert "decided_on_controller" not in module and module["changed"] is False
    for controller in results(tmp_path, "from_plan", "task_list"):
        assert controller["decided_on_controller"] and comparable(controller) == comparable(module)
        assert controller["changed"] is False and controller["diff"]["before"] == written.decode()
        assert controller["block_sha256"] == controller["current_block_sha256"]
    assert hosts.read_bytes() == written


@pytest.mark.parametrize("edit, expect", [
    ("block", "changed"),         # a managed line edited by hand: the module rewrites the block
    ("conflict", "failed"),       # an unmanaged line contradicting the table: the module refuses, names the line
    ("unreadable", "failed"),     # not UTF-8: the module says it cannot read the file
])
def test_anything_but_a_converged_file_runs_the_module(tmp_path, edit, expect):
    hosts = tmp_path / "hosts"
    hosts.write_text(SITE_LINES)
    path = str(hosts)
    assert run(play_file(tmp_path, [block_task(path, "first")]), "-i", "localhost,").returncode == 0
    text = hosts.read_text()
    if edit == "block":
        hosts.write_text(text.replace("10.201.0.11\tharbor-cm01", "10.201.0.99\tharbor-cm01"))
    elif edit == "conflict":
        hosts.write_text("10.1.1.1 eic-cm01x harbor-cm\n" + text)
    else:
        hosts.write_bytes(b"10.1.1.1 caf\xe9\n" + text.encode())
    before = hosts.read_bytes()
    ref = plan_slice(tmp_path)
    task = dict(block_task(path, "again", from_plan=ref), ignore_errors=True)
    out = run(play_file(tmp_path, [task]), "-i", "localhost,", "-vvv")
    assert out.returncode == 0, out.stdout + out.stderr
    result = results(tmp_path, "again")[0]
    assert "decided_on_controller" not in result  # the module answered
    # the invocation shown names the slice, without the bytes the action sent the module
    shown = out.stdout.split("module_args", 1)[1].split("TASK [", 1)[0]
    assert ref["sha256"] in shown and "content" not in shown, shown
    if expect == "changed":
        assert result["changed"] and hosts.read_text() == text
    else:
        assert result["failed"] and hosts.read_bytes() == before
        assert ("harbor-cm" in result["msg"]) if edit == "conflict" else ("cannot read" in result["msg"])
