"""hosts_block when the disk is full: the original file stays intact, for a normal and a bind-mounted file.

Real filesystems: a 64 KiB tmpfs made for the test (needs root to mount), the module run by ansible-playbook.
"""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
ORIGINAL = "127.0.0.1\tlocalhost\n10.9.9.9\tprinter\t# by hand\n"
ENTRIES = [{"ip": "10.%d.%d.%d" % (1 + i // 65536, i // 256 % 256, i % 256), "hostname": "station-%05d" % i,
            "comment": "a comment long enough to need more room than the disk has left"} for i in range(600)]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root")


def run_module(tmp_path, path):
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
             "tasks": [{"name": "Write the hosts block", "impax.cluster_link.hosts_block": {"path": path, "entries": ENTRIES},
                        "register": "out"}]}]
    book = tmp_path / "play.yml"
    book.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-e",
                           "ansible_python_interpreter=" + sys.executable, str(book)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def small_fs(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory):
    """Take every free byte of the filesystem."""
    fd = os.open(os.path.join(directory, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (4096, 512, 1):
            while True:
                try:
                    os.write(fd, b"x" * size)
                except OSError:
                    break
    finally:
        os.close(fd)


def test_full_disk_normal_file(tmp_path, small_fs):
    path = small_fs / "hosts"
    path.write_text(ORIGINAL)
    os.chmod(path, 0o644)
    fill(small_fs)
    result = run_module(tmp_path, str(path))
    assert result.returncode != 0
    assert "No space left on device" in result.stdout, result.stdout
    assert path.read_text() == ORIGINAL
    assert sorted(os.listdir(small_fs)) == ["filler", "hosts"], "no temporary file left behind"


def test_full_disk_bind_mounted_file(tmp_path, small_fs):
    source = small_fs / "hosts"
    source.write_text(ORIGINAL)
    target_dir = tmp_path / "etc"
    target_dir.mkdir()
    target = target_dir / "hosts"
    target.write_text("placeholder\n")
    subprocess.run(["mount", "--bind", str(source), str(target)], check=True)
    try:
        fill(small_fs)
        result = run_module(tmp_path, str(target))
        assert result.returncode != 0
        assert "the old content was put back" in result.stdout, result.stdout
        assert target.read_text() == ORIGINAL and source.read_text() == ORIGINAL
        assert os.listdir(target_dir) == ["hosts"], "no temporary file left behind"
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_bind_mounted_file_is_written_in_place(tmp_path):
    source = tmp_path / "real_hosts"
    source.write_text(ORIGINAL)
    os.chmod(source, 0o640)
    target = tmp_path / "hosts"
    target.write_text("placeholder\n")
    subprocess.run(["mount", "--bind", str(source), str(target)], check=True)
    try:
        result = run_module(tmp_path, str(target))
        assert result.returncode == 0, result.stdout
        assert source.read_text().startswith(ORIGINAL + "\n# BEGIN impax.cluster_link managed block\n")
        assert oct(os.stat(source).st_mode & 0o777) == "0o640"
    finally:
        subprocess.run(["umount", str(target)], check=False)
