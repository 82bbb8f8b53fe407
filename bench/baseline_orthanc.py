"""Baseline for bench/gateway_scale.py: the same registry reconcile as a plain Python script, one HTTP session.

    python bench/baseline_orthanc.py JOB.json   (prints {"calls": N})
JOB's modalities are complete (every field, in Orthanc's names): a PUT replaces the whole modality.
"""

import base64
import http.client
import json
import sys


def main():
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    conn = http.client.HTTPConnection(job["host"], job["port"])
    auth = "Basic " + base64.b64encode(job["auth"].encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    calls = 0

    def call(method, path, body=None):
        nonlocal calls
        calls += 1
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return json.loads(data) if data.strip() else None

    current = call("GET", "/modalities?expand")
    for name in sorted(set(current) - set(job["modalities"])):
        call("DELETE", "/modalities/" + name)
    for name, body in sorted(job["modalities"].items()):
        if current.get(name) != body:  # complete objects: Orthanc sets every field a PUT omits
            call("PUT", "/modalities/" + name, body)
    conn.close()
    print(json.dumps({"calls": calls}))


if __name__ == "__main__":
    main()
