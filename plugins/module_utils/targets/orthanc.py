# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Orthanc REST client: one kept-alive connection for a whole reconcile.

``open_url`` builds a new SSL context per request (lab-notes); a module
that makes hundreds of calls holds one ``http.client`` connection instead.
TLS certificates are verified unless the caller turns it off explicitly.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import time
from urllib.parse import quote, urlsplit

from ansible_collections.impax.cluster_link.plugins.module_utils.driver import Target, TargetError


class OrthancError(TargetError):
    """A refused or failed call, with the HTTP status when there was one."""

    def __init__(self, message, status=None, body=None, unreachable=False):
        super(OrthancError, self).__init__(message, unreachable)
        self.status = status
        self.body = body


class OrthancClient(object):
    def __init__(self, url, username=None, password=None, validate_certs=True, ca_path=None, timeout=30):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OrthancError("url must be http(s)://host[:port][/prefix], got %r" % url)
        self.url = url
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", "Connection": "keep-alive"}
        if username is not None:
            token = base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = "Basic " + token
        self.context = None
        if self.scheme == "https":
            self.context = ssl.create_default_context(cafile=ca_path)
            if not validate_certs:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE
        self.connection = None
        self.calls = []  # (method, path) of every request, for the module's commands and the benchmarks

    def _connect(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None, retry=True):
        if self.connection is None:
            self.connection = self._connect()
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        self.calls.append((method, path))
        try:
            self.connection.request(method, self.prefix + path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.close()
            if retry:  # the server closed an idle kept-alive connection: reconnect once
                self.calls.pop()
                return self.request(method, path, body, retry=False)
            raise OrthancError("%s closed the connection during %s %s" % (self.url, method, path))
        except ssl.SSLError as exc:
            self.close()
            raise OrthancError("TLS to %s failed: %s (set ca_path, or validate_certs: false on purpose)" % (self.url, exc))
        except (socket.timeout, TimeoutError):
            self.close()
            raise OrthancError("%s did not answer %s %s within %s s" % (self.url, method, path, self.timeout),
                               unreachable=True)
        except OSError as exc:
            self.close()
            raise OrthancError("cannot reach %s: %s" % (self.url, exc), unreachable=True)
        text = data.decode("utf-8", "replace")
        if response.status == 401:
            raise OrthancError("%s answered 401 Unauthorized: wrong username or password - or the Orthanc has "
                               "RemoteAccessAllowed false, which refuses every client that is not on its own host"
                               % self.url, 401, text)
        if response.status >= 400:
            detail = text
            try:
                parsed = json.loads(text)
                detail = parsed.get("Details") or parsed.get("Message") or text
            except ValueError:
                pass
            raise OrthancError("%s %s refused (%d): %s" % (method, path, response.status, detail.strip()),
                               response.status, text)
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def get(self, path):
        return self.request("GET", path)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def post(self, path, body):
        return self.request("POST", path, body)

    def delete(self, path):
        return self.request("DELETE", path)

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    # -- resources ----------------------------------------------------------------------
    def modalities(self):
        return self.get("/modalities?expand") or {}

    def peers(self):
        return self.get("/peers?expand") or {}

    def echo(self, name, timeout=None):
        start = time.perf_counter()
        self.post("/modalities/%s/echo" % quote(name, safe=""), {"Timeout": timeout} if timeout else {})
        return time.perf_counter() - start


def quote_id(name):
    return quote(name, safe="")


MASK = "********"


class RegistryTarget(Target):
    """The driver's target: an Orthanc's registries (``modalities``, ``peers``: the part keys), through one
    kept-alive connection. ``fields`` maps each part's options to Orthanc's JSON fields. Orthanc cannot give a
    peer's password back: under ``update_password=on_create`` the stored one is taken to be the one wanted."""

    counter = "calls"
    noun = "Orthanc"

    def __init__(self, client, fields, wanted_passwords=None):
        self.client = client
        self.fields = fields
        self.wanted_passwords = wanted_passwords  # peer name -> password (on_create), or None (always)

    def read(self, part):
        names = dict((key, option) for option, key in self.fields[part.key].items())
        items = [part.resource.from_record(body, names, name=name)
                 for name, body in sorted((self.client.get("/%s?expand" % part.key) or {}).items())]
        if part.key == "peers":
            for item in items:
                item["password"] = (self.wanted_passwords or {}).get(item["name"])
        return items

    def body(self, part, item):
        return dict((key, item[option]) for option, key in self.fields[part.key].items() if item.get(option) is not None)

    def commands(self, part, ops):
        calls = []
        for op in ops:
            call = {"op": op.action, "key": op.key, "path": "/%s/%s" % (part.key, quote_id(op.key))}
            if op.action == "delete":
                call["method"] = "DELETE"
            else:
                call.update(method="PUT", body=self.body(part, op.after))
                if call["body"].get("Password") is not None:
                    call["body"]["Password"] = MASK
                if op.action == "update":  # what differs, for the diff and the drift report (a permission by hand)
                    call["fields"] = dict((name, pair) for name, pair in op.fields().items() if name != "password")
            calls.append(call)
        return calls

    def apply(self, planned):
        for part, ops in planned:
            done = []
            for op in ops:
                path = "/%s/%s" % (part.key, quote_id(op.key))
                try:
                    if op.action == "delete":
                        self.client.delete(path)
                    else:
                        self.client.put(path, self.body(part, op.after))
                except OrthancError as exc:
                    raise OrthancError("%s (after %d of %d %s calls: %s)" % (
                        exc, len(done), len(ops), part.key, ", ".join(done) or "none"), exc.status, exc.body,
                        exc.unreachable)
                done.append("%s %s" % (op.action, op.key))

    def read_back(self, part, ops):
        return self.read(part) if part.key == "modalities" else None  # a password cannot be read back

    def count(self):
        return len(self.client.calls)

    def close(self):
        self.client.close()
