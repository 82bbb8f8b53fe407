"""hosts_block's action decides a converged file on the controller (one ``cat``) with the module's own code and
returns what the module returns; anything else runs the module. Against a real file, connection local."""

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


def block_task(path, register, **args):
    return {"name": register, "impax.cluster_link.hosts_block": dict({"path": path, "entries": TABLE}, **args),
            "register": register}


def results(tmp_path, *names):
    return [json.loads((tmp_path / ("%s.json" % n)).read_text()) for n in names]


def comparable(result):
    """A result without the mark of the controller's decision."""
    return dict((k, v) for k, v in result.items() if k != "decided_on_controller")


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

    # the converged file: answered on the controller (no module invocation), in check and diff mode too;
    # the same task with an argument the controller does not decide (backup given as a string) runs the module
    tasks = [block_task(path, "controller"), block_task(path, "module", backup="no"),
             block_task(path, "gathered_c", state="gathered", entries=[]),
             block_task(path, "gathered_m", state="gathered", entries=[], backup="no")]
    again = run(play_file(tmp_path, tasks), "-i", "localhost,", "--diff")
    assert again.returncode == 0, again.stdout + again.stderr
    controller, module, gathered_c, gathered_m = results(tmp_path, "controller", "module", "gathered_c", "gathered_m")
    assert controller["decided_on_controller"] and "decided_on_controller" not in module
    assert comparable(controller) == comparable(module)
    assert controller["changed"] is False and controller["diff"]["before"] == written.decode()
    assert controller["block_sha256"] == controller["current_block_sha256"]
    assert gathered_c["decided_on_controller"] and comparable(gathered_c) == comparable(gathered_m)
    assert [e["hostname"] for e in gathered_c["gathered"]] == ["harbor-cm01", "eic-cm01"]
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
    out = run(play_file(tmp_path, [dict(block_task(path, "again"), ignore_errors=True)]), "-i", "localhost,")
    assert out.returncode == 0, out.stdout + out.stderr
    result = results(tmp_path, "again")[0]
    assert "decided_on_controller" not in result  # the module answered
    if expect == "changed":
        assert result["changed"] and hosts.read_text() == text
    else:
        assert result["failed"] and hosts.read_bytes() == before
        assert ("harbor-cm" in result["msg"]) if edit == "conflict" else ("cannot read" in result["msg"])
