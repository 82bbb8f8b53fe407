# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate lock: one row in each cluster's configuration database says which run may change the cluster.

Why the database: runs may start from different controllers (AWX nodes), and every changing run already reaches
each cluster's database. A row, not a PostgreSQL advisory lock: a run spans many short connections (one per task),
and an advisory lock ends with its session. The row is written in a transaction that keeps other writers of the
lock table out (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``LOCK TABLE``), so two runs never both take it.

A lock has a lease: a run that dies leaves its row behind, and once the lease has run out (or the controller that
holds it says its run is gone) the next run takes it over with a warning. Every write of the configuration
database checks that its run still holds the lock (``verify``) and renews the lease, so a run whose lock was taken
over writes nothing more.
"""

from __future__ import annotations

import time

from ansible_collections.impax.cluster_link.plugins.module_utils.driver import TargetError

DEFAULT_TABLE = "impax_cluster_link_lock"
SCOPE = "estate"
FIELDS = ("scope", "run_id", "holder", "playbook", "controller", "pid", "since", "expires", "lease")


class LockLost(TargetError):
    """This run does not hold the cluster's lock (never took it, or it was taken over)."""


def when(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else None


def shown(row):
    """The holder as an operator reads it: who, which playbook, since when, until when."""
    if not row:
        return None
    return {"run_id": row["run_id"], "holder": row["holder"], "playbook": row["playbook"],
            "controller": row["controller"], "pid": row["pid"], "since": when(row["since"]),
            "expires": when(row["expires"]), "lease": row["lease"]}


class EstateLock(object):
    """The lock row of one cluster, in its configuration database (``db``: a connected config_db.Database)."""

    def __init__(self, db, table=DEFAULT_TABLE):
        self.db = db
        self.table = db.dialect.quote(table)
        self.mark = db.dialect.placeholder

    def _marks(self, count, start=1):
        return ", ".join(self.mark(start + i) for i in range(count))

    def exists(self):
        cursor = self.db.connection.cursor()
        try:
            cursor.execute("SELECT 1 FROM %s WHERE 1 = 0" % self.table)
            cursor.fetchall()
            return True
        except Exception:  # no such table: nobody ever took the lock here
            self.db.rollback()
            return False

    def create(self):
        """The lock table, once (its own small table beside the configuration tables)."""
        text = "VARCHAR(200)"
        number = "DOUBLE PRECISION" if self.db.dialect.engine == "postgresql" else "REAL"
        cursor = self.db.connection.cursor()
        if self.db.dialect.engine == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("CREATE TABLE IF NOT EXISTS %s (scope VARCHAR(40) PRIMARY KEY, run_id %s NOT NULL, holder %s, "
                       "playbook %s, controller %s, pid INTEGER, since %s, expires %s, lease INTEGER)"
                       % (self.table, text, text, text, text, number, number, ))
        self.db.commit()

    def _row(self, cursor, for_update=False):
        # FOR UPDATE (PostgreSQL): a writer's check holds the row until its commit, so no take-over slips between
        lock = " FOR UPDATE" if for_update else ""
        cursor.execute("SELECT %s FROM %s WHERE scope = %s%s" % (", ".join(FIELDS), self.table, self.mark(1), lock),
                       [SCOPE])
        found = cursor.fetchall()
        return dict(zip(FIELDS, found[0])) if found else None

    def read(self):
        """The current holder's row, or None (read without taking anything)."""
        if not self.exists():
            return None
        cursor = self.db.connection.cursor()
        row = self._row(cursor)
        self.db.rollback()
        return row

    def hold(self, run, lease, take_over=None, now=None):
        """Take the lock for ``run`` ({run_id, holder, playbook, controller, pid}) or renew it.

        Returns (outcome, the row before): ``taken`` (it was free), ``renewed`` (this run held it), ``taken_over``
        (its lease had run out, or its run id is ``take_over``), ``held`` (another run holds it: nothing written).
        """
        now = time.time() if now is None else now
        if not self.exists():
            self.create()
        cursor = self.db.begin(self.table, lock=True)  # the writers' own transaction
        try:
            row = self._row(cursor)
            values = [run["run_id"], run.get("holder"), run.get("playbook"), run.get("controller"), run.get("pid"),
                      now, now + lease, lease]
            if row is None:
                cursor.execute("INSERT INTO %s (%s) VALUES (%s)" % (self.table, ", ".join(FIELDS), self._marks(9)),
                               [SCOPE] + values)
                outcome = "taken"
            elif row["run_id"] == run["run_id"]:
                cursor.execute("UPDATE %s SET expires = %s, lease = %s WHERE scope = %s"
                               % (self.table, self.mark(1), self.mark(2), self.mark(3)), [now + lease, lease, SCOPE])
                outcome = "renewed"
            elif (row["expires"] or 0) < now or (take_over and row["run_id"] == take_over):
                cursor.execute("UPDATE %s SET run_id = %s, holder = %s, playbook = %s, controller = %s, pid = %s, "
                               "since = %s, expires = %s, lease = %s WHERE scope = %s AND run_id = %s"
                               % ((self.table,) + tuple(self.mark(i) for i in range(1, 11))),
                               values + [SCOPE, row["run_id"]])
                outcome = "taken_over"
            else:
                outcome = "held"
            self.db.commit()
        except Exception:
            self.db.rollback()
            raise
        return outcome, row

    def release(self, run_id):
        """Give the lock up if ``run_id`` holds it. Returns (released, the row before)."""
        if not self.exists():
            return False, None
        cursor = self.db.begin(self.table, lock=True)  # the writers' own transaction
        try:
            row = self._row(cursor)
            released = row is not None and row["run_id"] == run_id
            if released:
                cursor.execute("DELETE FROM %s WHERE scope = %s AND run_id = %s"
                               % (self.table, self.mark(1), self.mark(2)), [SCOPE, run_id])
            self.db.commit()
        except Exception:
            self.db.rollback()
            raise
        return released, row

    def verify(self, cursor, run_id, now=None):
        """Inside a writer's transaction: raise LockLost unless ``run_id`` holds the lock; renew its lease."""
        now = time.time() if now is None else now
        try:
            row = self._row(cursor, for_update=self.db.dialect.engine != "sqlite")
        except Exception as exc:
            raise LockLost("this run holds no estate lock on this cluster (no lock table: %s); nothing was written"
                           % str(exc).strip().splitlines()[0])
        if row is None or row["run_id"] != run_id:
            holder = shown(row)
            raise LockLost("this run no longer holds the estate lock of this cluster (%s); nothing was written"
                           % ("it is free" if holder is None else "held by %s, %s, since %s"
                              % (holder["holder"], holder["playbook"], holder["since"])))
        cursor.execute("UPDATE %s SET expires = %s WHERE scope = %s AND run_id = %s"
                       % (self.table, self.mark(1), self.mark(2), self.mark(3)),
                       [now + (row["lease"] or 0), SCOPE, run_id])
