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

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$")

REFERENCE_PROFILE = {
    "network_stations": {
        "table": "network_station",
        "columns": dict([
            ("ae_title", "ae_title"), ("station_name", "station_name"), ("host", "host_name"), ("port", "port"),
            ("alias", "alias"), ("station_type", "station_type"), ("validation_level", "validation_level"),
            ("capabilities.transmit_to_station", "transmit_to_station"),
            ("capabilities.query_retrieve", "query_retrieve"),
            ("capabilities.query_user_information", "query_user_information"),
            ("capabilities.send_key_images_only", "send_key_images_only"),
            ("capabilities.send_multiframe", "send_multiframe"),
            ("capabilities.send_storage_commit", "send_storage_commit"),
            ("cluster_linking", "cluster_linking"), ("link_internal_queries", "link_internal_queries"),
            ("link_external_queries", "link_external_queries"), ("link_cluster_updates", "link_cluster_updates"),
            ("link_prefetching", "link_prefetching"), ("study_observed_notifications", "study_observed_notifications"),
        ]),
    },
    "source_stations": {
        "table": "source_station",
        "columns": dict([
            ("ae_title", "ae_title"), ("station_name", "station_name"), ("institution", "institution_name"),
            ("department", "institutional_department_name"), ("home_cm", "home_cm"), ("visitor", "visitor"),
            ("automatic_archiving", "automatic_archiving"),
            ("his_verification.study_identification", "study_identification"),
            ("his_verification.patient_identification", "patient_identification"),
            ("his_verification.accession_number_identifies_patient", "accession_identifies_patient"),
            ("his_notifications", "his_notifications"),
            ("study_observed_notifications", "study_observed_notifications"),
            ("demographic_layout", "demographic_layout"),
        ]),
    },
    "body_part": {"table": "body_part_mapping",
                  "columns": {"pattern": "source_pattern", "rule": "rule_number", "label": "body_part"}},
    "specialty": {"table": "specialty_mapping",
                  "columns": {"pattern": "source_pattern", "rule": "rule_number", "label": "specialty"}},
    "patient_location": {"table": "patient_location_mapping",
                         "columns": {"pattern": "source_pattern", "rule": "rule_number", "label": "mapped_location"}},
}


class ConfigDbError(Exception):
    """A connection, profile or statement error; the transaction was rolled back.

    ``unreachable`` is True when the database could not be reached at all (the modules return it as
    ``service_unreachable``, which drift reports tell apart from an error).
    """

    def __init__(self, message, unreachable=False):
        super(ConfigDbError, self).__init__(message)
        self.unreachable = unreachable


class Dialect(object):
    def __init__(self, engine):
        if engine not in ("sqlite", "postgresql", "oracle"):
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


# kinds a column holds as one value (a list or a whole dict has no column of its own)
_ROW_KINDS = ("str", "int", "bool", "set")


class RowForm(object):
    """A resource's objects as the rows of its table, for reconcile.unchanged(): a converged table is recognised
    by comparing the rows as read with the desired objects put in row form (TableMap.encode), without turning
    every row back into an object (row_to_item) and planning.

    Sound where it answers "unchanged": a row equal to encode(full_normal(item)) decodes to full_normal(item).
    That holds for every column kind here except a set with an empty or comma-holding element (which the
    comma-joined column cannot hold apart): keyed() gives no key for such an object, so plan() decides.
    """

    def __init__(self, table_map):
        resource = table_map.resource
        self.resource = resource
        needed = set()
        for name, field in resource.fields.items():
            if field.kind == "dict":
                needed.update("%s.%s" % (name, sub) for sub in field.fields)
            else:
                needed.add(name)
        mapped = dict((path, kind) for path, kind, unused in table_map.columns)
        # a row without a column for a field cannot say the field is as wanted
        self.usable = needed <= set(mapped) and all(kind in _ROW_KINDS for kind in mapped.values())
        self._columns = [(path, None, kind) if "." not in path else tuple(path.split(".")) + (kind,)
                         for path, kind, unused in table_map.columns]
        position = dict((path, i) for i, (path, unused, unused) in enumerate(table_map.columns))
        self._key = [(position[part], resource.fields[part]) for part in resource.key if part in position]
        self._required = [position[part] for part in resource.required_on_create if part in position]
        self._text_key = self._key[0][0] if len(self._key) == 1 == len(resource.key) and \
            self._key[0][1].kind == "str" else None

    def keyed(self, item):
        """(the object's key, the row that holds ``full_normal(item)``); (None, None) when no row can."""
        full = self.resource.full_normal(item)
        row = []
        encode = TableMap.encode
        for parent, child, kind in self._columns:
            value = full[parent] if child is None else full[parent][child]
            if kind == "set" and value is not None and not all(
                    element.__class__ is str and element and "," not in element for element in value):
                return None, None
            row.append(encode(kind, value))
        return self.resource.key_of(full), tuple(row)

    def records(self, rows):
        """{object key: row} of the rows as read; None when two rows have one key (plan() reports it)."""
        if self._text_key is not None:
            # one text key column: a text value is its own key (decode and Field.normalise keep it as it is)
            i = self._text_key
            records = dict((row[i], tuple(row)) for row in rows)
            if len(records) == len(rows) and all(key.__class__ is str for key in records):
                return records
        records = {}
        single = len(self._key) == 1
        decode = TableMap.decode
        for row in rows:
            parts = [field.normalise(decode(field.kind, row[i])) for i, field in self._key]
            records[parts[0] if single else tuple(parts)] = tuple(row)
        return records if len(records) == len(rows) else None

    def complete(self, row):
        """Whether a row holds every field an object needs (Resource.required_on_create)."""
        for i in self._required:
            if row[i] is None:
                return False
        return True


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
        return [table_map.row_to_item(row) for row in self.read_rows(cursor, table_map, only)]

    def read_rows(self, cursor, table_map, only=None):
        """The same rows as the database returns them (one value per TableMap column)."""
        sql, params = table_map.select_keys(only) if only else table_map.select()
        cursor.execute(sql, params)
        self.executed += 1
        return cursor.fetchall()

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
