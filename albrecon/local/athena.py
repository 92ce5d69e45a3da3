"""An embedded Athena: the pipeline's own DDL and queries, run by DuckDB over local files.

- A small catalog is fed by the same statements the pipeline sends to Athena
  (CREATE DATABASE / CREATE EXTERNAL TABLE / ALTER TABLE ... ADD [IF NOT EXISTS] PARTITION).
- ``s3://bucket/key`` maps to ``<data>/s3/bucket/key``.
- Queries are transpiled from Athena's (Trino) dialect to DuckDB's with sqlglot. Partitions are
  pruned with the query's own predicates on partition columns, so only their files are read;
  ``DataScannedInBytes`` is the size of those files.
- Text tables read gzip or plain files as Athena does: header lines skipped, a field that is not
  of its column's type (``-``, ``12x4``) is NULL, missing trailing fields are NULL, extra ones are
  ignored; the line is kept (the queries count such lines). Lines that cannot be read at all
  (not UTF-8) are named in ``StateChangeReason`` and :attr:`QueryExecutionRecord.malformed_lines`.
- Every table has Athena's ``"$path"`` pseudo-column: the s3:// URI of the row's object.
- Answers come in Athena's shapes: StartQueryExecution, GetQueryExecution (status, statistics,
  AthenaError) and GetQueryResults (header row first, strings, NextToken pagination).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

HIVE_TO_DUCKDB = {
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
DUCKDB_TO_ATHENA = {
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "VARCHAR": "varchar",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}
MAX_RESULTS_PER_PAGE = 1000
MAX_QUERY_BYTES = 262_144  # Athena's limit on a query string (StartQueryExecution's QueryString)
_ALTER_ADD_PARTITION_RE = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?P<table>\S+)\s+ADD\s+(?P<if_not_exists>IF\s+NOT\s+EXISTS\s+)?(?P<specs>PARTITION\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PARTITION_SPEC_RE = re.compile(
    r"\s*PARTITION\s*\((?P<values>[^)]*)\)\s*(?:LOCATION\s+'(?P<location>[^']*)')?", re.IGNORECASE
)
_KEY_VALUE_RE = re.compile(r"^\s*[`\"]?(?P<key>[A-Za-z_][A-Za-z0-9_]*)[`\"]?\s*=\s*'(?P<value>[^']*)'\s*$")
_IDENT = r"[`\"]?([A-Za-z_][A-Za-z0-9_]*)[`\"]?"


class AthenaError(Exception):
    """A query failure in Athena's terms: an error type prefix (SYNTAX_ERROR, TABLE_NOT_FOUND...)."""

    def __init__(self, kind: str, message: str, category: int = 2, retryable: bool = False) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.category = category  # 1 system, 2 user, 3 other (Athena's ErrorCategory)
        self.retryable = retryable


class AthenaCancelled(AthenaError):
    """The query was cancelled (here: by the workgroup's data-usage control, as Athena does)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__("CANCELLED", f"{reason} ({detail})", category=2)


@dataclass
class TableDef:
    database: str
    name: str
    columns: list[tuple[str, str]]
    partition_keys: list[tuple[str, str]]
    location: str
    storage: str  # "text", "parquet" or "json"
    delimiter: str = "\x01"
    skip_header_lines: int = 0
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)
    # a Glue table's parameters, of which partition projection's (projection.*, storage.location.template)
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def projected(self) -> bool:
        return self.parameters.get("projection.enabled", "").strip().lower() == "true"


# A Glue table's SerDe (StorageDescriptor.SerdeInfo.SerializationLibrary) as the engine reads it
SERDE_STORAGE = {
    "org.openx.data.jsonserde.JsonSerDe": "json",
    "org.apache.hive.hcatalog.data.JsonSerDe": "json",
    "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe": "text",
    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe": "parquet",
}
# Java DateTimeFormatter letters (projection.<column>.format) as strftime's
_JAVA_DATE_FIELDS = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))


@dataclass
class QueryExecutionRecord:
    query_execution_id: str
    query: str
    database: str | None
    workgroup: str
    output_location: str | None
    submitted: datetime
    statement_type: str = "DML"
    state: str = "RUNNING"
    completed: datetime | None = None
    error: AthenaError | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    data_scanned_bytes: int = 0
    engine_millis: int = 0
    malformed_lines: list[dict] = field(default_factory=list)
    unpruned_tables: list[str] = field(default_factory=list)  # partitioned tables read whole

    def reason(self) -> str | None:
        if self.error is not None:
            return str(self.error)
        if self.malformed_lines:
            sample = "; ".join(f"{m['file']}:{m['line']}" for m in self.malformed_lines[:3])
            return f"{len(self.malformed_lines)} malformed lines skipped, not summed ({sample})"
        return None


class AthenaEngine:
    def __init__(self, data_dir: Path, threads: int | None = None, stack_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        # Buckets the stack itself writes (the day's ENI table): mirrored here, not in the user's data.
        self.stack_dir = Path(stack_dir) if stack_dir is not None else self.data_dir / "s3"
        self.stack_buckets: set[str] = set()
        self.databases: set[str] = {"default"}
        self.tables: dict[tuple[str, str], TableDef] = {}
        self.executions: dict[str, QueryExecutionRecord] = {}
        # Every core reads the day's files (gzip text and Parquet alike), as Athena fans out.
        # Athena works in UTC: CUR timestamps are Parquet timestamp[ms, tz=UTC] and compare with
        # UTC literals whatever the machine's zone (DuckDB's default session zone is the local one).
        # (set on each connection, see _db: a cursor does not inherit it, and the config key needs
        # the ICU extension loaded first)
        self._root = duckdb.connect(":memory:", config={"threads": threads or os.cpu_count() or 1})
        # Queries run concurrently, as on Athena (the night's flow-log and CUR queries are
        # branches of one Parallel state): each thread has its own DuckDB connection to the one
        # database, so its temp views and reject tables are its own. The catalog is locked.
        self._connections = threading.local()
        self._lock = threading.Lock()
        # Tests: queries whose text this accepts stay RUNNING for ever (a stuck query).
        self.hold_running: Callable[[str], bool] | None = None
        # Athena reads the Glue catalog and S3 with the caller's credentials: each (action, ARN)
        # a query needs is passed here (the local IAM raises on a denied one; None: unchecked).
        self.authorize: Callable[[list[tuple[str, str]]], None] | None = None
        # LakeFormationGrants=true: the data is governed by Lake Formation, and Athena reads a
        # table's data with credentials it asks Lake Formation for, as the caller
        # (lake-formation/latest/dg/access-control-underlying-data.html: lakeformation:GetDataAccess)
        self.lake_formation_governed = False
        # the workgroup's BytesScannedCutoffPerQuery (None: no limit): Athena cancels a query
        # that would scan more
        self.bytes_scanned_cutoff: Callable[[str], int | None] = lambda workgroup: None
        # the workgroup's OutputLocation and whether it is enforced (overrides the request's)
        self.workgroup_output: Callable[[str], tuple[str | None, bool]] = lambda workgroup: (None, False)
        self.region, self.account = "us-east-1", "123456789012"  # of the Glue catalog's ARNs

    # ------------------------------------------------------------------ Athena API shapes
    def start_query_execution(
        self,
        QueryString: str,
        QueryExecutionContext: dict | None = None,
        WorkGroup: str = "primary",
        ResultConfiguration: dict | None = None,
        **_: Any,
    ) -> dict:
        if len(QueryString.encode()) > MAX_QUERY_BYTES:
            raise AthenaError(
                "InvalidRequestException",
                f"QueryString is {len(QueryString.encode())} bytes: Athena accepts at most {MAX_QUERY_BYTES}",
            )
        context = QueryExecutionContext or {}
        query_id = str(uuid.uuid4())
        # Athena writes the result where the workgroup says when it enforces its configuration,
        # else where the request says, else where the workgroup says (as the caller: s3:PutObject)
        configured, enforced = self.workgroup_output(WorkGroup)
        requested = (ResultConfiguration or {}).get("OutputLocation")
        output = configured if enforced or not requested else requested
        record = QueryExecutionRecord(
            query_execution_id=query_id,
            query=QueryString,
            database=context.get("Database"),
            workgroup=WorkGroup,
            output_location=f"{output.rstrip('/')}/{query_id}.csv" if output else None,
            submitted=datetime.now(UTC),
        )
        self.executions[query_id] = record
        self.run(record)
        return {"QueryExecutionId": query_id}

    def get_query_execution(self, QueryExecutionId: str) -> dict:
        record = self._record(QueryExecutionId)
        held = self.hold_running is not None and self.hold_running(record.query)
        status: dict[str, Any] = {
            "State": "RUNNING" if held else record.state,
            "SubmissionDateTime": record.submitted,
            "CompletionDateTime": record.completed,
        }
        if record.reason():
            status["StateChangeReason"] = record.reason()
        if record.error is not None:
            status["AthenaError"] = {
                "ErrorCategory": record.error.category,
                "ErrorType": 1000 + record.error.category,
                "Retryable": record.error.retryable,
                "ErrorMessage": str(record.error),
            }
        execution = {
            "QueryExecutionId": record.query_execution_id,
            "Query": record.query,
            "StatementType": record.statement_type,
            "QueryExecutionContext": {"Catalog": "AwsDataCatalog"}
            | ({"Database": record.database} if record.database else {}),
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": record.engine_millis,
                "DataScannedInBytes": record.data_scanned_bytes,
                "TotalExecutionTimeInMillis": record.engine_millis,
                "QueryQueueTimeInMillis": 0,
                "ServicePreProcessingTimeInMillis": 0,
                "QueryPlanningTimeInMillis": 0,
                "ServiceProcessingTimeInMillis": 0,
            },
            "WorkGroup": record.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }
        if record.output_location:
            execution["ResultConfiguration"] = {"OutputLocation": record.output_location}
        return {"QueryExecution": execution}

    def get_query_results(
        self,
        QueryExecutionId: str,
        NextToken: str | None = None,
        MaxResults: int = MAX_RESULTS_PER_PAGE,
    ) -> dict:
        record = self._record(QueryExecutionId)
        if record.output_location:  # the caller reads the result file (Athena's GetQueryResults)
            self._needs([("s3:GetObject", "arn:aws:s3:::" + record.output_location[len("s3://") :])])
        if record.state != "SUCCEEDED":
            raise AthenaError(
                "InvalidRequestException", f"Query has not yet finished. Current state: {record.state}"
            )
        if not 1 <= MaxResults <= MAX_RESULTS_PER_PAGE:
            raise AthenaError("InvalidRequestException", "MaxResults must be between 1 and 1000")
        # Row 0 is the header; pages are slices of header + data rows.
        table = [tuple(name for name, _ in record.columns), *record.rows] if record.columns else []
        start = int(NextToken) if NextToken else 0
        if NextToken and (not NextToken.isdigit() or start > len(table)):
            raise AthenaError("InvalidRequestException", "NextToken is not valid for this query")
        page = table[start : start + MaxResults]
        result = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [{"Data": [_datum(v) for v in row]} for row in page],
                "ResultSetMetadata": {"ColumnInfo": [_column_info(n, t) for n, t in record.columns]},
            },
        }
        if start + MaxResults < len(table):
            result["NextToken"] = str(start + MaxResults)
        return result

    def _record(self, query_id: str) -> QueryExecutionRecord:
        try:
            return self.executions[query_id]
        except KeyError:
            raise AthenaError("InvalidRequestException", f"QueryExecution {query_id} was not found") from None

    # ------------------------------------------------------------------ execution
    def execute(self, sql: str, database: str | None = None) -> QueryExecutionRecord:
        """Convenience: run one statement and return its record (raises nothing; see .state)."""
        query_id = self.start_query_execution(
            sql, QueryExecutionContext={"Database": database} if database else None
        )["QueryExecutionId"]
        return self.executions[query_id]

    @property
    def _db(self) -> duckdb.DuckDBPyConnection:
        connection = getattr(self._connections, "db", None)
        if connection is None:
            connection = self._connections.db = self._root.cursor()
            connection.execute("SET TimeZone = 'UTC'")
        return connection

    def run(self, record: QueryExecutionRecord) -> None:
        began = time.perf_counter()
        try:
            self._dispatch(record)
            record.state = "SUCCEEDED"
        except AthenaCancelled as error:
            record.state, record.error = "CANCELLED", error
        except AthenaError as error:
            record.state, record.error = "FAILED", error
        except duckdb.Error as error:
            record.state = "FAILED"
            record.error = AthenaError("GENERIC_INTERNAL_ERROR", _first_line(str(error)))
        record.engine_millis = int((time.perf_counter() - began) * 1000)
        record.completed = datetime.now(UTC)

    def _needs(self, needs: list[tuple[str, str]]) -> None:
        if self.authorize is None:
            return
        try:
            self.authorize(needs)
        except Exception as denied:  # iam.AccessDenied: the query fails, as Athena's does
            raise AthenaError(
                "AccessDeniedException", f"Insufficient permissions to execute the query. {denied}"
            ) from None

    def _glue(self, actions: list[str], db: str, table: str | None = None) -> list[tuple[str, str]]:
        """What a Glue action on a table needs: the catalog, the database and the table (Glue
        developer guide, "Specifying AWS Glue resource ARNs")."""
        prefix = f"arn:aws:glue:{self.region}:{self.account}"
        resources = [f"{prefix}:catalog", f"{prefix}:database/{db}"]
        if table is not None:
            resources.append(f"{prefix}:table/{db}/{table}")
        return [(action, resource) for action in actions for resource in resources]

    def _database_needs(self, database: str | None) -> None:
        """Every query reads its database and, as Athena's docs require of every caller, the
        catalog's ``default`` database ("Mandatory: Access policy to the default database and
        catalog per AWS Region", fine-grained-access-to-glue-resources.html)."""
        needs = self._glue(["glue:GetDatabase"], "default")
        if database and database.lower() != "default":
            needs += self._glue(["glue:GetDatabase"], database.lower())
        self._needs(needs)

    def _dispatch(self, record: QueryExecutionRecord) -> None:
        self._database_needs(record.database)
        if record.output_location:
            bucket = record.output_location[len("s3://") :].split("/", 1)[0]
            self._needs(
                [
                    ("s3:GetBucketLocation", f"arn:aws:s3:::{bucket}"),
                    ("s3:PutObject", "arn:aws:s3:::" + record.output_location[len("s3://") :]),
                ]
            )
        sql = record.query.strip().rstrip(";").strip()
        if not sql:
            raise AthenaError("SYNTAX_ERROR", "empty query")
        alter = _ALTER_ADD_PARTITION_RE.match(sql)
        if alter:
            record.statement_type = "DDL"
            with self._lock:
                self._add_partitions(alter, record.database)
            return
        try:
            statements = sqlglot.parse(sql, read="athena")
        except sqlglot.errors.ParseError as error:
            raise AthenaError("SYNTAX_ERROR", _first_line(str(error))) from None
        if len(statements) != 1 or statements[0] is None:
            raise AthenaError("SYNTAX_ERROR", "Only one sql statement is allowed")
        statement = statements[0]
        if isinstance(statement, exp.Create):
            record.statement_type = "DDL"
            with self._lock:
                self._create(statement, record.database)
        elif isinstance(statement, exp.Drop):
            record.statement_type = "DDL"
            with self._lock:
                self._drop(statement, record.database)
        elif isinstance(statement, exp.Query):
            if self.lake_formation_governed and statement.find(exp.Table) is not None:
                self._needs([("lakeformation:GetDataAccess", "*")])
            self._select(statement, record)
        else:
            raise AthenaError("NOT_SUPPORTED", f"statement not supported here: {_first_line(sql)[:80]}")

    # ------------------------------------------------------------------ DDL
    def _qualify(self, table: exp.Table, database: str | None) -> tuple[str, str]:
        db = (table.db or database or "default").lower()
        return db, table.name.lower()

    def _create(self, statement: exp.Create, database: str | None) -> None:
        kind = (statement.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            name = statement.this.name.lower()
            if name in self.databases and not statement.args.get("exists"):
                raise AthenaError("AlreadyExistsException", f"Database {name} already exists")
            self.databases.add(name)
            return
        if kind != "TABLE" or not isinstance(statement.this, exp.Schema):
            raise AthenaError("NOT_SUPPORTED", "only CREATE EXTERNAL TABLE (...) and CREATE DATABASE")
        db, name = self._qualify(statement.this.this, database)
        if db not in self.databases:
            raise AthenaError("SCHEMA_NOT_FOUND", f"Schema {db} does not exist")
        exists = (db, name) in self.tables
        self._needs(self._glue(["glue:GetTable"] + ([] if exists else ["glue:CreateTable"]), db, name))
        if (db, name) in self.tables:
            if statement.args.get("exists"):
                return
            raise AthenaError("AlreadyExistsException", f"Table {db}.{name} already exists")
        columns = [(c.name.lower(), _hive_type(c)) for c in statement.this.expressions]
        table = TableDef(db, name, columns, [], "", "text")
        for prop in statement.args["properties"].expressions if statement.args.get("properties") else []:
            if isinstance(prop, exp.PartitionedByProperty):
                table.partition_keys = [(c.name.lower(), _hive_type(c)) for c in prop.this.expressions]
            elif isinstance(prop, exp.LocationProperty):
                table.location = prop.this.name
            elif isinstance(prop, exp.RowFormatDelimitedProperty):
                fields = prop.args.get("fields")
                table.delimiter = fields.name if fields is not None else table.delimiter
            elif isinstance(prop, exp.FileFormatProperty):
                table.storage = "parquet" if prop.name.upper() == "PARQUET" else "text"
            elif isinstance(prop, exp.Property) and prop.name == "skip.header.line.count":
                table.skip_header_lines = int(prop.args["value"].name)
        if not table.location.startswith("s3://"):
            raise AthenaError("INVALID_TABLE_PROPERTY", "LOCATION must be an s3:// URI")
        self.tables[(db, name)] = table

    def register_table(self, table: TableDef) -> None:
        """A table made in the Glue catalog directly (CloudFormation's AWS::Glue::Table), not by DDL."""
        if table.database not in self.databases:
            raise AthenaError("EntityNotFoundException", f"Database {table.database} not found")
        for _, hive_type in table.columns + table.partition_keys:
            if hive_type not in HIVE_TO_DUCKDB:
                raise AthenaError("NOT_SUPPORTED", f"column type {hive_type} is not supported locally")
        if table.projected:
            self._projected_partitions(table)  # a projection the engine cannot follow fails now
        self.tables[(table.database, table.name)] = table

    def _partitions_of(self, table: TableDef) -> list[tuple[tuple, str]]:
        return self._projected_partitions(table) if table.projected else list(table.partitions.items())

    def _projected_partitions(self, table: TableDef) -> list[tuple[tuple, str]]:
        """Partition projection (athena/latest/ug/partition-projection-supported-types.html): the
        partitions are computed from the table's properties, not stored. Here: one `date` column,
        a day interval, a range ending at a day or NOW, and storage.location.template; the values
        whose location holds nothing are left out (Athena reads nothing there either)."""
        params = {k: v.strip() for k, v in table.parameters.items()}
        if len(table.partition_keys) != 1:
            raise AthenaError("NOT_SUPPORTED", "the embedded engine projects one partition column")
        [(key, _)] = table.partition_keys
        template = params.get("storage.location.template", "")
        unit = params.get(f"projection.{key}.interval.unit", "DAYS").upper()
        if params.get(f"projection.{key}.type", "").lower() != "date" or unit != "DAYS":
            raise AthenaError("NOT_SUPPORTED", f"the embedded engine projects `date` by DAYS only ({key})")
        if template.count("${" + key + "}") != 1:
            raise AthenaError(
                "INVALID_TABLE_PROPERTY", f"storage.location.template must hold ${{{key}}} once"
            )
        java = params.get(f"projection.{key}.format", "")
        strftime = java
        for letters, directive in _JAVA_DATE_FIELDS:
            strftime = strftime.replace(letters, directive)
        if re.search(r"[A-Za-z]", re.sub(r"%[YmdHMS]", "", strftime)):  # a letter left: not translated
            raise AthenaError("NOT_SUPPORTED", f"date format {java!r} is not supported locally")
        try:
            start, end = (v.strip() for v in params[f"projection.{key}.range"].split(","))
            first = datetime.strptime(start, strftime).date()
            last = (
                datetime.now(UTC).date() if end.upper() == "NOW" else datetime.strptime(end, strftime).date()
            )
            step = int(params.get(f"projection.{key}.interval", "1"))
        except (KeyError, ValueError) as error:
            raise AthenaError("INVALID_TABLE_PROPERTY", f"projection of {key}: {error}") from None
        partitions = []
        for offset in range(0, (last - first).days + 1, step):
            value = (first + timedelta(days=offset)).strftime(strftime)
            location = template.replace("${" + key + "}", value)
            if self.local_path(location).is_dir():
                partitions.append(((value,), location))
        return partitions

    def _drop(self, statement: exp.Drop, database: str | None) -> None:
        db, name = self._qualify(statement.this, database)
        if self.tables.pop((db, name), None) is None and not statement.args.get("exists"):
            raise AthenaError("TABLE_NOT_FOUND", f"Table awsdatacatalog.{db}.{name} does not exist")

    def _add_partitions(self, match: re.Match, database: str | None) -> None:
        name_match = re.fullmatch(rf"(?:{_IDENT}\.)?{_IDENT}", match["table"])
        if name_match is None:
            raise AthenaError("SYNTAX_ERROR", f"bad table name {match['table']!r}")
        db = (name_match[1] or database or "default").lower()
        self._needs(self._glue(["glue:GetTable", "glue:BatchCreatePartition"], db, name_match[2].lower()))
        table = self._table(db, name_match[2].lower())
        specs = match["specs"]
        position, added = 0, {}
        while position < len(specs.rstrip()):
            spec = _PARTITION_SPEC_RE.match(specs, position)
            if spec is None:
                raise AthenaError("SYNTAX_ERROR", f"cannot read partition spec at: {specs[position:][:60]!r}")
            values = {}
            for pair in spec["values"].split(","):
                kv = _KEY_VALUE_RE.match(pair)
                if kv is None:
                    raise AthenaError("SYNTAX_ERROR", f"bad partition value {pair.strip()!r}")
                values[kv["key"].lower()] = kv["value"]
            keys = [k for k, _ in table.partition_keys]
            if sorted(values) != sorted(keys):
                raise AthenaError("SYNTAX_ERROR", f"partition must give {keys}, got {sorted(values)}")
            key = tuple(values[k] for k in keys)
            location = spec["location"] or (
                table.location.rstrip("/") + "/" + "/".join(f"{k}={values[k]}" for k in keys) + "/"
            )
            added[key] = location
            position = spec.end()
        for key, location in added.items():
            if key in table.partitions and not match["if_not_exists"]:
                raise AthenaError("AlreadyExistsException", f"Partition already exists: {key}")
            table.partitions.setdefault(key, location)

    def _table(self, db: str, name: str) -> TableDef:
        try:
            return self.tables[(db, name)]
        except KeyError:
            raise AthenaError(
                "TABLE_NOT_FOUND", f"Table 'awsdatacatalog.{db}.{name}' does not exist"
            ) from None

    # ------------------------------------------------------------------ queries
    def local_path(self, uri: str) -> Path:
        if not uri.startswith("s3://"):
            raise AthenaError("INVALID_LOCATION", f"not an s3:// location: {uri}")
        bucket = uri[len("s3://") :].split("/", 1)[0]
        root = self.stack_dir if bucket in self.stack_buckets else self.data_dir / "s3"
        return root / uri[len("s3://") :]

    def data_keys(self, bucket: str, prefix: str) -> list[str]:
        """The data directory's object keys of ``bucket`` under ``prefix``, sorted as S3 lists them."""
        root = self.data_dir / "s3" / bucket
        folder = root / prefix if prefix.endswith("/") or not prefix else (root / prefix).parent
        if not folder.is_dir():
            return []
        keys = (str(p.relative_to(root)) for p in folder.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix))

    def _select(self, query: exp.Query, record: QueryExecutionRecord) -> None:
        self._db.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        common_tables = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
        with self._lock:  # the catalog's tables and partitions, read into this thread's views
            scanned = self._bind_tables(query, record, common_tables)
        cutoff = self.bytes_scanned_cutoff(record.workgroup)
        if cutoff is not None and scanned > cutoff:
            record.data_scanned_bytes = cutoff
            raise AthenaCancelled(
                "Query cancelled! : Bytes scanned limit was exceeded",
                f"the query would scan {scanned} bytes; the workgroup {record.workgroup}'s "
                f"BytesScannedCutoffPerQuery is {cutoff}",
            )
        duck_sql = query.sql(dialect="duckdb")
        cursor = self._db.execute(duck_sql)
        record.columns = [
            (d[0], DUCKDB_TO_ATHENA.get(str(d[1]).split("(")[0], "varchar")) for d in cursor.description
        ]
        record.rows = cursor.fetchall()
        record.data_scanned_bytes = scanned
        record.malformed_lines = self._malformed_lines()

    def _bind_tables(self, query: exp.Query, record: QueryExecutionRecord, common_tables: set[str]) -> int:
        """Replaces each catalog table of the query by a view over its (pruned) files; returns bytes."""
        scanned = 0
        for position, node in enumerate(list(query.find_all(exp.Table))):
            if not node.db and node.name.lower() in common_tables:
                continue  # a WITH query's own name, not a catalog table
            db, name = self._qualify(node, record.database)
            self._needs(self._glue(["glue:GetTable"], db, name))
            table = self._table(db, name)
            if table.partition_keys and not table.projected:  # projected: nothing asked of Glue
                self._needs(self._glue(["glue:GetPartitions"], db, name))
            candidates = self._partitions_of(table)
            partitions = self._pruned_partitions(table, node, candidates)
            if partitions is None:
                record.unpruned_tables.append(f"{db}.{name}")
                partitions = candidates
            view = f"__athena_{position}"
            files_bytes = self._create_view(view, table, partitions, self._path_conjuncts(node))
            scanned += files_bytes
            replacement = exp.to_table(view)
            replacement.set(
                "alias", node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
            )
            node.replace(replacement)
        return scanned

    def _pruned_partitions(
        self, table: TableDef, node: exp.Table, candidates: list[tuple[tuple, str]]
    ) -> list[tuple[tuple, str]] | None:
        """Partitions selected by the enclosing WHERE's conjuncts on partition columns only.

        None when the query does not constrain the partition columns (a full-table read).
        """
        if not table.partition_keys:
            return []
        select = node.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        keys = {k for k, _ in table.partition_keys}
        names = {node.alias_or_name.lower(), node.name.lower()}

        def ours(column: exp.Column) -> bool:  # f."date" is not e."date": a join has both
            return column.name.lower() in keys and (not column.table or column.table.lower() in names)

        conjuncts = [
            c
            for c in (
                where.this.flatten()
                if where and isinstance(where.this, exp.And)
                else [where.this]
                if where
                else []
            )
            if c.find(exp.Column) and all(ours(col) for col in c.find_all(exp.Column))
        ]
        if not conjuncts:
            return None
        if not candidates:
            return []
        key_columns = ", ".join(f'"{k}"' for k, _ in table.partition_keys)
        values_sql = ", ".join(
            "("
            + ", ".join(
                [str(i)]
                + [
                    f"CAST({_quote(v)} AS {HIVE_TO_DUCKDB[t]})"
                    for v, (_, t) in zip(values, table.partition_keys, strict=True)
                ]
            )
            + ")"
            for i, (values, _) in enumerate(candidates)
        )
        predicate = " AND ".join(c.copy().transform(_unqualify).sql(dialect="duckdb") for c in conjuncts)
        selected = self._db.execute(
            f"SELECT __i FROM (VALUES {values_sql}) AS p(__i, {key_columns}) WHERE {predicate}"
        ).fetchall()
        return [candidates[i] for (i,) in selected]

    def _path_conjuncts(self, node: exp.Table) -> list[str]:
        """The enclosing WHERE's conjuncts on this table's ``"$path"`` only (as DuckDB SQL): Trino's
        Hive connector skips the files such a predicate excludes (a predicate it can represent as a
        domain - equalities and ranges: trinodb/trino#27000), so Athena neither reads nor bills them."""
        select = node.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        if where is None:
            return []
        names = {node.alias_or_name.lower(), node.name.lower()}
        conjuncts = where.this.flatten() if isinstance(where.this, exp.And) else [where.this]
        return [
            c.copy().transform(_unqualify).sql(dialect="duckdb")
            for c in conjuncts
            if c.find(exp.Column)
            and all(
                col.name == "$path" and (not col.table or col.table.lower() in names)
                for col in c.find_all(exp.Column)
            )
        ]

    def _files_passing(self, uris: list[str], conjuncts: list[str]) -> set[int]:
        values = ", ".join(f"({i}, {_quote(u)})" for i, u in enumerate(uris))
        predicate = " AND ".join(f"({c})" for c in conjuncts)
        rows = self._db.execute(f'SELECT __i FROM (VALUES {values}) AS p(__i, "$path") WHERE {predicate}')
        return {i for (i,) in rows.fetchall()}

    def _create_view(
        self,
        view: str,
        table: TableDef,
        partitions: list[tuple[tuple, str]],
        path_conjuncts: list[str] | None = None,
    ) -> int:
        """A DuckDB view over the files of the given partitions (or the table's location), without
        the files the query's ``"$path"`` predicates exclude. Returns the bytes of the files read."""
        branches, scanned = [], 0
        locations = partitions if table.partition_keys else [((), table.location)]
        for values, location in locations:
            files = _data_files(self.local_path(location))
            if files and path_conjuncts:
                uris = [self._uri_of(f) for f in files]
                kept = self._files_passing(uris, path_conjuncts)
                files = [f for i, f in enumerate(files) if i in kept]
            self._needs(self._s3_reads(location, files))
            if not files:
                continue
            scanned += sum(f.stat().st_size for f in files)
            constants = [
                f'CAST({_quote(v)} AS {HIVE_TO_DUCKDB[t]}) AS "{k}"'
                for v, (k, t) in zip(values, table.partition_keys, strict=True)
            ]
            branches.append(self._file_scan(table, files, constants))
        if not branches:
            nulls = [
                f'CAST(NULL AS {HIVE_TO_DUCKDB[t]}) AS "{c}"' for c, t in table.columns + table.partition_keys
            ]
            branches.append(f'SELECT {", ".join(nulls)}, CAST(NULL AS VARCHAR) AS "$path" WHERE false')
        self._db.execute(f'CREATE OR REPLACE TEMP VIEW "{view}" AS ' + " UNION ALL ".join(branches))
        return scanned

    def _uri_of(self, path: Path) -> str:
        for root in sorted({self.stack_dir, self.data_dir / "s3"}, key=lambda r: len(str(r)), reverse=True):
            if path.is_relative_to(root):
                return "s3://" + path.relative_to(root).as_posix()
        raise AthenaError("INVALID_LOCATION", f"{path} is outside the data directory")

    def _s3_reads(self, location: str, files: list[Path]) -> list[tuple[str, str]]:
        """Listing a location needs s3:ListBucket on its bucket, reading a file s3:GetObject on it."""
        bucket = location[len("s3://") :].split("/", 1)[0]
        root = self.local_path(f"s3://{bucket}/")
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")] + [
            ("s3:GetObject", f"arn:aws:s3:::{bucket}/{f.relative_to(root).as_posix()}") for f in files
        ]

    def _file_scan(self, table: TableDef, files: list[Path], constants: list[str]) -> str:
        file_list = "[" + ", ".join(_quote(str(f)) for f in files) + "]"
        # Athena's "$path" pseudo-column: the object's s3:// URI (here: the file's path mapped back)
        path = f'{_path_column(self.data_dir / "s3", self.stack_dir)} AS "$path"'
        if table.storage == "parquet":
            available = {
                row[0].lower(): row[0]
                for row in self._db.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({file_list}, union_by_name = true)"
                ).fetchall()
            }
            select = [
                f'CAST("{available[c]}" AS {HIVE_TO_DUCKDB[t]}) AS "{c}"'
                if c in available
                else f'CAST(NULL AS {HIVE_TO_DUCKDB[t]}) AS "{c}"'
                for c, t in table.columns
            ]
            return (
                f"SELECT {', '.join(select + constants + [path])} "
                f"FROM read_parquet({file_list}, union_by_name = true, filename = true)"
            )
        if table.storage == "json":  # the JSON SerDe: an object a line, its keys by column name
            columns = (
                "{" + ", ".join(f"{_quote(c)}: {_quote(HIVE_TO_DUCKDB[t])}" for c, t in table.columns) + "}"
            )
            names = [f'"{c}"' for c, _ in table.columns]
            return (
                f"SELECT {', '.join(names + constants + [path])} FROM read_json({file_list}, "
                f"format = 'newline_delimited', columns = {columns}, compression = 'auto', filename = true)"
            )
        # Athena's text reader (LazySimpleSerDe): split on the delimiter; a missing trailing field is
        # NULL, extra fields are ignored, and a value that is not the column's type (`12x4`, `1.5e9`,
        # `-` in a number) is NULL - the line is kept. Fields are read as text and cast here, because
        # DuckDB's own casts accept what Athena's do not (`1.5e9`, ` 5`, `0x10` as numbers).
        columns = "{" + ", ".join(f"{_quote(c)}: 'VARCHAR'" for c, _ in table.columns) + "}"
        names = [_athena_text_cast(c, t) for c, t in table.columns]
        return (
            f"SELECT {', '.join(names + constants + [path])} FROM read_csv({file_list}, "
            f"delim = {_quote(table.delimiter)}, header = false, skip = {table.skip_header_lines}, "
            f"columns = {columns}, null_padding = true, strict_mode = false, "
            "quote = '', escape = '', auto_detect = false, compression = 'auto', filename = true, "
            "ignore_errors = true, store_rejects = true, parallel = true)"
        )

    def _malformed_lines(self) -> list[dict]:
        try:
            rows = self._db.execute(
                "SELECT s.file_path, e.line, min(e.error_type || ': ' || e.csv_line) FROM reject_errors e "
                "JOIN reject_scans s USING (scan_id, file_id) GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        except duckdb.CatalogException:
            return []
        return [
            {"file": path, "line": line, "error": _first_line(message)[:200]} for path, line, message in rows
        ]


def _unqualify(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column) and node.table:
        return exp.column(node.name, quoted=True)
    return node


_INTEGER_TEXT = "[+-]?[0-9]+"  # what Athena's text reader takes as an integer


def _athena_text_cast(column: str, hive_type: str) -> str:
    """A text field read as Athena reads it: integers only from digits (else NULL), other types
    by cast (NULL when they do not parse)."""
    value = f'"{column}"'
    duck = HIVE_TO_DUCKDB[hive_type]
    if duck in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT"):
        digits = f"regexp_full_match({value}, '{_INTEGER_TEXT}')"
        return f"CASE WHEN {digits} THEN TRY_CAST({value} AS {duck}) END AS {value}"
    if duck == "VARCHAR":
        return value
    return f"TRY_CAST({value} AS {duck}) AS {value}"


def _path_column(data_root: Path, stack_root: Path) -> str:
    """``filename`` (a local path under one of the roots) as the object's s3:// URI."""
    roots = sorted({str(data_root), str(stack_root)}, key=len, reverse=True)
    expression = "filename"
    for root in roots:
        expression = f"replace({expression}, {_quote(root + '/')}, 's3://')"
    return expression


def _hive_type(column: exp.ColumnDef) -> str:
    text = column.args["kind"].sql(dialect="hive").lower()
    hive = {"string": "string", "int": "int", "bigint": "bigint"}.get(text, text)
    if hive not in HIVE_TO_DUCKDB:
        raise AthenaError("NOT_SUPPORTED", f"column type {text} is not supported by the embedded engine")
    return hive


def _data_files(directory: Path) -> list[Path]:
    """Objects under a prefix, as Athena reads them: recursively, skipping names starting with _ or ."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(directory).parts)
    )


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _datum(value: Any) -> dict:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"VarCharValue": "true" if value else "false"}
    if isinstance(value, datetime):
        return {"VarCharValue": value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"}
    if isinstance(value, date):
        return {"VarCharValue": value.isoformat()}
    if isinstance(value, float | Decimal):
        return {"VarCharValue": repr(float(value)) if isinstance(value, float) else str(value)}
    return {"VarCharValue": str(value)}


def _column_info(name: str, athena_type: str) -> dict:
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": athena_type,
        "Precision": 0,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": athena_type == "varchar",
    }


logging.getLogger("sqlglot").setLevel(
    logging.ERROR
)  # ALTER ... PARTITION is read by this module, not sqlglot
