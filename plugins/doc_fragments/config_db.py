# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Options shared by every configuration-database list module (plugins/module_utils/list_module.py).
    DOCUMENTATION = r"""
options:
  state:
    description:
      - V(merged) creates missing objects and updates only the fields given; V(replaced) makes each listed object
        exactly as given (unset fields at their default); V(overridden) is replaced plus deleting every object not
        listed, except O(protected) ones; V(deleted) deletes the listed keys; V(gathered) reads the table and returns
        it in O(config) shape; V(rendered) returns the rows and statements for O(config) without connecting.
    type: str
    default: merged
    choices: [merged, replaced, overridden, deleted, gathered, rendered]
  profile:
    description:
      - The table profile, which says which table and columns hold each resource (see C(docs/targets.md)) - the
        name of one the collection ships (C(plugins/module_utils/profiles/)), or a site's own as a dict of the same
        shape.
      - V(reference) is the lab's schema.
    type: raw
    default: reference
  protected:
    description: Keys that are never deleted (for example the cluster's own system stations).
    type: list
    elements: str
    default: []
  allow_empty:
    description: Allow V(overridden) with an empty O(config), which deletes every unprotected object.
    type: bool
    default: false
  max_deletions:
    description:
      - Fail before changing anything when the plan would delete more objects than this.
      - In check mode the module does not fail - it returns the whole plan and names the refusal in RV(refused)
        (a warning too), so a preview shows every stage and what the real run would refuse.
    type: int
attributes:
  check_mode:
    support: full
    description: The same code plans the change; only the writes are skipped, so changed, commands and diff are the same.
  diff_mode:
    support: full
    description: Before and after keyed per object.
  idempotent:
    support: full
    description: A second run with the same config plans no operation.
notes:
  - One transaction per call, so all changes of the table commit together or none do. Table and column names
    come only from the profile (checked as plain identifiers); every value is a bound parameter.
requirements:
  - psycopg >= 3 for PostgreSQL; python-oracledb for Oracle (on the node that runs the module).
"""

    # How to reach the database: every module that talks to it (config_database, estate_lock).
    CONNECTION = r"""
options:
  database:
    description:
      - How to reach the cluster configuration database. Set it once for all modules with
        C(module_defaults) and the C(group/impax.cluster_link.config_db) action group.
    type: dict
    suboptions:
      engine:
        description: Database engine. SQLite is the embedded default.
        type: str
        choices: [sqlite, postgresql, oracle]
        default: sqlite
      path:
        description: SQLite database file on the node. It must exist.
        type: path
      host:
        description: PostgreSQL server host name.
        type: str
      port:
        description: PostgreSQL server port (5432 when unset).
        type: int
      name:
        description: PostgreSQL database name.
        type: str
      user:
        description: PostgreSQL or Oracle user.
        type: str
      password:
        description: PostgreSQL or Oracle password. Never logged.
        type: str
      dsn:
        description: Oracle data source name (python-oracledb).
        type: str
      sslmode:
        description: PostgreSQL TLS mode. Certificates are verified by default.
        type: str
        default: verify-full
        choices: [disable, allow, prefer, require, verify-ca, verify-full]
      sslrootcert:
        description: CA certificate file for O(database.sslmode=verify-full).
        type: path
      timeout:
        description: Seconds to wait for the server (and for SQLite locks).
        type: int
        default: 30
"""
