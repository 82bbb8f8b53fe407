#!/usr/bin/env bash
# The release as a user gets it (make release-check; CI runs it):
#   1. build the tarball and run galaxy-importer on it - no error, and the lab and tests are not in it;
#   2. install it into an empty collections path and run impax.cluster_link.plan by its FQCN on a copy of the
#      example inventory, from a folder outside the checkout with no ansible.cfg;
#   3. ansible-builder: read the installed collection's dependencies (introspect) and create the build context of
#      the documented EE definition (no container engine needed);
#   4. CHANGELOG.rst is what antsibull-changelog makes of changelogs/changelog.yaml, and lists every module.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
TOOLS=$ROOT/.build/release-tools           # galaxy-importer pins its own ansible-lint: a venv of its own
WORK=$(mktemp -d /tmp/impax-release.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_CONFIG

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'release check FAILED: %s\n' "$*" >&2; exit 1; }

if [ ! -x "$TOOLS/bin/ansible-builder" ] || [ ! -x "$TOOLS/bin/python" ] || ! "$TOOLS/bin/python" -c 'import galaxy_importer' 2>/dev/null; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q 'galaxy-importer>=0.4.40,<0.5' 'ansible-builder>=3.1,<4' 2>&1 | grep -v "^WARNING: Location" || true
fi

step "build"
version=$("$BIN/python" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
(cd "$ROOT" && "$BIN/ansible-galaxy" collection build --force --output-path "$WORK" >/dev/null)
tarball=$WORK/impax-cluster_link-$version.tar.gz
[ -f "$tarball" ] || fail "no tarball $tarball"
listing=$(tar tzf "$tarball")
for kept_out in roles/lab/ playbooks/lab_up.yml inventories/lab/ molecule/ tests/ bench/ .ci/; do
  if grep -q "^$kept_out" <<<"$listing"; then fail "$kept_out is in the tarball"; fi
done
for shipped in README.md LICENSE meta/runtime.yml meta/execution-environment.yml bindep.txt requirements.txt \
               CHANGELOG.rst inventories/example/hosts.yml playbooks/plan.yml roles/hosts_file/README.md; do
  grep -qx "$shipped" <<<"$listing" || fail "$shipped is not in the tarball"
done
echo "$tarball: $(wc -l <<<"$listing") entries, no lab, tests or Molecule"

step "galaxy-importer"
(cd "$WORK" && PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/python" -m galaxy_importer.main "$tarball" >"$WORK/importer.log" 2>&1) \
  || { cat "$WORK/importer.log"; fail "galaxy-importer rejected the tarball"; }
if grep -E '^(ERROR|CRITICAL)|ImporterError|Traceback' "$WORK/importer.log"; then fail "galaxy-importer reported errors"; fi
grep -q "Importer processing completed successfully" "$WORK/importer.log" || { cat "$WORK/importer.log"; fail "galaxy-importer did not complete"; }
"$BIN/python" - "$WORK/importer_result.json" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))
names = sorted(c["content_type"] + " " + c["name"] for c in result["contents"])
roles = [n for n in names if n.startswith("role ")]
assert "role lab" not in names, names
assert len(roles) >= 9, roles
print("galaxy-importer: no error; %d contents (%d roles), requires_ansible %s"
      % (len(names), len(roles), result["requires_ansible"]))
EOF

step "install into an empty collections path; plan the example estate from a folder with no ansible.cfg"
mkdir -p "$WORK/collections" "$WORK/project"
(cd "$WORK/project" && ANSIBLE_COLLECTIONS_PATH="$WORK/collections" \
  "$BIN/ansible-galaxy" collection install -p "$WORK/collections" "$tarball" >"$WORK/install.log" 2>&1) \
  || { cat "$WORK/install.log"; fail "ansible-galaxy collection install failed"; }
installed=$WORK/collections/ansible_collections/impax/cluster_link
cp -r "$installed/inventories/example" "$WORK/project/example"
(cd "$WORK/project" && [ ! -e ansible.cfg ] && ANSIBLE_COLLECTIONS_PATH="$WORK/collections" \
  "$BIN/ansible-playbook" impax.cluster_link.plan -i example >"$WORK/plan.log" 2>&1) \
  || { cat "$WORK/plan.log"; fail "impax.cluster_link.plan failed outside the checkout"; }
"$BIN/python" - "$WORK/project/build/plan-example.json" "$WORK/plan.log" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
clusters = sorted(plan["clusters"])
assert plan["valid"] is True, plan["findings"]
assert clusters == ["east", "north", "south"], clusters
assert "valid (0 errors" in open(sys.argv[2]).read()
print("plan by FQCN from the installed tarball: valid, clusters %s, written under the project folder" % clusters)
EOF
if find "$installed" -newer "$tarball" -path '*/build/*' | grep -q .; then fail "a playbook wrote into the installed collection"; fi

step "ansible-builder"
"$TOOLS/bin/ansible-builder" introspect --sanitize "$WORK/collections" >"$WORK/introspect.txt"
if ! grep -q "psycopg" "$WORK/introspect.txt" || ! grep -q "openssh-clients \[platform:rpm\]" "$WORK/introspect.txt"; then
  cat "$WORK/introspect.txt"; fail "ansible-builder did not read meta/execution-environment.yml"
fi
echo "introspect: $(grep -c 'from collection impax.cluster_link' "$WORK/introspect.txt") dependencies from the collection"
"$TOOLS/bin/ansible-builder" create -f docs/execution-environment.yml --context "$WORK/ee" >/dev/null
[ -f "$WORK/ee/Dockerfile" ] || [ -f "$WORK/ee/Containerfile" ] || fail "ansible-builder create wrote no Containerfile"
grep -q "impax.cluster_link" "$WORK/ee/_build/requirements.yml" || fail "the EE context does not install the collection"
echo "ansible-builder create: a build context with $(find "$WORK/ee" -type f | wc -l) files"

step "changelog"
"$BIN/antsibull-changelog" lint
cp CHANGELOG.rst "$WORK/CHANGELOG.rst.committed"
"$BIN/antsibull-changelog" generate >/dev/null
if ! diff -u "$WORK/CHANGELOG.rst.committed" CHANGELOG.rst; then
  cp "$WORK/CHANGELOG.rst.committed" CHANGELOG.rst
  fail "CHANGELOG.rst is not what antsibull-changelog generate makes"
fi
for module in plugins/modules/*.py; do
  name=$(basename "$module" .py)
  grep -q "impax.cluster_link.$name - " CHANGELOG.rst || fail "CHANGELOG.rst does not list module $name as new"
done
echo "CHANGELOG.rst: regenerated identically; every module listed"
printf '\nrelease check passed\n'
