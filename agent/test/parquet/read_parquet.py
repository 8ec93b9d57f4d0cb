"""Reads a Parquet file with readers Floe did not write and prints what they see as JSON.

Usage: read_parquet.py FILE.parquet SCHEMA.json [--summary]

SCHEMA.json is the Iceberg schema (table-spec JSON) the file was written for; it only drives how
values are canonicalised so they compare exactly with the JavaScript side:
long/time/timestamp* and decimals as decimal strings (unscaled for decimals), float/double as the
hex of their little-endian IEEE bytes (or "NaN"), date as days, binary/fixed as hex, uuid as its
canonical string, maps as [[key, value], ...] lists.

Each section is computed independently; a section that fails reports {"error": traceback}.
With --summary, rows are counted but not printed.
"""

import datetime
import decimal
import json
import math
import struct
import sys
import traceback
import uuid

EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MICRO = datetime.timedelta(microseconds=1)


def unscaled(d: decimal.Decimal, scale: int) -> int:
    sign, digits, exponent = d.as_tuple()
    n = int("".join(map(str, digits)) or "0")
    shift = exponent + scale
    if shift >= 0:
        n *= 10**shift
    else:
        q, r = divmod(n, 10 ** (-shift))
        assert r == 0, f"{d} has more than {scale} fraction digits"
        n = q
    return -n if sign else n


def canon(t, v):
    if v is None:
        return None
    if isinstance(t, dict):
        kind = t["type"]
        if kind == "struct":
            return {f["name"]: canon(f["type"], v[f["name"]]) for f in t["fields"]}
        if kind == "list":
            return [canon(t["element"], x) for x in v]
        if kind == "map":
            pairs = v.items() if isinstance(v, dict) else v
            return [[canon(t["key"], k), canon(t["value"], x)] for k, x in pairs]
        raise ValueError(f"unknown type {t}")
    if t in ("boolean", "int", "string"):
        return v
    if t == "long":
        return str(v)
    if t in ("float", "double"):
        if math.isnan(v):
            return "NaN"
        return struct.pack("<f" if t == "float" else "<d", v).hex()
    if t.startswith("decimal"):
        scale = int(t[t.index(",") + 1 : -1])
        return str(unscaled(v, scale))
    if t == "date":
        return (v - EPOCH_DATE).days
    if t == "time":
        return str(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)
    if t == "timestamp":
        assert v.tzinfo is None, f"timestamp read back with a time zone: {v!r}"
        return str((v - EPOCH) // MICRO)
    if t == "timestamptz":
        assert v.tzinfo is not None, f"timestamptz read back without a time zone: {v!r}"
        assert v.utcoffset() == datetime.timedelta(0), f"timestamptz not in UTC: {v!r}"
        return str((v - EPOCH_UTC) // MICRO)
    if t == "uuid":
        return str(v) if isinstance(v, uuid.UUID) else str(uuid.UUID(bytes=bytes(v)))
    if t == "binary" or t.startswith("fixed"):
        return bytes(v).hex()
    raise ValueError(f"unknown type {t}")


def canon_rows(schema, rows):
    return [{f["name"]: canon(f["type"], row[f["name"]]) for f in schema["fields"]} for row in rows]


def arrow_field_ids(fields, prefix=""):
    """Iceberg field id of every Arrow field, keyed by a dotted path (list element: `element`, map: `key`/`value`)."""
    import pyarrow as pa

    out = {}
    for f in fields:
        path = prefix + f.name
        meta = f.metadata or {}
        out[path] = int(meta[b"PARQUET:field_id"]) if b"PARQUET:field_id" in meta else None
        t = f.type
        if isinstance(t, pa.ExtensionType):
            t = t.storage_type
        if pa.types.is_struct(t):
            out.update(arrow_field_ids([t.field(i) for i in range(t.num_fields)], path + "."))
        elif pa.types.is_map(t):
            out.update(arrow_field_ids([t.key_field, t.item_field], path + "."))
        elif pa.types.is_list(t) or pa.types.is_large_list(t):
            out.update(arrow_field_ids([t.value_field], path + "."))
    return out


def section(fn):
    try:
        return fn()
    except Exception:  # noqa: BLE001 - reported to the test
        return {"error": traceback.format_exc()}


def read_pyarrow(path, schema, summary):
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    md = pf.metadata
    row_groups = []
    for r in range(md.num_row_groups):
        rg = md.row_group(r)
        cols = []
        for c in range(rg.num_columns):
            col = rg.column(c)
            st = col.statistics
            cols.append(
                {
                    "path": col.path_in_schema,
                    "physical_type": col.physical_type,
                    "compression": col.compression,
                    "num_values": col.num_values,
                    "null_count": st.null_count if st is not None and st.has_null_count else None,
                    "has_min_max": bool(st is not None and st.has_min_max),
                    "total_compressed_size": col.total_compressed_size,
                    "data_page_offset": col.data_page_offset,
                    "dictionary_page_offset": col.dictionary_page_offset if col.has_dictionary_page else None,
                    "encodings": sorted(col.encodings),
                }
            )
        row_groups.append({"num_rows": rg.num_rows, "columns": cols})
    parquet_schema = pf.schema
    logical = {}
    for i in range(len(parquet_schema)):
        col = parquet_schema.column(i)
        logical[col.path] = {"physical": col.physical_type, "logical": str(col.logical_type)}
    table = pq.read_table(path)
    return {
        "num_rows": md.num_rows,
        "field_ids": arrow_field_ids(table.schema),
        "arrow_types": {f.name: str(f.type) for f in table.schema},
        "columns": logical,
        "row_groups": row_groups,
        "rows": None if summary else canon_rows(schema, table.to_pylist()),
    }


def read_pyiceberg(path, schema_json):
    import pyarrow.parquet as pq
    from pyiceberg.io.pyarrow import (
        compute_statistics_plan,
        data_file_statistics_from_parquet_metadata,
        parquet_path_to_id_mapping,
        pyarrow_to_schema,
    )
    from pyiceberg.schema import Schema

    file_schema = pyarrow_to_schema(pq.read_schema(path))
    table_schema = Schema.model_validate_json(schema_json)
    stats = data_file_statistics_from_parquet_metadata(
        parquet_metadata=pq.ParquetFile(path).metadata,
        stats_columns=compute_statistics_plan(table_schema, {}),
        parquet_column_mapping=parquet_path_to_id_mapping(table_schema),
    ).to_serialized_dict()
    hexmap = lambda m: {str(k): v.hex() for k, v in m.items()}  # noqa: E731
    intmap = lambda m: {str(k): v for k, v in m.items()}  # noqa: E731
    return {
        "file_schema": json.loads(file_schema.model_dump_json()),
        "stats": {
            "record_count": stats["record_count"],
            "column_sizes": intmap(stats["column_sizes"]),
            "value_counts": intmap(stats["value_counts"]),
            "null_value_counts": intmap(stats["null_value_counts"]),
            "lower_bounds": hexmap(stats["lower_bounds"]),
            "upper_bounds": hexmap(stats["upper_bounds"]),
            "split_offsets": stats["split_offsets"],
        },
    }


def read_duckdb(path, schema, summary):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = None
    if not summary:
        cur = con.execute("SELECT * FROM read_parquet(?)", [path])
        names = [d[0] for d in cur.description]
        rows = canon_rows(schema, [dict(zip(names, r)) for r in cur.fetchall()])
    elements = con.execute(
        "SELECT name, num_children, field_id FROM parquet_schema(?)", [path]
    ).fetchall()
    # Rebuild dotted paths of the Parquet schema from its depth-first element list.
    field_ids = {}
    it = iter(elements[1:])

    def walk(prefix, count):
        for _ in range(count):
            name, children, field_id = next(it)
            p = prefix + name
            field_ids[p] = field_id
            walk(p + ".", children or 0)

    walk("", elements[0][1])
    count = con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0]
    return {"num_rows": count, "field_ids": field_ids, "rows": rows}


def main():
    path, schema_path = sys.argv[1], sys.argv[2]
    summary = "--summary" in sys.argv[3:]
    with open(schema_path) as f:
        schema_json = f.read()
    schema = json.loads(schema_json)
    out = {
        "pyarrow": section(lambda: read_pyarrow(path, schema, summary)),
        "pyiceberg": section(lambda: read_pyiceberg(path, schema_json)),
        "duckdb": section(lambda: read_duckdb(path, schema, summary)),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
