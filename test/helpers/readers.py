"""Independent table readers for the Floe tests (run by readers.ts with the rig's virtualenv).

    readers.py iceberg <location> [--reader pyiceberg|duckdb] [--filter EXPR] [--snapshot-id N]
    readers.py delta <location> [--filter SQL] [--version N]
    readers.py iceberg-inspect <location>

<location> is a table root or a metadata file, as a local path, file:// URI or s3://bucket/key.
For an Iceberg table root the metadata file is metadata/version-hint.text's version if present,
else the newest metadata/*.metadata.json.

stdout is JSON lines: {"row": {...}} per row, then one {"meta": {...}}. Values are canonical so the
TypeScript side can compare multisets exactly:
  integers             JSON numbers, or decimal strings beyond +-(2^53-1)
  float / double       JSON numbers; NaN, Infinity, -Infinity as strings
  decimal              string with the column's scale ("12.30")
  string               string; uuid as lowercase hyphenated string
  binary / fixed       base64
  date                 integer days since 1970-01-01
  time                 integer microseconds since midnight
  timestamp(tz)        integer microseconds since the epoch (nanosecond types: nanoseconds)
  list / struct        arrays / objects; map as [key, value] pairs sorted by the key's JSON
S3 (MinIO) settings come from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import shutil
import sys
import tempfile
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import urlparse

import pyarrow as pa

MAX_SAFE = 2**53 - 1


# ----------------------------------------------------------------------------------------------
# Locations and storage
# ----------------------------------------------------------------------------------------------

def s3_settings() -> dict[str, str]:
    return {
        "endpoint": os.environ.get("S3_ENDPOINT", ""),
        "access_key": os.environ.get("S3_ACCESS_KEY", ""),
        "secret_key": os.environ.get("S3_SECRET_KEY", ""),
        "region": os.environ.get("S3_REGION", "us-east-1"),
    }


def normalize_location(location: str) -> str:
    """Local paths become file:// URIs; s3a:// and s3n:// become s3://."""
    if re.match(r"^s3[an]?://", location):
        return re.sub(r"^s3[an]?://", "s3://", location)
    if location.startswith("file:"):
        return "file://" + urlparse(location).path
    return "file://" + os.path.abspath(location)


def pyiceberg_properties() -> dict[str, str]:
    s3 = s3_settings()
    props = {"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
    if s3["endpoint"]:
        props.update({
            "s3.endpoint": s3["endpoint"],
            "s3.access-key-id": s3["access_key"],
            "s3.secret-access-key": s3["secret_key"],
            "s3.region": s3["region"],
            "s3.force-virtual-addressing": "false",
        })
    return props


def arrow_fs(uri: str):
    """A pyarrow filesystem and the path inside it for a file:// or s3:// URI."""
    from pyarrow import fs

    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        s3 = s3_settings()
        endpoint = urlparse(s3["endpoint"]) if s3["endpoint"] else None
        filesystem = fs.S3FileSystem(
            access_key=s3["access_key"] or None,
            secret_key=s3["secret_key"] or None,
            region=s3["region"],
            endpoint_override=endpoint.netloc if endpoint else None,
            scheme=endpoint.scheme if endpoint else "https",
            force_virtual_addressing=False,
        )
        return filesystem, parsed.netloc + parsed.path
    return fs.LocalFileSystem(), parsed.path


def read_text(uri: str) -> str | None:
    from pyarrow import fs

    filesystem, path = arrow_fs(uri)
    info = filesystem.get_file_info(path)
    if info.type != fs.FileType.File:
        return None
    with filesystem.open_input_stream(path) as f:
        return f.read().decode("utf-8")


def metadata_version(name: str) -> int:
    """The version number in v12.metadata.json or 00012-<uuid>.metadata.json (-1 if none)."""
    m = re.match(r"^v?(\d+)[.-]", name)
    return int(m.group(1)) if m else -1


def resolve_iceberg_metadata(location: str) -> str:
    from pyarrow import fs

    uri = normalize_location(location).rstrip("/")
    if uri.endswith(".metadata.json"):
        return uri
    meta_dir = uri + "/metadata"
    hint = read_text(meta_dir + "/version-hint.text")
    if hint is not None and hint.strip():
        value = hint.strip()
        candidates = [f"{meta_dir}/v{value}.metadata.json"] if value.isdigit() else [f"{meta_dir}/{value}"]
        for candidate in candidates:
            filesystem, path = arrow_fs(candidate)
            if filesystem.get_file_info(path).type == fs.FileType.File:
                return candidate
    filesystem, path = arrow_fs(meta_dir)
    infos = filesystem.get_file_info(fs.FileSelector(path, allow_not_found=True))
    names = [i.base_name for i in infos if i.type == fs.FileType.File and i.base_name.endswith(".metadata.json")]
    if not names:
        raise SystemExit(f"no Iceberg metadata under {meta_dir}")
    names.sort(key=lambda n: (metadata_version(n), n))
    return f"{meta_dir}/{names[-1]}"


# ----------------------------------------------------------------------------------------------
# Canonical values
# ----------------------------------------------------------------------------------------------

def canon_int(v: int) -> int | str:
    return v if -MAX_SAFE <= v <= MAX_SAFE else str(v)


def canon_float(v: float) -> float | str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return 0.0 if v == 0 else v


def uuid_hint(hint: Any) -> bool:
    from pyiceberg.types import UUIDType

    return isinstance(hint, UUIDType)


def scale_to_micros(values: list, unit: str) -> list:
    factor = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}[unit]
    return [None if v is None else v * factor for v in values]


def to_canonical(arr: pa.Array | pa.ChunkedArray, hint: Any = None) -> list:
    """Python values of an Arrow array in the canonical encoding. `hint` is the Iceberg type of the
    column when known (to tell uuid from other 16-byte values)."""
    if isinstance(arr, pa.ChunkedArray):
        out: list = []
        for chunk in arr.chunks:
            out.extend(to_canonical(chunk, hint))
        return out
    t = arr.type
    if pa.types.is_dictionary(t):
        return to_canonical(arr.dictionary_decode(), hint)
    if isinstance(t, pa.ExtensionType):
        if getattr(t, "extension_name", "") == "arrow.uuid":
            return [None if b is None else str(uuid.UUID(bytes=b)) for b in arr.storage.to_pylist()]
        return to_canonical(arr.storage, hint)
    if pa.types.is_null(t):
        return [None] * len(arr)
    if pa.types.is_boolean(t) or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.to_pylist()
    if pa.types.is_integer(t):
        return [None if v is None else canon_int(v) for v in arr.to_pylist()]
    if pa.types.is_floating(t):
        return [None if v is None else canon_float(float(v)) for v in arr.to_pylist()]
    if pa.types.is_decimal(t):
        return [None if v is None else format(v, "f") for v in arr.to_pylist()]
    if pa.types.is_fixed_size_binary(t) and t.byte_width == 16 and uuid_hint(hint):
        return [None if b is None else str(uuid.UUID(bytes=b)) for b in arr.to_pylist()]
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t):
        if uuid_hint(hint):
            return [None if b is None else str(uuid.UUID(bytes=b)) for b in arr.to_pylist()]
        return [None if b is None else base64.b64encode(b).decode("ascii") for b in arr.to_pylist()]
    if pa.types.is_timestamp(t):
        ints = arr.cast(pa.int64()).to_pylist()
        return [None if v is None else canon_int(v) for v in scale_to_micros(ints, t.unit)]
    if pa.types.is_date32(t):
        return arr.cast(pa.int32()).to_pylist()
    if pa.types.is_date64(t):
        return [None if v is None else v // 86_400_000 for v in arr.cast(pa.int64()).to_pylist()]
    if pa.types.is_time(t):
        ints = arr.cast(pa.int64()).to_pylist()
        if t.unit == "ns":
            return [None if v is None else v // 1000 for v in ints]
        return scale_to_micros(ints, t.unit)
    if pa.types.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        child_hints = struct_hints(hint, names)
        # flatten() applies the struct's own nulls and slice offset to each child.
        children = [to_canonical(c, h) for c, h in zip(arr.flatten(), child_hints)]
        valid = arr.is_valid().to_pylist()
        return [
            {name: children[j][i] for j, name in enumerate(names)} if valid[i] else None
            for i in range(len(arr))
        ]
    if pa.types.is_map(t):
        key_hint, value_hint = map_hints(hint)
        keys = to_canonical(arr.keys, key_hint)
        items = to_canonical(arr.items, value_hint)
        offsets = arr.offsets.to_pylist()
        valid = arr.is_valid().to_pylist()
        out = []
        for i in range(len(arr)):
            if not valid[i]:
                out.append(None)
                continue
            pairs = [[keys[j], items[j]] for j in range(offsets[i], offsets[i + 1])]
            pairs.sort(key=lambda p: json.dumps(p[0], sort_keys=True))
            out.append(pairs)
        return out
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_list_view(t):
        # flatten() drops values behind null lists and honours slicing; walk it with the lengths.
        values = to_canonical(arr.flatten(), list_hint(hint))
        lengths = arr.value_lengths().to_pylist() if not pa.types.is_fixed_size_list(t) else [
            None if not ok else t.list_size for ok in arr.is_valid().to_pylist()
        ]
        out, pos = [], 0
        for n in lengths:
            if n is None:
                out.append(None)
            else:
                out.append(values[pos:pos + n])
                pos += n
        return out
    # Anything else: Arrow's own Python conversion, stringified if not JSON-native.
    return [v if v is None or isinstance(v, (bool, int, float, str)) else str(v) for v in arr.to_pylist()]


def struct_hints(hint: Any, names: list[str]) -> list[Any]:
    from pyiceberg.types import StructType

    if isinstance(hint, StructType):
        by_name = {f.name: f.field_type for f in hint.fields}
        return [by_name.get(n) for n in names]
    return [None] * len(names)


def map_hints(hint: Any) -> tuple[Any, Any]:
    from pyiceberg.types import MapType

    return (hint.key_type, hint.value_type) if isinstance(hint, MapType) else (None, None)


def list_hint(hint: Any) -> Any:
    from pyiceberg.types import ListType

    return hint.element_type if isinstance(hint, ListType) else None


def table_rows(table: pa.Table, hints: dict[str, Any] | None = None) -> Iterable[dict]:
    hints = hints or {}
    names = table.column_names
    columns = [to_canonical(table.column(i), hints.get(n)) for i, n in enumerate(names)]
    for i in range(table.num_rows):
        yield {n: columns[j][i] for j, n in enumerate(names)}


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), allow_nan=False))
    sys.stdout.write("\n")


# ----------------------------------------------------------------------------------------------
# Iceberg
# ----------------------------------------------------------------------------------------------

def load_iceberg(location: str):
    from pyiceberg.table import StaticTable

    metadata = resolve_iceberg_metadata(location)
    return StaticTable.from_metadata(metadata, properties=pyiceberg_properties()), metadata


def iceberg_scan(table, row_filter: str | None, snapshot_id: int | None):
    from pyiceberg.expressions import AlwaysTrue

    kwargs: dict[str, Any] = {"row_filter": row_filter if row_filter else AlwaysTrue()}
    if snapshot_id is not None:
        kwargs["snapshot_id"] = snapshot_id
    return table.scan(**kwargs)


def schema_hints(schema) -> dict[str, Any]:
    return {f.name: f.field_type for f in schema.fields}


def read_iceberg_pyiceberg(args) -> None:
    table, metadata = load_iceberg(args.location)
    scan = iceberg_scan(table, args.filter, args.snapshot_id)
    tasks = list(scan.plan_files())
    result = scan.to_arrow()
    for row in table_rows(result, schema_hints(scan.projection())):
        emit({"row": row})
    emit({"meta": iceberg_meta(table, metadata, scan, tasks, result.num_rows, "pyiceberg")})


def iceberg_meta(table, metadata: str, scan, tasks: list, rows: int, reader: str) -> dict:
    snapshot = scan.snapshot()
    return {
        "reader": reader,
        "metadataLocation": metadata,
        "snapshotId": None if snapshot is None else str(snapshot.snapshot_id),
        "filesScanned": len(tasks),
        "deleteFiles": sum(len(t.delete_files) for t in tasks),
        "rows": rows,
        "formatVersion": table.metadata.format_version,
    }


def duckdb_literal_path(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_iceberg_duckdb(args) -> None:
    """duckdb reads the Parquet files pyiceberg plans (no duckdb extensions are downloadable here):
    columns are matched by Iceberg field id through duckdb's parquet_schema(), so renamed and added
    columns resolve as the table schema says; position deletes are applied by anti-join on
    file_row_number; the row filter is applied as a SQL WHERE clause on the projected columns."""
    import duckdb

    table, metadata = load_iceberg(args.location)
    scan = iceberg_scan(table, args.filter, args.snapshot_id)
    tasks = list(scan.plan_files())
    schema = scan.projection()
    hints = schema_hints(schema)
    io = table.io
    con = duckdb.connect()
    tmp = tempfile.mkdtemp(prefix="floe-duckdb-")
    total = 0
    try:
        local_cache: dict[str, str] = {}

        def local(path: str) -> str:
            # duckdb's httpfs is an extension (not downloadable here): copy S3 files to a temp dir.
            if path in local_cache:
                return local_cache[path]
            parsed = urlparse(path)
            if parsed.scheme in ("", "file"):
                local_cache[path] = parsed.path if parsed.scheme else path
            else:
                dest = os.path.join(tmp, f"{len(local_cache)}.parquet")
                with io.new_input(path).open() as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                local_cache[path] = dest
            return local_cache[path]

        for task in tasks:
            data_path = local(task.file.file_path)
            by_id, by_name = top_level_columns(con, data_path)
            select = []
            for field in schema.fields:
                # By field id; a file written without ids (imported data) resolves by name.
                physical = by_id.get(field.field_id) if by_id else by_name.get(field.name)
                expr = quote_ident(physical) if physical is not None else "NULL"
                select.append(f"{expr} AS {quote_ident(field.name)}")
            source = f"read_parquet({duckdb_literal_path(data_path)}, file_row_number=true)"
            deleted = positions_deleted(con, task, task.file.file_path, local)
            where = []
            if deleted:
                con.execute("create or replace temp table floe_deleted(pos bigint)")
                con.executemany("insert into floe_deleted values (?)", [(p,) for p in deleted])
                where.append("file_row_number not in (select pos from floe_deleted)")
            inner = f"select {', '.join(select)} from {source}"
            if where:
                inner += " where " + " and ".join(where)
            sql = f"select * from ({inner}) t"
            if args.filter:
                sql += f" where {args.filter}"
            relation = con.sql(sql)
            result = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
            total += result.num_rows
            for row in table_rows(result, hints):
                emit({"row": row})
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    emit({"meta": iceberg_meta(table, metadata, scan, tasks, total, "duckdb")})


def top_level_columns(con, path: str) -> tuple[dict[int, str], dict[str, str]]:
    """Top-level columns of a Parquet file as {field_id: name} and {name: name}. parquet_schema()
    lists the schema tree depth-first with each element's child count; nested elements are skipped
    so a struct child never shadows a top-level column."""
    rows = con.execute(
        f"select name, num_children, field_id from parquet_schema({duckdb_literal_path(path)})"
    ).fetchall()

    def skip(i: int) -> int:
        n = rows[i][1] or 0
        i += 1
        for _ in range(n):
            i = skip(i)
        return i

    by_id: dict[int, str] = {}
    by_name: dict[str, str] = {}
    i = 1
    for _ in range(rows[0][1] or 0):
        name, _, field_id = rows[i]
        by_name[name] = name
        if field_id is not None:
            by_id[int(field_id)] = name
        i = skip(i)
    return by_id, by_name


def positions_deleted(con, task, data_file_path: str, local: Callable[[str], str]) -> list[int]:
    from pyiceberg.manifest import DataFileContent, FileFormat

    positions: set[int] = set()
    for delete in task.delete_files:
        if delete.content == DataFileContent.EQUALITY_DELETES:
            raise SystemExit("duckdb reader: equality deletes are not supported")
        if delete.file_format != FileFormat.PARQUET:
            raise SystemExit(
                f"duckdb reader: {delete.file_format} delete files (deletion vectors) are not supported; use pyiceberg"
            )
        rows = con.execute(
            f"select pos from read_parquet({duckdb_literal_path(local(delete.file_path))}) where file_path = ?",
            [data_file_path],
        ).fetchall()
        positions.update(int(r[0]) for r in rows)
    return sorted(positions)


def inspect_iceberg(args) -> None:
    table, metadata = load_iceberg(args.location)
    md = table.metadata
    current = table.current_snapshot()
    snapshots = [
        {
            "snapshotId": str(s.snapshot_id),
            "parentId": None if s.parent_snapshot_id is None else str(s.parent_snapshot_id),
            "sequenceNumber": s.sequence_number,
            "timestampMs": s.timestamp_ms,
            "operation": None if s.summary is None else str(s.summary.operation.value),
            "summary": {} if s.summary is None else {k: str(v) for k, v in s.summary.additional_properties.items()},
        }
        for s in md.snapshots
    ]
    data_files = []
    if current is not None:
        for task in table.scan().plan_files():
            f = task.file
            data_files.append({
                "path": f.file_path,
                "records": f.record_count,
                "bytes": f.file_size_in_bytes,
                "deleteFiles": len(task.delete_files),
            })
    emit({"meta": {
        "metadataLocation": metadata,
        "formatVersion": md.format_version,
        "tableUuid": str(md.table_uuid),
        "location": md.location,
        "currentSnapshotId": None if current is None else str(current.snapshot_id),
        "snapshots": snapshots,
        "schema": json.loads(table.schema().model_dump_json()),
        "partitionSpec": json.loads(table.spec().model_dump_json()),
        "sortOrder": json.loads(table.sort_order().model_dump_json()),
        "properties": dict(md.properties),
        "dataFiles": data_files,
    }})


# ----------------------------------------------------------------------------------------------
# Delta
# ----------------------------------------------------------------------------------------------

def delta_storage_options(uri: str) -> dict[str, str]:
    if not uri.startswith("s3://"):
        return {}
    s3 = s3_settings()
    return {
        "AWS_ENDPOINT_URL": s3["endpoint"],
        "AWS_ACCESS_KEY_ID": s3["access_key"],
        "AWS_SECRET_ACCESS_KEY": s3["secret_key"],
        "AWS_REGION": s3["region"],
        "AWS_ALLOW_HTTP": "true" if s3["endpoint"].startswith("http://") else "false",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
    }


def read_delta(args) -> None:
    """deltalake's QueryBuilder (DataFusion) applies column mapping and deletion vectors."""
    from deltalake import DeltaTable, QueryBuilder

    uri = normalize_location(args.location)
    table_uri = uri[len("file://"):] if uri.startswith("file://") else uri
    dt = DeltaTable(table_uri, storage_options=delta_storage_options(uri), version=args.version)
    sql = "select * from t"
    if args.filter:
        sql += f" where {args.filter}"
    reader = QueryBuilder().register("t", dt).execute(sql)
    result = pa.table(reader) if not isinstance(reader, pa.Table) else reader
    for row in table_rows(result):
        emit({"row": row})
    emit({"meta": {
        "reader": "deltalake",
        "version": dt.version(),
        "filesScanned": len(dt.file_uris()),
        "rows": result.num_rows,
    }})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("iceberg")
    p.add_argument("location")
    p.add_argument("--reader", choices=["pyiceberg", "duckdb"], default="pyiceberg")
    p.add_argument("--filter")
    p.add_argument("--snapshot-id", type=int)
    p = sub.add_parser("iceberg-inspect")
    p.add_argument("location")
    p = sub.add_parser("delta")
    p.add_argument("location")
    p.add_argument("--filter")
    p.add_argument("--version", type=int)
    args = parser.parse_args()
    if args.command == "iceberg":
        (read_iceberg_duckdb if args.reader == "duckdb" else read_iceberg_pyiceberg)(args)
    elif args.command == "iceberg-inspect":
        inspect_iceberg(args)
    else:
        read_delta(args)


if __name__ == "__main__":
    main()
