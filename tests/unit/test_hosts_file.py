"""Hosts files as they are found in the field: parse, render, conflicts, refusals, safe writes."""

import ipaddress
import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.impax.cluster_link.plugins.module_utils.targets import hosts_file as hf

ENTRIES = [
    {"ip": "10.0.0.11", "hostname": "north-cm01", "aliases": ["ncm"], "comment": "cluster north; AE NGH_CM"},
    {"ip": "fd00::11", "hostname": "north-cm01", "aliases": [], "comment": ""},
    {"ip": "10.0.0.21", "hostname": "south-cm01", "aliases": [], "comment": None},
]


def applied(text):
    """(new text, parsed file, clean entries) after putting ENTRIES in ``text``."""
    hosts = hf.HostsFile(text)
    clean = hf.normalise_entries(ENTRIES)
    return hosts.with_block(hf.render_block(clean, newline=hosts.newline)), hosts, clean


def render(text):
    return applied(text)[0]


def test_appends_block_and_keeps_every_other_line():
    original = "127.0.0.1\tlocalhost\n# printers\n10.9.9.9  printer1   # by hand\n"
    new = render(original)
    assert new.startswith(original + "\n# BEGIN impax.cluster_link managed block\n")
    assert "10.0.0.11\tnorth-cm01 ncm\t# cluster north; AE NGH_CM\n" in new
    assert "fd00::11\tnorth-cm01\n" in new
    assert new.endswith("# END impax.cluster_link managed block\n")
    again = render(new)
    assert again == new, "second render must be identical"


def test_no_trailing_newline_and_tabs():
    original = "127.0.0.1\tlocalhost\t\tlocal"
    new = render(original)
    assert new.startswith("127.0.0.1\tlocalhost\t\tlocal\n\n# BEGIN")
    assert render(new) == new


def test_crlf_file_stays_crlf():
    original = "127.0.0.1 localhost\r\n10.9.9.9 printer\r\n"
    new, hosts = applied(original)[:2]
    assert hosts.newline == "\r\n"
    assert "\n" not in new.replace("\r\n", "")
    assert render(new) == new


def test_block_in_the_middle_is_replaced_in_place():
    original = "a\n# BEGIN impax.cluster_link managed block\n10.1.1.1 old\n# END impax.cluster_link managed block\nb\n"
    new, hosts = applied(original)[:2]
    assert new.startswith("a\n# BEGIN") and new.endswith("managed block\nb\n")
    assert hosts.managed_entries() == [{"ip": "10.1.1.1", "hostname": "old", "aliases": [], "comment": ""}]


def test_hand_edited_block_is_rewritten():
    first = render("127.0.0.1 localhost\n")
    edited = first.replace("10.0.0.21\tsouth-cm01", "10.0.0.99\tsouth-cm01")
    fixed = render(edited)
    assert fixed == first


def test_empty_file_and_duplicate_unmanaged_lines():
    assert render("").startswith("# BEGIN")
    dup = "10.9.9.9 printer\n10.9.9.9 printer\n"
    assert render(dup).startswith(dup)


def test_broken_markers_are_refused():
    with pytest.raises(hf.HostsFileError, match="markers are broken"):
        hf.HostsFile("# BEGIN impax.cluster_link managed block\n10.1.1.1 x\n")
    with pytest.raises(hf.HostsFileError, match="more than once"):
        hf.HostsFile(("# BEGIN impax.cluster_link managed block\n# END impax.cluster_link managed block\n") * 2)


@pytest.mark.parametrize("entry,message", [
    ({"ip": "10.0.0.300", "hostname": "a"}, "not an IPv4 or IPv6"),
    ({"ip": "10.0.0.1", "hostname": "a b"}, "whitespace"),
    ({"ip": "10.0.0.1", "hostname": "a#b"}, "'#'"),
    ({"ip": "10.0.0.1", "hostname": "a\nb"}, "whitespace"),
    ({"ip": "10.0.0.1", "hostname": "ok", "aliases": ["bad_name"]}, "invalid label"),
    ({"ip": "10.0.0.1", "hostname": "ok", "comment": "two\nlines"}, "one line"),
    ({"ip": "10.0.0.1", "hostname": "ok", "comment": "bell\x07"}, "one line"),
    ({"ip": "10.0.0.1", "hostname": "ok", "comment": "cr\r"}, "one line"),
])
def test_bad_entries_are_refused(entry, message):
    with pytest.raises(hf.HostsFileError, match=message):
        hf.normalise_entries([entry])


def test_duplicate_name_inside_block_is_refused():
    with pytest.raises(hf.HostsFileError, match="already mapped"):
        hf.normalise_entries([{"ip": "10.0.0.1", "hostname": "a"}, {"ip": "10.0.0.2", "hostname": "A"}])
    # the same name on IPv4 and IPv6 is fine
    hf.normalise_entries([{"ip": "10.0.0.1", "hostname": "a"}, {"ip": "fd00::1", "hostname": "a"}])
    # a tab is fine in a comment
    assert hf.normalise_entries([{"ip": "10.0.0.1", "hostname": "a", "comment": "x\ty"}])[0]["comment"] == "x\ty"


def test_conflicts_with_unmanaged_lines():
    hosts = hf.HostsFile("10.0.0.99 south-cm01 # old address\n10.0.0.11 north-cm01\n")
    found = hf.conflicts(hosts, hf.normalise_entries(ENTRIES))
    assert found == [("south-cm01", "10.0.0.99", "10.0.0.21", "10.0.0.99 south-cm01 # old address")]


def test_own_node_is_never_renamed_nor_moved():
    hosts = hf.HostsFile("127.0.0.1 localhost\n10.0.0.11\tnorth-cm01\n")
    renamed = hf.normalise_entries([{"ip": "10.0.0.11", "hostname": "north-cm99"}])
    assert any("rename" in p for p in hf.own_name_changes(hosts, renamed, "north-cm01", "10.0.0.11"))
    moved = hf.normalise_entries([{"ip": "10.0.0.12", "hostname": "north-cm01"}])
    assert any("not hot-edited" in p for p in hf.own_name_changes(hosts, moved, "north-cm01", "10.0.0.11"))
    same = hf.normalise_entries(ENTRIES)
    assert hf.own_name_changes(hosts, same, "north-cm01", "10.0.0.11") == []


def test_large_file():
    big = "".join("10.%d.%d.%d host%d # comment\n" % (i // 65536 % 256, i // 256 % 256, i % 256, i) for i in range(100000))
    big += "10.0.0.77 south-cm01\n"
    new, hosts, entries = applied(big)
    assert [c[0] for c in hf.conflicts(hosts, entries)] == ["south-cm01"]
    # 100,001 lines kept, a blank line, BEGIN, the notice, 3 entries, END
    assert new.startswith(big) and len(new.splitlines()) == 100001 + 1 + 1 + 1 + 3 + 1


def test_write_file_atomic_keeps_mode(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 localhost\n")
    os.chmod(path, 0o640)
    assert hf.write_file(str(path), "new\n") == "atomic"
    assert path.read_text() == "new\n" and oct(os.stat(path).st_mode & 0o777) == "0o640"
    assert [p.name for p in tmp_path.iterdir()] == ["hosts"], "no temporary file left behind"


def test_in_place_write_restores_on_error(tmp_path, monkeypatch):
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 localhost\n" * 10)
    calls = {"n": 0}
    real_write = os.write

    def failing_write(fd, data):
        calls["n"] += 1
        if calls["n"] == 1:
            real_write(fd, data[:7])  # part of the new bytes reach the file, then the disk is full
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(hf.os, "write", failing_write)
    with pytest.raises(hf.HostsFileError, match="old content was put back"):
        hf._write_in_place(str(path), b"something else entirely\n" * 20)
    monkeypatch.undo()
    assert path.read_text() == "127.0.0.1 localhost\n" * 10


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.ip_addresses(v=4).map(str), st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{1,4}){3}\Z"),
                 st.from_regex(r"\A[0-9. ]{1,16}\Z"), st.ip_addresses(v=6).map(str)))
def test_ip_fast_path_agrees_with_ipaddress(ip):
    """A canonical IPv4 address is taken as written; the result is ipaddress's for any input, or the same refusal."""
    try:
        expected = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        expected = None
    try:
        got = hf.normalise_entries([{"ip": ip, "hostname": "node"}])[0]["ip"]
    except hf.HostsFileError as exc:
        assert expected is None and "is not an IPv4 or IPv6 address" in str(exc)
    else:
        assert got == expected


CONVERGED_CASES = [
    # (file around the block, own hostname, own ip)
    ("127.0.0.1\tlocalhost\n10.0.0.11\tnorth-cm01\n", "north-cm01", "10.0.0.11"),
    ("127.0.0.1\tlocalhost\r\n", None, None),                                   # CRLF file
    ("10.9.9.9\tsouth-cm01\n", None, None),                                     # conflict with an unmanaged line
    ("10.0.0.99\tnorth-cm01\n", "north-cm01", "10.0.0.99"),                      # the table would move this node
    ("", "south-cm01", "10.0.0.21"),                                             # nothing but the block
]


@pytest.mark.parametrize("around,own_hostname,own_ip", CONVERGED_CASES)
def test_a_converged_block_changes_nothing_and_still_reports_conflicts(around, own_hostname, own_ip):
    text = render(around)
    outcome = hf.Outcome(text, ENTRIES, "present", hf.DEFAULT_MARKER, own_hostname, own_ip)
    assert not outcome.changed and outcome.new_text == text
    assert bool(outcome.conflicts or outcome.refusals) == (around.startswith("10.9") or around.startswith("10.0.0.99"))


def test_names_match_whatever_their_case_and_whether_hostname_or_alias():
    entries = hf.normalise_entries([{"ip": "10.0.0.11", "hostname": "north-cm01", "aliases": ["North-CM"]},
                                    {"ip": "10.0.0.21", "hostname": "south-cm01", "aliases": ["south"]},
                                    {"ip": "fd00::21", "hostname": "south-cm01"}])
    hosts = hf.HostsFile("10.0.0.99 SOUTH # moved by hand\nfd00::99 other\n10.0.0.11 NORTH-CM01\n"
                         "fd00::7 south-cm01\n10.0.0.12 north-cm\n")
    assert hf.conflicts(hosts, entries) == [
        ("SOUTH", "10.0.0.99", "10.0.0.21", "10.0.0.99 SOUTH # moved by hand"),
        ("south-cm01", "fd00::7", "fd00::21", "fd00::7 south-cm01"),
        ("north-cm", "10.0.0.12", "10.0.0.11", "10.0.0.12 north-cm")]
    # the node's own name written in capitals is its name; its IP named otherwise is a rename
    assert hf.own_name_changes(hf.HostsFile("10.0.0.11 NORTH-CM01\n"), entries, "north-cm01", "10.0.0.11") == []
    renamed = hf.own_name_changes(hf.HostsFile("10.0.0.11 old-name north-cm01\n"), entries, "North-CM01", "10.0.0.11")
    assert len(renamed) == 1 and "is named old-name in the file, not North-CM01" in renamed[0]
    moved = hf.own_name_changes(hf.HostsFile("10.0.0.5 north-cm01\n"), entries, "NORTH-cm01", None)
    assert len(moved) == 1 and "from 10.0.0.5 to 10.0.0.11" in moved[0]


def test_a_block_losing_more_entries_than_the_limit_is_refused_and_named():
    text = render("127.0.0.1 localhost\n")
    fewer = [ENTRIES[0]]
    assert hf.Outcome(text, fewer, max_deletions=1).over_limit is None
    refused = hf.Outcome(text, fewer, max_deletions=0)
    assert refused.deleted == ["south-cm01"] and refused.changed
    assert refused.over_limit == "the managed block loses 1 entry, more than max_deletions=0 (south-cm01)"
    assert hf.Outcome(text, ENTRIES, max_deletions=0).over_limit is None, "nothing lost, nothing refused"
    # a new block loses nothing; removing the block loses every name it held
    assert hf.Outcome("127.0.0.1 localhost\n", fewer, max_deletions=0).over_limit is None
    assert hf.Outcome(text, [], state="absent", max_deletions=1).deleted == ["north-cm01", "south-cm01"]
