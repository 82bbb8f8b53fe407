"""Run a module of the collection the way Ansible runs it on a node, for the benchmarks.

AnsiballZ hands the arguments to ansible-core's module loader (``_loader.run_module``), which imports the module
by its FQN with runpy; here the module comes from the installed collection instead of the zip Ansible sends (whose
per-run unzip and compile belong to Ansible's transport, not to the module).

    python bench/run_module.py impax.cluster_link.dicom_nodes ARGS.json   (ARGS.json: {"ANSIBLE_MODULE_ARGS": {...}})
"""

import sys

from ansible.module_utils._internal._ansiballz import _loader


def main():
    namespace, collection, name = sys.argv[1].split(".")
    with open(sys.argv[2], "rb") as handle:
        params = handle.read()
    _loader.run_module(json_params=params, profile="legacy", extensions={}, modlib_path=sys.argv[0],
                       module_fqn="ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name))


if __name__ == "__main__":
    main()
