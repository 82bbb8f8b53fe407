# impax.cluster_link - every command the README names.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV))/bin
COLL := .build/collections/ansible_collections/impax/cluster_link
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath .build/collections)
ESTATE ?= example

DB ?= sqlite
LAB := -i inventories/lab -e impax_lab_database=$(DB)

.PHONY: setup demo plan test unit release-check lab-test molecule lint sanity bench clean lab-up lab-down lab-status

## setup: install Debian and Python packages, link the collection (idempotent)
setup: $(VENV)/.done $(COLL)

$(VENV)/.done: requirements.txt requirements-dev.txt
	@python3 -m venv --help >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip)
	@command -v shellcheck >/dev/null || (apt-get update -qq && apt-get install -y -qq shellcheck) || true
	@# graphviz draws the estate picture in drift reports; chromium opens the report in the tests
	@command -v dot >/dev/null && command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq graphviz chromium fonts-dejavu-core)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

$(COLL):
	mkdir -p $(dir $(COLL))
	ln -sfn $(abspath .) $(COLL)

## demo: bring the lab up, run the main job on it, show the lab; the lab stays up
demo: lab-up
	$(BIN)/ansible-playbook link-clusters.yml -i inventories/lab -e impax_lab_database=$(DB)
	$(BIN)/ansible-playbook playbooks/lab_status.yml $(LAB)
	@echo "The lab is still running. Stop it with: make lab-down$(if $(filter postgresql,$(DB)), DB=postgresql)"

plan: setup
	$(BIN)/ansible-playbook playbooks/plan.yml -i inventories/$(ESTATE)

## test: everything CI runs
test: setup unit release-check lab-test molecule lint sanity

unit: setup
	$(PY) -m pytest -q tests/unit tests/playbooks

## release-check: the tarball as a user gets it - galaxy-importer, installed and run by FQCN outside the checkout,
## ansible-builder, the changelog (tests/release/check.sh)
release-check: setup
	tests/release/check.sh

# each lab test module brings up a fresh lab: a lab left up (make demo) is taken down first, and make demo brings
# it back afterwards
lab-test: setup
	@if [ -f .build/lab/state.json ]; then echo "A lab is up (make demo?): taking it down for the lab tests; make demo brings it back."; $(MAKE) --no-print-directory lab-down; fi
	$(PY) -m pytest -q tests/lab tests/integration

## molecule: the five scenarios on the lab (default, postgresql, brownfield, bad_estate, drift)
molecule: setup
	for scenario in default postgresql brownfield bad_estate drift; do $(BIN)/molecule test -s $$scenario || exit 1; done

lint: setup
	$(BIN)/ansible-lint --profile production

sanity: setup
	tests/sanity/run.sh

bench: setup
	$(PY) bench/plan_scale.py

## lab-up / lab-down / lab-status: the namespace lab (DB=postgresql for the PostgreSQL variant)
lab-up: setup
	$(BIN)/ansible-playbook playbooks/lab_up.yml $(LAB)

lab-down: setup
	$(BIN)/ansible-playbook playbooks/lab_down.yml $(LAB)

lab-status: setup
	$(BIN)/ansible-playbook playbooks/lab_status.yml $(LAB)

clean:
	rm -rf .build build .pytest_cache
