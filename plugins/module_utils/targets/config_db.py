# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster configuration database, through a table profile.

IMPAX's schema is not public, so a *table profile* says which table and columns
hold each resource (docs/targets.md). Table and column names come only from the
profile and are checked as plain identifiers and quoted; every value is a bound
parameter. One transaction per call: every change of a table commits together
or not at all.
"""

from __future__ import annotations

import re

from ansible_collections.impax.cluster_link.plugins.module_utils.driver import Target, TargetError
from ansible_collections.impax.cluster_link.plugins.module_utils.targets.estate_lock import EstateLock

ENGINES = ("sqlite", "postgresql", "oracle")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$")


def database_options():
    """The modules' ``database`` suboptions (doc fragment config_db.connection)."""
    return dict(
        engine=dict(type="str", choices=list(ENGINES), default="sqlite"),
        path=dict(type="path"),
        host=dict(type="str"),
        port=dict(type="int"),
        name=dict(type="str"),
        user=dict(type="str"),
        password=dict(type="str", no_log=True),
        dsn=dict(type="str"),
        sslmode=dict(type="str", default="verify-full",
                     choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
        sslrootcert=dict(type="path"),
        timeout=dict(type="int", default=30),
    )


class ConfigDbError(TargetError):
    """A connection, profile or statement error; the transaction was rolled back."""


class Dialect(object):
    def __init__(self, engine):
        if engine not in ENGINES:
            raise ConfigDbError("unknown database engine %r (sqlite, postgresql or oracle)" % engine)
        self.engine = engine

    def placeholder(self, position):
        if self.engine == "sqlite":
            return "?"
        if self.engine == "oracle":
            return ":%d" % position
        return "%s"

    @staticmethod
    def quote(identifier):
        if not IDENTIFIER.match(identifier or ""):
            raise ConfigDbError("%r is not a plain SQL identifier; the table profile may only name tables and "
                                "columns" % (identifier,))
        return ".".join('"%s"' % part for part in identifier.split("."))


class TableMap(object):
    """One resource mapped to one table: statements and value conversion."""

    def __init__(self, resource, profile_entry, dialect):
        self.resource = resource
        self.dialect = dialect
        if not isinstance(profile_entry, dict) or "table" not in profile_entry or "columns" not in profile_entry:
            raise ConfigDbError("the profile entry for %s needs table and columns" % resource.name)
        self.table = dialect.quote(profile_entry["table"])
        self.columns = []  # (field path, kind, quoted column)
        for path, column in profile_entry["columns"].items():
            self.columns.append((path, self._kind(path), dialect.quote(column)))
        mapped = set(path.split(".")[0] for path, _kind, _column in self.columns)
        missing = [f for f in resource.key if f not in mapped]
        if missing:
            raise ConfigDbError("the profile for %s does not map the key field(s) %s" % (resource.name, ", ".join(missing)))
        self.key_columns = [(path, kind, column) for path, kind, column in self.columns if path in resource.key]

    def _kind(self, path):
        parts = path.split(".")
        field = self.resource.fields.get(parts[0])
        if field is None or (len(parts) == 2 and (field.kind != "dict" or parts[1] not in field.fields)) or len(parts) > 2:
            raise ConfigDbError("the profile maps %r, which is not a field of %s" % (path, self.resource.name))
        return field.fields[parts[1]].kind if len(parts) == 2 else field.kind

    # -- values -----------------------------------------------------------------------
    @staticmethod
    def encode(kind, value):
        if value is None:
            return None
        if kind == "bool":
            return 1 if value else 0
        if kind == "set":
            return ",".join(sorted(value))
        return value

    @staticmethod
    def decode(kind, value):
        if value is None:
            return None
        if kind == "bool":
            return bool(int(value))
        if kind == "int":
            return int(value)
        if kind == "set":
            return sorted(part for part in str(value).split(",") if part)
        return value

    def row_to_item(self, row):
        item = {}
        for (path, kind, _column), value in zip(self.columns, row):
            value = self.decode(kind, value)
            if "." in path:
                parent, child = path.split(".")
                item.setdefault(parent, {})[child] = value
            else:
                item[path] = value
        return item

    def _value(self, item, path, kind):
        if "." in path:
            parent, child = path.split(".")
            return self.encode(kind, (item.get(parent) or {}).get(child))
        return self.encode(kind, item.get(path))

    # -- statements ---------------------------------------------------------------------
    def select(self):
        columns = ", ".join(c for _p, _k, c in self.columns)
        order = ", ".join(c for _p, _k, c in self.key_columns)
        return "SELECT %s FROM %s ORDER BY %s" % (columns, self.table, order), []

    def select_keys(self, items):
        """Read back only the rows of ``items`` (by key): the check after a write touches what it wrote."""
        columns = ", ".join(c for _p, _k, c in self.columns)
        order = ", ".join(c for _p, _k, c in self.key_columns)
        conditions, params = [], []
        for item in items:
            where, where_params = self._where(item, len(params))
            conditions.append("(%s)" % where)
            params += where_params
        return "SELECT %s FROM %s WHERE %s ORDER BY %s" % (columns, self.table, " OR ".join(conditions), order), params

    def insert(self, item):
        cols = [c for _p, _k, c in self.columns]
        marks = [self.dialect.placeholder(i + 1) for i in range(len(cols))]
        return ("INSERT INTO %s (%s) VALUES (%s)" % (self.table, ", ".join(cols), ", ".join(marks)),
                [self._value(item, p, k) for p, k, _c in self.columns])

    def update(self, key_item, item, changed):
        paths = [(p, k, c) for p, k, c in self.columns if p in changed]
        sets, params = [], []
        for position, (path, kind, column) in enumerate(paths):
            sets.append("%s = %s" % (column, self.dialect.placeholder(position + 1)))
            params.append(self._value(item, path, kind))
        where, where_params = self._where(key_item, len(params))
        return "UPDATE %s SET %s WHERE %s" % (self.table, ", ".join(sets), where), params + where_params

    def delete(self, key_item):
        where, params = self._where(key_item, 0)
        return "DELETE FROM %s WHERE %s" % (self.table, where), params

    def _where(self, item, offset):
        parts, params = [], []
        for position, (path, kind, column) in enumerate(self.key_columns):
            parts.append("%s = %s" % (column, self.dialect.placeholder(offset + position + 1)))
            params.append(self._value(item, path, kind))
        return " AND ".join(parts), params

    def statements(self, ops):
        """One statement per operation, in plan order; an update sets only the changed columns."""
        result = []
        for op in ops:
            if op.action == "create":
                result.append(self.insert(op.after))
            elif op.action == "delete":
                result.append(self.delete(op.before))
            else:
                result.append(self.update(op.before, op.after, set(op.fields())))
        return result


class Database(object):
    """A connection to the cluster configuration database (SQLite, PostgreSQL or Oracle)."""

    def __init__(self, params):
        self.params = params
        self.dialect = Dialect(params.get("engine") or "sqlite")
        self.connection = None
        self.executed = 0

    def connect(self):
        engine = self.dialect.engine
        p = self.params
        try:
            if engine == "sqlite":
                import sqlite3
                if not p.get("path"):
                    raise ConfigDbError("database.path is required for sqlite")
                # the file must exist: a typo must not create an empty configuration database
                self.connection = sqlite3.connect("file:%s?mode=rw" % p["path"], uri=True, isolation_level=None,
                                                  timeout=float(p.get("timeout") or 30))
            elif engine == "postgresql":
                import psycopg
                kwargs = dict(host=p.get("host"), port=p.get("port") or 5432, dbname=p.get("name"), user=p.get("user"),
                              password=p.get("password"), sslmode=p.get("sslmode") or "verify-full",
                              connect_timeout=int(p.get("timeout") or 10), autocommit=False)
                if p.get("sslrootcert"):
                    kwargs["sslrootcert"] = p["sslrootcert"]
                self.connection = psycopg.connect(**kwargs)
            else:
                import oracledb
                self.connection = oracledb.connect(user=p.get("user"), password=p.get("password"), dsn=p.get("dsn"))
        except ImportError as exc:
            raise ConfigDbError("the %s driver is not installed on this node (%s)" % (engine, exc))
        except ConfigDbError:
            raise
        except Exception as exc:  # every driver has its own error classes; report them all the same way
            raise ConfigDbError("cannot connect to the %s database: %s" % (engine, _first_line(exc)), unreachable=True)
        return self

    def begin(self, tables, lock):
        """Start the transaction; ``lock`` keeps other writers of the table (or list of tables) out until commit."""
        cursor = self.connection.cursor()
        if self.dialect.engine == "sqlite":
            cursor.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        elif lock:  # PostgreSQL and Oracle: the same statement; the tables are already quoted identifiers
            names = [tables] if isinstance(tables, str) else tables
            cursor.execute("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE" % ", ".join(names))
        return cursor

    def read(self, cursor, table_map, only=None):
        """Every row, or only those with the keys of the items in ``only``, as objects."""
        sql, params = table_map.select_keys(only) if only else table_map.select()
        cursor.execute(sql, params)
        self.executed += 1
        return [table_map.row_to_item(row) for row in cursor.fetchall()]

    def apply(self, cursor, statements):
        done = 0
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
                self.executed += 1
                done += 1
            self.commit()
        except Exception as exc:
            self.rollback()
            raise ConfigDbError("statement %d of %d failed, the transaction was rolled back: %s"
                                % (done + 1, len(statements), _first_line(exc)))

    def commit(self):
        if self.dialect.engine == "sqlite":
            self.connection.execute("COMMIT")
        else:
            self.connection.commit()

    def rollback(self):
        try:
            if self.dialect.engine == "sqlite":
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
            else:
                self.connection.rollback()
        except Exception:  # the connection may be gone (server killed): nothing was committed anyway
            pass

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:
                pass


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


# Up to this many operations, the check after a write reads back only the rows written.
READ_BACK_BY_KEY = 500


class DatabaseTarget(Target):
    """The driver's target: one TableMap per part, every part in one transaction."""

    counter = "statements_executed"
    noun = "the database"

    def __init__(self, params, tables, lock=None):
        self.db = Database(params or {})
        self.tables = tables  # part key -> TableMap
        self.lock = lock  # {run_id, table}: a writing run must hold the cluster's estate lock
        self.cursor = None

    def open(self, parts, writing):
        self.db.connect()
        self.cursor = self.db.begin([self.tables[part.key].table for part in parts], lock=writing)
        if writing and self.lock:
            EstateLock(self.db, self.lock["table"]).verify(self.cursor, self.lock["run_id"])

    def read(self, part):
        table = self.tables[part.key]
        return [part.resource.full_normal(item) for item in self.db.read(self.cursor, table)]

    def commands(self, part, ops):
        return [dict(op.as_command(), sql=sql, params=params)
                for op, (sql, params) in zip(ops, self.tables[part.key].statements(ops))]

    def apply(self, planned):
        self.db.apply(self.cursor, [statement for part, ops in planned
                                    for statement in self.tables[part.key].statements(ops)])
        self.cursor = self.db.begin([self.tables[part.key].table for part, _ops in planned], lock=False)

    def read_back(self, part, ops):
        only = [op.after or op.before for op in ops] if len(ops) <= READ_BACK_BY_KEY else None
        return [part.resource.full_normal(item) for item in self.db.read(self.cursor, self.tables[part.key], only)]

    def count(self):
        return self.db.executed

    def close(self):
        if self.db.connection is not None:
            self.db.rollback()
        self.db.close()
