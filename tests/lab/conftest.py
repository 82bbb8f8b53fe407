"""The lab for a test module: up before its first test, down after its last (fresh brownfield each module)."""

import os

import pytest

from labutil import lab_is_up, playbook


def _lab(*extra):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    if lab_is_up():
        pytest.fail("a lab is already up here; run `make lab-down` before the lab tests")
    result, _seconds = playbook("playbooks/lab_up.yml", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    yield
    down, _seconds = playbook("playbooks/lab_down.yml", *extra)
    assert down.returncode == 0, "lab_down failed after this module:\n" + down.stdout[-4000:] + down.stderr[-2000:]


@pytest.fixture(scope="module")
def lab():
    """The lab with its SQLite configuration databases."""
    yield from _lab()


@pytest.fixture(scope="module")
def lab_postgresql():
    """The lab with PostgreSQL configuration databases too (the SQLite files are made as well)."""
    yield from _lab("-e", "impax_lab_database=postgresql")
