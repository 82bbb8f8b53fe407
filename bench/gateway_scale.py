"""Benchmark: reconciling 2,000 modalities on one lab Orthanc - dicom_nodes against a plain one-session script.

Side by side in one run, each as its own Python process: the first push, a converged no-op, and a push where
1 % differ. Brings the lab up if it is down.

- The module runs the way Ansible runs it on a node: its arguments go to ansible-core's own module loader, which
  imports it by FQN (bench/run_module.py); what is left out is the zip Ansible ships and unpacks every run, a cost
  of the transport that any module pays. It is fed its list the ways it reaches the module: as the rollout feeds
  it (the plan slice as one string, ``from_plan.content``: the dicom_gateway role does so) and as a task's own
  list (objects, which ansible-core encodes, and the module's argument spec checks).
- The script (bench/baseline_orthanc.py) sends complete objects and compares every field, as Orthanc needs
  (lab-notes: a PUT replaces the modality, an omitted Allow* becomes true): it notices the same edits by hand.
- Both may cache their bytecode (this machine sets PYTHONDONTWRITEBYTECODE; a collection on a node is imported
  from a zip or an installed tree, never recompiled on purpose), so neither pays to compile its imports per run.
- The no-op is measured ``--repeat`` times, module and script alternating; min and median of each are reported.

    .venv/bin/python bench/gateway_scale.py [--modalities 2000] [--repeat 15] [--json build/bench-gateway.json]
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
from labutil import lab_is_up, playbook, report_figures  # noqa: E402
from ansible_collections.impax.cluster_link.plugins.module_utils.plan_reference import packed  # noqa: E402
from ansible_collections.impax.cluster_link.plugins.module_utils.resources import MODALITIES, MODALITY_FIELDS  # noqa: E402

URL = "http://10.201.0.21:8042"
BUILD = os.path.join(ROOT, "build")
ENV = dict((k, v) for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE")
ENV["PYTHONPATH"] = os.path.join(ROOT, ".build", "collections")


# how the list reaches the module: the plan slice (the rollout), a task's own list
FEEDS = ("plan_slice", "task_list")


def timed(command):
    start = time.perf_counter()
    out = subprocess.run([sys.executable] + command, capture_output=True, text=True, env=ENV, check=False)
    seconds = time.perf_counter() - start
    result = json.loads(out.stdout)
    assert not result.get("failed") and out.returncode == 0, (result, out.stderr[-2000:])
    return seconds, result["calls"]


def module_job(modalities, feed, label="wanted"):
    args = {"url": URL, "username": "impax", "password": "lab-gateway-secret", "state": "overridden"}
    if feed == "plan_slice":  # what the action plugin sends
        content = json.dumps(modalities, sort_keys=True, separators=(",", ":")).encode()
        args["from_plan"] = {"file": "bench-gateway-slice.json", "sha256": hashlib.sha256(content).hexdigest(),
                             "content": packed(content)}
    else:
        args["modalities"] = modalities
    path = os.path.join(BUILD, "bench-gateway-args-%s-%s.json" % (label, feed))
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    return [os.path.join(ROOT, "bench", "run_module.py"), "impax.cluster_link.dicom_nodes", path]


def script_job(modalities, label):
    body = dict((m["name"], dict((key, MODALITIES.full_normal(m)[option]) for option, key in MODALITY_FIELDS.items()))
                for m in modalities)
    path = os.path.join(BUILD, "bench-gateway-job-%s.json" % label)
    with open(path, "w") as handle:
        json.dump({"host": "10.201.0.21", "port": 8042, "auth": "impax:lab-gateway-secret", "modalities": body}, handle)
    return [os.path.join(ROOT, "bench", "baseline_orthanc.py"), path]


def summary(samples):
    seconds = [s for s, unused in samples]
    return {"min_seconds": round(min(seconds), 4), "median_seconds": round(statistics.median(seconds), 4),
            "calls": samples[0][1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modalities", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json")
    args = parser.parse_args()
    os.makedirs(BUILD, exist_ok=True)
    wanted = [{"name": "M%05d" % i, "ae_title": "M%05d" % i, "host": "modality-%05d" % i, "port": 104,
               "manufacturer": "Generic", "allow_find": False} for i in range(args.modalities)]
    changed = [dict(m, port=11112) if i % 100 == 0 else m for i, m in enumerate(wanted)]
    started = not lab_is_up()
    if started:
        result, _seconds = playbook("playbooks/lab_up.yml")
        assert result.returncode == 0, result.stdout
    try:
        module = dict((feed, module_job(wanted, feed)) for feed in FEEDS)
        script = script_job(wanted, "wanted")
        empty = script_job([], "empty")
        timed(empty)  # empty the registry: the module's first push starts from nothing
        figures = {"modalities": args.modalities, "first_push": {"module": summary([timed(module["plan_slice"])])}}
        noop = dict([("module_" + feed, []) for feed in FEEDS] + [("script", [])])
        for unused in range(args.repeat):
            for feed in FEEDS:
                noop["module_" + feed].append(timed(module[feed]))
            noop["script"].append(timed(script))
        figures["noop"] = dict((name, summary(samples)) for name, samples in noop.items())
        figures["one_percent"] = {"module": summary([timed(module_job(changed, "plan_slice", "changed"))])}
        timed(empty)
        figures["first_push"]["script"] = summary([timed(script)])
        figures["one_percent"]["script"] = summary([timed(script_job(changed, "changed"))])
        timed(module_job([{"name": "VLY_PLACEHOLDER", "ae_title": "X", "host": "x"}], "task_list", "small"))
    finally:
        if started:
            playbook("playbooks/lab_down.yml")
    script_noop = figures["noop"]["script"]
    for name in ["module_" + feed for feed in FEEDS]:
        module_noop = figures["noop"][name]
        figures["noop"][name]["ratio_of_medians"] = round(module_noop["median_seconds"] / script_noop["median_seconds"], 2)
        figures["noop"][name]["ratio_of_mins"] = round(module_noop["min_seconds"] / script_noop["min_seconds"], 2)
    for phase in ("first_push", "one_percent"):
        figures[phase]["ratio"] = round(figures[phase]["module"]["min_seconds"] / figures[phase]["script"]["min_seconds"], 2)
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
