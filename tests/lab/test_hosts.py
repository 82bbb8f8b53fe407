"""The hosts tables on the lab's nine nodes (bind-mounted /etc/hosts), through link-clusters.yml."""

import json
import os
import re

import pytest

from labutil import CMS, NODES, ROOT, adhoc, hosts_digests, hosts_path, playbook, recap

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")


def test_hosts_tables_rollout(lab):
    inodes = dict((node, os.stat(hosts_path(node)).st_ino) for node in NODES)
    pristine = hosts_digests()

    # check mode: predicts a change on every node, writes nothing
    check, _seconds = playbook("link-clusters.yml", "--check", "--diff", "--tags", "hosts")
    assert check.returncode == 0, check.stdout + check.stderr
    predicted = dict((host, row["changed"]) for host, row in recap(check.stdout).items() if host in NODES)
    assert hosts_digests() == pristine
    assert "+# BEGIN impax.cluster_link managed block" in check.stdout

    # apply: exactly the predicted changes
    apply, _seconds = playbook("link-clusters.yml", "--tags", "hosts")
    assert apply.returncode == 0, apply.stdout + apply.stderr
    applied = dict((host, row["changed"]) for host, row in recap(apply.stdout).items() if host in NODES)
    assert applied == predicted and all(applied[n] >= 1 for n in NODES)
    assert re.search(r"The managed hosts block is identical on %d nodes" % len(NODES), apply.stdout)
    after = hosts_digests()
    assert all(after[n] != pristine[n] for n in NODES)
    # written in place: the namespaces still see the same file (a rename would break the bind mount)
    assert dict((node, os.stat(hosts_path(node)).st_ino) for node in NODES) == inodes

    # the same block for machines Ansible does not manage, POSIX and Windows (CRLF) line ends
    with open(hosts_path("harbor-cm01")) as handle:
        text = handle.read()
    block = text[text.index("# BEGIN impax.cluster_link"):text.index("managed block\n", text.index("# END impax")) + 14]
    with open(os.path.join(ROOT, "build", "hosts", "hosts"), newline="") as handle:
        unmanaged = handle.read()
    assert unmanaged.startswith("127.0.0.1 localhost\n") and unmanaged.endswith(block), unmanaged[-500:]
    with open(os.path.join(ROOT, "build", "hosts", "hosts.windows"), newline="") as handle:
        windows = handle.read()
    assert windows.replace("\r\n", "\n").endswith(block) and "\r\n" in windows and "\n" not in windows.replace("\r\n", "")

    # hand-made lines survive
    assert "10.201.0.250\tharbor-printer\t# radiology film printer, added by hand 2019\n" in text
    assert "10.201.0.251\tharbor-pacs-old harbor-legacy" in text

    # every CM resolves on every node, inside the node
    resolved = adhoc("impax_clusters", "ansible.builtin.command", "getent hosts %s" % " ".join(CMS))
    assert resolved.returncode == 0, resolved.stdout
    for node in NODES:
        block = resolved.stdout.split(node + " | ", 1)[1].split(" | CHANGED", 1)[0]
        for cm in CMS:
            assert re.search(r"10\.201\.0\.\d+\s+%s" % cm, block), (node, block)

    # again: nothing to do - and each node decided on the controller from one cat of its file over SSH
    again, _seconds = playbook("link-clusters.yml", "--tags", "hosts", "-v")
    assert again.returncode == 0
    assert all(row["changed"] == 0 for host, row in recap(again.stdout).items() if host in NODES), again.stdout
    assert again.stdout.count("decided_on_controller: true") == len(NODES), again.stdout[-3000:]
    assert hosts_digests() == after

    # state=gathered: each node's managed entries, as the module reads them there
    read = adhoc("impax_clusters", "impax.cluster_link.hosts_block", "state=gathered", "-o")
    assert read.returncode == 0, read.stdout
    by_node = dict((line.split(" | ")[0], json.loads(line.split(" => ", 1)[1])) for line in read.stdout.splitlines()
                   if " => " in line)
    assert sorted(by_node) == sorted(NODES)
    for node, result in by_node.items():
        assert "decided_on_controller" not in result
        assert [e["hostname"] for e in result["gathered"]] == [e["hostname"] for e in by_node[NODES[0]]["gathered"]]
        assert set(CMS) <= set(e["hostname"] for e in result["gathered"]), node


def test_hand_edit_inside_the_block_is_corrected(lab):
    playbook("link-clusters.yml", "--tags", "hosts")
    path = hosts_path("valley-db01")
    with open(path) as handle:
        text = handle.read()
    with open(path, "r+") as handle:  # in place, like an operator's editor on a bind-mounted file
        handle.write(text.replace("10.201.0.31\tsummit-cm01", "10.201.0.99\tsummit-cm01"))
    check, _seconds = playbook("link-clusters.yml", "--check", "--tags", "hosts")
    changed = dict((h, r["changed"]) for h, r in recap(check.stdout).items() if h in NODES)
    assert changed["valley-db01"] == 1 and sum(changed.values()) == 1, changed
    fix, _seconds = playbook("link-clusters.yml", "--tags", "hosts")
    assert fix.returncode == 0
    with open(path) as handle:
        assert handle.read() == text


def test_conflicting_unmanaged_line_fails_without_writing(lab):
    playbook("link-clusters.yml", "--tags", "hosts")
    path = hosts_path("summit-as01")
    with open(path) as handle:
        original = handle.read()
    conflicted = original.replace("# hand-made entries", "10.201.0.77\tvalley-cm01\t# someone's old note\n# hand-made entries")
    with open(path, "r+") as handle:
        handle.write(conflicted)
        handle.truncate()
    digests = hosts_digests()
    result, _seconds = playbook("link-clusters.yml", "--tags", "hosts")
    assert result.returncode != 0
    assert "valley-cm01 is 10.201.0.77 in the line" in result.stdout and "nothing was written" in result.stdout
    assert recap(result.stdout)["summit-as01"]["failed"] == 1
    assert hosts_digests() == digests
    with open(path, "r+") as handle:
        handle.write(original)
        handle.truncate()
