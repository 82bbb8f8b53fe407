"""Every role has a README (Galaxy's importer requires one) that documents each of its options."""

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))


@pytest.mark.parametrize("role", ROLES)
def test_role_readme_names_the_role_and_every_option(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    with open(os.path.join(ROOT, "roles", role, "README.md")) as handle:
        readme = handle.read()
    assert readme.startswith("# impax.cluster_link.%s\n" % role)
    missing = sorted(name for spec in specs.values() for name in spec.get("options") or {}
                     if "| `%s` |" % name not in readme)
    assert missing == [], "options of %s not in its README: %s" % (role, missing)
