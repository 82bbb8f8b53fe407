#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: estate_lock
short_description: Take or give up the estate lock of one IMPAX cluster, in its configuration database
version_added: 0.1.0
description:
  - Every playbook that changes a cluster (rollout, drift correction, rollback) holds the cluster's estate lock
    while it writes, so that two runs - from one controller or from several AWX nodes - never change one cluster at
    the same time. The lock is one row in a table of its own in the cluster's configuration database.
  - A second run waits up to O(wait) seconds for the lock and then fails, naming the run that holds it (who, which
    playbook, since when, until when its lease runs).
  - A lock whose lease has run out, or whose run is gone from this controller (its C(ansible-playbook) process has
    ended), is stale and is taken over with a warning. O(take_over) takes over a lock named by its run id.
  - M(impax.cluster_link.config_database) with O(impax.cluster_link.config_database#module:lock) checks in its own
    transaction that its run still holds the lock and renews the lease, so a run whose lock was taken over writes
    nothing more.
  - The C(estate_lock) role runs it; C(docs/operations.md) describes the lock.
extends_documentation_fragment:
  - impax.cluster_link.config_db.connection
options:
  state:
    description:
      - V(held) takes the lock (or renews it when this run holds it); V(released) gives it up when this run holds
        it; V(gathered) only reads who holds it.
    type: str
    choices: [held, released, gathered]
    default: held
  run_id:
    description: The run that takes or gives up the lock; one id for every task of a playbook run.
    type: str
  holder:
    description: Who runs it, as the holder is shown to others (default C(user@controller)).
    type: str
  playbook:
    description: The playbook that holds the lock, as shown to others.
    type: str
  controller:
    description: The controller the run starts from (default its host name); with O(pid), how a run that is gone is
      recognised.
    type: str
  pid:
    description: The process id of the run's C(ansible-playbook) on O(controller) (default the one running this task).
    type: int
  lease:
    description: Seconds after which an unrenewed lock is stale. Each write of the configuration database renews it.
    type: int
    default: 1800
  wait:
    description: Seconds to wait for a lock another run holds before failing (controller side; 0 fails at once).
    type: int
    default: 0
  poll:
    description: Seconds between two looks at a lock another run holds, while waiting.
    type: int
    default: 5
  must_hold:
    description: Fail when the lock is held by another run after O(wait). V(false) returns C(outcome=held) instead,
      for a caller that takes several clusters' locks all or none.
    type: bool
    default: true
  take_over:
    description: The run id of a lock known to be stale (its run is gone), to take over before its lease runs out.
    type: str
  table:
    description: The lock's table in the configuration database (created on first use; a plain SQL identifier).
    type: str
    default: impax_cluster_link_lock
  cluster:
    description: The cluster's name, for messages.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads who holds the lock and says what a real run would do (C(would_take) or C(held)); takes nothing.
  diff_mode:
    support: none
    description: The lock is the run's bookkeeping, not configuration; there is nothing to diff.
  action:
    support: full
    description: An action plugin on the controller waits, and recognises a run of this controller that is gone.
notes:
  - The database's own transaction keeps two takers apart (SQLite C(BEGIN IMMEDIATE), PostgreSQL C(LOCK TABLE)).
  - Lease times are the clock of the node that runs the module (the cluster's database node).
author:
  - impax.cluster_link contributors (@impax)
"""

EXAMPLES = r"""
- name: Take the lock of this cluster for this run (wait up to two minutes)
  impax.cluster_link.estate_lock:
    database: {path: /var/lib/impax/config.sqlite}
    run_id: "{{ impax_run_id }}"
    playbook: link_clusters.yml
    wait: 120

- name: Give it up
  impax.cluster_link.estate_lock:
    database: {path: /var/lib/impax/config.sqlite}
    run_id: "{{ impax_run_id }}"
    state: released

- name: Who holds it?
  impax.cluster_link.estate_lock:
    database: {path: /var/lib/impax/config.sqlite}
    state: gathered
  register: lock
"""

RETURN = r"""
outcome:
  description:
    - V(taken) (it was free), V(renewed) (this run held it), V(taken_over) (a stale lock), V(held) (another run holds
      it), V(would_take) (check mode), V(released), V(not_held) (released, but this run did not hold it), V(free),
      V(gathered).
  returned: always
  type: str
  sample: taken
held_by:
  description: The run that held the lock before this call (for V(held), the one that still holds it), or null.
  returned: always
  type: dict
  sample: {run_id: 2026-12-06T10-00-00-4711, holder: ops@ctl1, playbook: link_clusters.yml, controller: ctl1,
           pid: 4711, since: "2026-12-06T10:00:00Z", expires: "2026-12-06T10:30:00Z", lease: 1800}
waited:
  description: Seconds the controller waited for another run's lock.
  returned: always
  type: int
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.impax.cluster_link.plugins.module_utils.targets.config_db import (
    ConfigDbError, Database, database_options)
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.estate_lock import (
    DEFAULT_TABLE, EstateLock, shown)


def argument_spec():
    return dict(
        state=dict(type="str", choices=["held", "released", "gathered"], default="held"),
        database=dict(type="dict", options=database_options()),
        run_id=dict(type="str"),
        holder=dict(type="str"),
        playbook=dict(type="str"),
        controller=dict(type="str"),
        pid=dict(type="int"),
        lease=dict(type="int", default=1800),
        wait=dict(type="int", default=0),
        poll=dict(type="int", default=5),
        must_hold=dict(type="bool", default=True),
        take_over=dict(type="str"),
        table=dict(type="str", default=DEFAULT_TABLE),
        cluster=dict(type="str"),
    )


def stale_note(row, take_over):
    why = "its run is gone" if take_over == row["run_id"] else "its lease ran out at %s" % shown(row)["expires"]
    return ("took over the estate lock of run %s (%s, %s, since %s): %s; what that run left half done is converged "
            "by this one" % (row["run_id"], row["holder"], row["playbook"], shown(row)["since"], why))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "held", ("run_id", "database")), ("state", "released", ("run_id", "database")),
                                        ("state", "gathered", ("database",))])
    params = module.params
    if params["lease"] < 60:
        module.fail_json(msg="lease must be at least 60 seconds, got %d" % params["lease"])
    db = Database(params["database"])
    try:
        db.connect()
        lock = EstateLock(db, params["table"])
        if params["state"] == "gathered" or module.check_mode:
            row = lock.read()
            if params["state"] == "gathered":
                outcome = "gathered" if row else "free"
            elif params["state"] == "released":
                outcome = "released" if row and row["run_id"] == params["run_id"] else "not_held"
            else:
                live = row and row["run_id"] != params["run_id"] and (row["expires"] or 0) >= time.time() \
                    and row["run_id"] != params["take_over"]
                outcome = "held" if live else "would_take"
            module.exit_json(changed=False, outcome=outcome, held_by=shown(row), waited=0)
        if params["state"] == "released":
            released, row = lock.release(params["run_id"])
            if row and not released:
                module.warn("the estate lock is held by run %s (%s, %s), not by this run: left as it is"
                            % (row["run_id"], row["holder"], row["playbook"]))
            module.exit_json(changed=released, outcome="released" if released else "not_held", held_by=shown(row),
                             waited=0)
        run = dict((key, params[key]) for key in ("run_id", "holder", "playbook", "controller", "pid"))
        outcome, row = lock.hold(run, params["lease"], take_over=params["take_over"])
        if outcome == "taken_over":
            module.warn(stale_note(row, params["take_over"]))
        module.exit_json(changed=outcome in ("taken", "taken_over"), outcome=outcome,
                         held_by=shown(row) if outcome != "renewed" else None, waited=0)
    except ConfigDbError as exc:  # named as config_database names it: which module, then what
        module.fail_json(msg="estate_lock: %s" % exc, unreachable=exc.unreachable)
    except Exception as exc:  # every driver has its own error classes
        module.fail_json(msg="estate_lock: the estate lock could not be read or written: %s"
                             % str(exc).strip().splitlines()[0])
    finally:
        db.close()


if __name__ == "__main__":
    main()
