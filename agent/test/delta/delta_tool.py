"""Independent readers for the Delta projection tests: deltalake (delta-rs), duckdb, pyiceberg.

Usage: python delta_tool.py <command>  with a JSON request on stdin; prints one JSON answer.

  delta    {"path", "version"?, "sql"?: [<query over table t>], "storage_options"?: {...}}
           deltalake's QueryBuilder reads the table (the only deltalake API that applies column
           mapping) -> {"rows", "files", "version", "protocol", "schema", "partition_columns",
           "adds": [{"path", "size", "partition", "num_records", "min", "max", "null_count"}],
           "sql": [[row, ...], ...]}
  duckdb   {"path", "version"?}
           deltalake lists the live files (file_uris + partition values of the add actions);
           duckdb reads each Parquet file, the partition columns come from the log -> {"rows"}
  iceberg  {"metadata", "snapshot_id"?, "properties"?: {...}} pyiceberg scan -> {"rows", "files"}

Rows are canonical so readers can be compared exactly: integers as JSON numbers (strings beyond
2^53), timestamps as integer microseconds since the epoch, dates as days, decimals as strings,
binary as hex, structs as objects, lists as arrays, maps as [key, value] pairs sorted by key.
"""

import datetime
import decimal
import json
import sys

import pyarrow as pa

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
EPOCH_DATE = datetime.date(1970, 1, 1)


def canon(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 - 1 else str(v)
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        delta = v - EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(v, datetime.date):
        return (v - EPOCH_DATE).days
    if isinstance(v, datetime.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        items = [canon(x) for x in v]
        if items and all(isinstance(x, tuple) and len(x) == 2 for x in v):  # a map's entries
            return sorted(([k, x] for k, x in items), key=lambda kv: json.dumps(kv[0]))
        return items
    return str(v)


def rows_of(table):
    return [{k: canon(x) for k, x in r.items()} for r in table.to_pylist()]


def open_delta(req):
    from deltalake import DeltaTable
    return DeltaTable(req["path"], version=req.get("version"), storage_options=req.get("storage_options") or None)


def add_actions(dt):
    """The live add actions as deltalake parses them: partition values and stats by column."""
    out = []
    for a in pa.table(dt.get_add_actions(flatten=False)).to_pylist():
        out.append({
            "path": a["path"],
            "size": a["size_bytes"],
            "partition": canon(a.get("partition")),
            "num_records": canon(a.get("num_records")),
            "min": canon(a.get("min")),
            "max": canon(a.get("max")),
            "null_count": canon(a.get("null_count")),
        })
    return sorted(out, key=lambda x: x["path"])


def delta(req):
    from deltalake import QueryBuilder
    dt = open_delta(req)
    qb = QueryBuilder().register("t", dt)
    rows = rows_of(pa.table(qb.execute("select * from t").read_all()))
    answers = [rows_of(pa.table(qb.execute(q).read_all())) for q in req.get("sql") or []]
    p = dt.protocol()
    md = dt.metadata()
    return {
        "rows": rows,
        "files": sorted(dt.file_uris()),
        "version": dt.version(),
        "protocol": {
            "min_reader_version": p.min_reader_version,
            "min_writer_version": p.min_writer_version,
            "reader_features": p.reader_features,
            "writer_features": p.writer_features,
        },
        "schema": json.loads(dt.schema().to_json()),
        "partition_columns": md.partition_columns,
        "adds": add_actions(dt),
        "sql": answers,
    }


def duckdb_read(req):
    import duckdb
    dt = open_delta(req)
    md = dt.metadata()
    schema = json.loads(dt.schema().to_json())
    names = [f["name"] for f in schema["fields"]]
    types = {f["name"]: f["type"] for f in schema["fields"]}
    by_path = {a["path"]: a["partition"] or {} for a in add_actions(dt)}
    con = duckdb.connect()
    rows = []
    for uri in dt.file_uris():
        pv = None
        for path, values in by_path.items():
            if uri.endswith("/" + path) or uri == path:
                pv = values
        if pv is None:
            raise SystemExit(f"no add action for {uri}")
        local = uri[len("file://"):] if uri.startswith("file://") else uri
        table = con.execute("select * from read_parquet(?)", [local]).to_arrow_table()
        if not isinstance(table, pa.Table):
            table = table.read_all()
        for r in rows_of(table):
            for c in md.partition_columns:
                v = pv.get(c)
                r[c] = None if v is None else (int(v) if types[c] in ("integer", "long") else v)
            for n in names:
                r.setdefault(n, None)
            rows.append(r)
    return {"rows": rows}


def iceberg(req):
    from pyiceberg.table import StaticTable
    tbl = StaticTable.from_metadata(req["metadata"], properties=req.get("properties") or {})
    kwargs = {}
    if req.get("snapshot_id") is not None:
        kwargs["snapshot_id"] = int(req["snapshot_id"])
    scan = tbl.scan(**kwargs)
    files = sorted(t.file.file_path for t in scan.plan_files())
    return {"rows": rows_of(scan.to_arrow()), "files": files}


def main():
    cmd = sys.argv[1]
    req = json.loads(sys.stdin.read() or "{}")
    out = {"delta": delta, "duckdb": duckdb_read, "iceberg": iceberg}[cmd](req)
    sys.stdout.write(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
