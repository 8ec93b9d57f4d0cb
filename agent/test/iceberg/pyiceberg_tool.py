"""Independent reader (and Parquet writer) for the Iceberg tests: pyiceberg + pyarrow.

Usage: python pyiceberg_tool.py <command>  with a JSON request on stdin; prints a JSON answer.

  write_parquet  {"path", "columns": [{"name","id","type","required"}], "rows": [{...}]}
                 -> {"size", "records", "stats": {"<field id>": {"size","values","nulls","min","max"}}}
                 Timestamps are integers (microseconds since the epoch) in and out.
  scan           {"metadata": "<uri of vN.metadata.json>", "filter": "<pyiceberg expression>"?,
                  "properties": {"s3.endpoint": ...}?}
                 -> {"rows": [...], "files": [<planned data file paths>]}
  inspect        {"metadata"} -> {"snapshots": [...], "files": [...], "schema": "..."}
"""

import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

TYPES = {
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}


def write_parquet(req):
    fields, arrays = [], []
    stats = {}
    for c in req["columns"]:
        t = TYPES[c["type"]]
        values = [r.get(c["name"]) for r in req["rows"]]
        if pa.types.is_timestamp(t):
            arr = pa.array(values, type=pa.int64()).cast(t)
        else:
            arr = pa.array(values, type=t)
        fields.append(pa.field(c["name"], t, nullable=not c.get("required", False),
                               metadata={b"PARQUET:field_id": str(c["id"]).encode()}))
        arrays.append(arr)
        present = [v for v in values if v is not None]
        stats[str(c["id"])] = {
            "values": len(values),
            "nulls": len(values) - len(present),
            "min": min(present) if present else None,
            "max": max(present) if present else None,
        }
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    pq.write_table(table, req["path"], compression="zstd")
    meta = pq.ParquetFile(req["path"]).metadata
    for i, c in enumerate(req["columns"]):
        size = 0
        for g in range(meta.num_row_groups):
            size += meta.row_group(g).column(i).total_compressed_size
        stats[str(c["id"])]["size"] = size
    return {"size": os.path.getsize(req["path"]), "records": table.num_rows, "stats": stats}


def plain(table):
    cols = {}
    for name in table.column_names:
        col = table[name]
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        cols[name] = col.to_pylist()
    n = table.num_rows
    return [{k: cols[k][i] for k in cols} for i in range(n)]


def load(req):
    from pyiceberg.table import StaticTable
    return StaticTable.from_metadata(req["metadata"], properties=req.get("properties") or {})


def scan(req):
    tbl = load(req)
    kwargs = {}
    if req.get("filter"):
        kwargs["row_filter"] = req["filter"]
    s = tbl.scan(**kwargs)
    files = sorted(t.file.file_path for t in s.plan_files())
    return {"rows": plain(s.to_arrow()), "files": files}


def inspect(req):
    tbl = load(req)
    md = tbl.metadata
    snaps = [
        {
            "id": str(s.snapshot_id),
            "parent": None if s.parent_snapshot_id is None else str(s.parent_snapshot_id),
            "seq": s.sequence_number,
            "summary": {k: str(v) for k, v in s.summary.additional_properties.items()} | {"operation": s.summary.operation.value},
        }
        for s in md.snapshots
    ]
    files = tbl.inspect.files().to_pylist()
    out_files = [
        {
            "path": f["file_path"],
            "records": f["record_count"],
            "partition": {k: v for k, v in (f.get("partition") or {}).items()},
            "lower_bounds": {str(k): str(v) for k, v in (f.get("lower_bounds") or [])},
        }
        for f in files
    ]
    return {
        "snapshots": snaps,
        "current": None if md.current_snapshot_id is None else str(md.current_snapshot_id),
        "files": out_files,
        "schema": str(tbl.schema()),
        "format_version": md.format_version,
    }


def main():
    cmd = sys.argv[1]
    req = json.loads(sys.stdin.read() or "{}")
    out = {"write_parquet": write_parquet, "scan": scan, "inspect": inspect}[cmd](req)
    sys.stdout.write(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
