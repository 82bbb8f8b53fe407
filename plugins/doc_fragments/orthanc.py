# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Connection to an Orthanc DICOM gateway's REST API; set once with module_defaults for group/impax.cluster_link.gateway.
    DOCUMENTATION = r"""
options:
  url:
    description: Base URL of the Orthanc REST API, for example C(https://harbor-cm01:8042).
    type: str
  username:
    description: REST API user.
    type: str
  password:
    description: REST API password. Never logged.
    type: str
  validate_certs:
    description: Verify the server's TLS certificate. Turn off only on purpose.
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify the server's certificate with.
    type: path
  timeout:
    description: Seconds to wait for each answer.
    type: int
    default: 30
notes:
  - All calls go over one kept-alive connection.
  - A 401 answer can also mean that the Orthanc has C(RemoteAccessAllowed) false and refuses every client that
    is not on its own host.
"""
