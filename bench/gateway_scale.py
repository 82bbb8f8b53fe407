"""Benchmark: reconciling 2,000 modalities on one lab Orthanc - dicom_nodes against a plain one-session script.

Side by side in one run, each as its own Python process (the module run directly, as Ansible runs it on a
node): the first push, a converged no-op, and a push where 1 % differ. Brings the lab up if it is down.

    .venv/bin/python bench/gateway_scale.py [--modalities 2000] [--json build/bench-gateway.json]
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
from labutil import lab_is_up, playbook, report_figures  # noqa: E402

URL = "http://10.201.0.21:8042"
MODULE = os.path.join(ROOT, "plugins", "modules", "dicom_nodes.py")
FIELDS = {"ae_title": "AET", "host": "Host", "port": "Port", "manufacturer": "Manufacturer", "allow_find": "AllowFind"}


def run_module(modalities):
    args = os.path.join(ROOT, "build", "bench-gateway-args.json")
    with open(args, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": {"url": URL, "username": "impax", "password": "lab-gateway-secret",
                                           "state": "overridden", "modalities": modalities}}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, MODULE, args], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    result = json.loads(out.stdout)
    assert not result.get("failed"), result
    return seconds, result["calls"]


def run_script(modalities):
    job = os.path.join(ROOT, "build", "bench-gateway-job.json")
    body = dict((m["name"], dict((FIELDS[k], v) for k, v in m.items() if k in FIELDS)) for m in modalities)
    with open(job, "w") as handle:
        json.dump({"host": "10.201.0.21", "port": 8042, "auth": "impax:lab-gateway-secret", "modalities": body}, handle)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "baseline_orthanc.py"), job], capture_output=True,
                         text=True, check=True)
    return time.perf_counter() - start, json.loads(out.stdout)["calls"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modalities", type=int, default=2000)
    parser.add_argument("--json")
    args = parser.parse_args()
    wanted = [{"name": "M%05d" % i, "ae_title": "M%05d" % i, "host": "modality-%05d" % i, "port": 104,
               "manufacturer": "Generic", "allow_find": False} for i in range(args.modalities)]
    changed = [dict(m, port=11112) if i % 100 == 0 else m for i, m in enumerate(wanted)]
    started = not lab_is_up()
    if started:
        result, _seconds = playbook("playbooks/lab_up.yml")
        assert result.returncode == 0, result.stdout
    try:
        figures = {"modalities": args.modalities}
        figures["module_first_push"] = run_module(wanted)
        figures["module_noop"] = min(run_module(wanted) for unused in range(3))
        figures["module_one_percent"] = run_module(changed)
        run_module(wanted)
        run_script([])  # empty the registry: the script's first push starts from the same state
        figures["script_first_push"] = run_script(wanted)
        figures["script_noop"] = min(run_script(wanted) for unused in range(3))
        figures["script_one_percent"] = run_script(changed)
        run_module([{"name": "VLY_PLACEHOLDER", "ae_title": "X", "host": "x"}])  # leave a small registry
    finally:
        if started:
            playbook("playbooks/lab_down.yml")
    for phase in ("first_push", "noop", "one_percent"):
        module, script = figures["module_" + phase], figures["script_" + phase]
        figures[phase] = {"module_seconds": round(module[0], 3), "module_calls": module[1],
                          "script_seconds": round(script[0], 3), "script_calls": script[1],
                          "ratio": round(module[0] / script[0], 2)}
    figures = dict((k, v) for k, v in figures.items() if not k.startswith(("module_", "script_")))
    report_figures(figures, args.json)


if __name__ == "__main__":
    main()
