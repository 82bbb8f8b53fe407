"""hosts_files on the controller (its only target): the files for unmanaged machines, written only when they differ."""

import hashlib
import json
import os
import stat
import sys

import yaml

from test_plan_playbooks import run

from ansible_collections.impax.cluster_link.plugins.filter.hosts import hosts_block_text

TABLE = [{"ip": "10.201.0.11", "hostname": "harbor-cm01", "aliases": ["harbor-cm"], "comment": "cluster harbor; CM"},
         {"ip": "fd00:30::10", "hostname": "eic-cm01", "aliases": [], "comment": ""}]


def task_play(tmp_path, args, name="play.yml"):
    play = tmp_path / name
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "connection": "local",
                                     "vars": {"ansible_python_interpreter": sys.executable},
                                     "tasks": [{"name": "Write", "impax.cluster_link.hosts_files": args,
                                                "register": "out"},
                                               {"name": "Keep", "ansible.builtin.copy": {
                                                   "content": "{{ out | to_json }}", "dest": str(tmp_path / "out.json"),
                                                   "mode": "0600"}, "check_mode": False}]}]))
    return str(play)


def result(tmp_path):
    return json.loads((tmp_path / "out.json").read_text())


def test_writes_both_files_once_and_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / "hosts"
    play = task_play(tmp_path, {"dest": str(dest), "entries": TABLE})
    check = run(play, "-i", "localhost,", "--check", "--diff")
    assert check.returncode == 0, check.stdout + check.stderr
    assert not dest.exists() and all(f["changed"] for f in result(tmp_path)["files"])
    assert "+# BEGIN impax.cluster_link managed block" in check.stdout

    first = run(play, "-i", "localhost,")
    assert first.returncode == 0, first.stdout + first.stderr
    posix = (dest / "hosts").read_bytes()
    windows = (dest / "hosts.windows").read_bytes()
    assert posix == b"127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n\n" + hosts_block_text(TABLE).encode()
    assert windows == b"127.0.0.1 localhost\r\n::1 localhost\r\n\r\n" + hosts_block_text(TABLE, "windows").encode()
    assert stat.S_IMODE(os.stat(dest / "hosts").st_mode) == 0o644
    digests = [hashlib.sha256(posix).hexdigest(), hashlib.sha256(windows).hexdigest()]
    assert [f["sha256"] for f in result(tmp_path)["files"]] == digests
    inode = os.stat(dest / "hosts").st_ino

    again = run(play, "-i", "localhost,")
    assert again.returncode == 0 and not result(tmp_path)["changed"], again.stdout
    assert os.stat(dest / "hosts").st_ino == inode, "not rewritten"

    (dest / "hosts.windows").write_bytes(b"edited by hand\r\n")
    fixed = run(play, "-i", "localhost,")
    assert fixed.returncode == 0 and [f["changed"] for f in result(tmp_path)["files"]] == [False, True]
    assert (dest / "hosts.windows").read_bytes() == windows


def test_from_plan_is_checked_and_bad_input_writes_nothing(tmp_path):
    slice_file = tmp_path / "table.json"
    slice_file.write_text(json.dumps(TABLE))
    digest = hashlib.sha256(slice_file.read_bytes()).hexdigest()
    dest = tmp_path / "hosts"
    ok = run(task_play(tmp_path, {"dest": str(dest), "from_plan": {"file": str(slice_file), "sha256": digest},
                                  "formats": ["posix"]}), "-i", "localhost,")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert sorted(os.listdir(dest)) == ["hosts"]

    slice_file.write_text(json.dumps(TABLE[:1]))  # changed after planning
    refused = run(task_play(tmp_path, {"dest": str(tmp_path / "other"), "from_plan": {"file": str(slice_file),
                                                                                      "sha256": digest}}), "-i", "localhost,")
    assert refused.returncode != 0 and "is not the one planned" in refused.stdout, refused.stdout
    bad = run(task_play(tmp_path, {"dest": str(tmp_path / "other"), "entries": [{"ip": "10.0.0.300", "hostname": "x y"}]}),
              "-i", "localhost,")
    assert bad.returncode != 0 and "entries[0].ip" in bad.stdout and "nothing was written" in bad.stdout, bad.stdout
    neither = run(task_play(tmp_path, {"dest": str(tmp_path / "other")}), "-i", "localhost,")
    assert neither.returncode != 0 and "give entries or from_plan" in neither.stdout
    assert not (tmp_path / "other").exists()


def test_files_of_a_cluster_that_rejoined_are_removed_and_nothing_else(tmp_path):
    """prune_except: a subdirectory holding only hosts/hosts.windows and not named is removed (check mode
    reports it and removes nothing); a named one and one holding anything else stay."""
    dest = tmp_path / "hosts"
    for name, files in (("valley", ["hosts", "hosts.windows"]), ("summit", ["hosts"]), ("notes", ["hosts", "x.txt"])):
        (dest / name).mkdir(parents=True)
        for filename in files:
            (dest / name / filename).write_text("old\n")
    play = task_play(tmp_path, {"dest": str(dest), "entries": TABLE, "prune_except": ["summit"]})
    check = run(play, "-i", "localhost,", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert result(tmp_path)["removed"] == [str(dest / "valley")] and (dest / "valley" / "hosts").exists()

    real = run(play, "-i", "localhost,")
    assert real.returncode == 0, real.stdout + real.stderr
    assert result(tmp_path)["removed"] == [str(dest / "valley")] and result(tmp_path)["changed"]
    assert sorted(p.name for p in dest.iterdir()) == ["hosts", "hosts.windows", "notes", "summit"]
    again = run(play, "-i", "localhost,")
    assert again.returncode == 0 and result(tmp_path)["removed"] == [] and not result(tmp_path)["changed"]
