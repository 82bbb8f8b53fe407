#!/usr/bin/env bash
# ansible-test sanity on a clean copy of the collection at .../ansible_collections/impax/cluster_link.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv_bin=${VENV_BIN:-$root/.venv/bin}
export PATH=$venv_bin:$PATH
cache=~/.ansible/test/cache
mkdir -p "$cache"
version=$("$venv_bin/python" -c 'import ansible.release as r; print(r.__version__)')
# ansible-test 2.19 asks for get_pip_24_2.py; install the stand-in under every name it may ask for.
for name in get_pip_24_2.py get_pip_24_0.py get_pip_25_0.py; do
  cp "$root/tests/sanity/get_pip_standin.py" "$cache/$name"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/impax/cluster_link
mkdir -p "$dest"
# only what git tracks (plus new files not ignored), as a fresh clone would have
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$dest")
cd "$dest"
git init -q && git add -A >/dev/null
echo "ansible-test sanity (ansible-core $version)"
ansible-test sanity --local --python 3.11 --color no "$@"
