"""Small tables written by pyiceberg / deltalake themselves, to test the readers helpers.

    fixtures.py iceberg <warehouse> <namespace.table>   prints the table's metadata location
    fixtures.py delta <path>                             prints the table path

<warehouse>/<path>: local path, file:// URI or s3://bucket/prefix (MinIO settings from S3_*).
The Iceberg table goes through a schema change (rename, add column) and a delete, so a reader
that matches columns by name or ignores deletes gets it wrong. Expected rows live in
readers.test.ts, written out by hand in the canonical encoding.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import shutil
import sys
import tempfile
import uuid

import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import delta_storage_options, normalize_location, pyiceberg_properties  # noqa: E402

UTC = dt.timezone.utc


def make_iceberg(warehouse: str, identifier: str) -> None:
    from pyiceberg.schema import Schema
    from pyiceberg.types import (
        BinaryType, BooleanType, DateType, DecimalType, DoubleType, FloatType, IntegerType, ListType,
        LongType, MapType, NestedField, StringType, StructType, TimestamptzType, UUIDType,
    )

    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "name", StringType()),
        NestedField(3, "amount", DecimalType(10, 2)),
        NestedField(4, "ts", TimestamptzType()),
        NestedField(5, "day", DateType()),
        NestedField(6, "flag", BooleanType()),
        NestedField(7, "payload", BinaryType()),
        NestedField(8, "u", UUIDType()),
        NestedField(9, "tags", ListType(10, StringType(), element_required=False)),
        NestedField(11, "attrs", MapType(12, StringType(), 13, IntegerType(), value_required=False)),
        NestedField(14, "point", StructType(NestedField(15, "x", DoubleType()), NestedField(16, "y", DoubleType()))),
        NestedField(17, "f", FloatType()),
    )
    # The catalog is a throwaway sqlite file; readers only ever see the metadata files.
    catalog_dir = tempfile.mkdtemp(prefix="floe-fixture-")
    try:
        _make_iceberg(warehouse, identifier, schema, os.path.join(catalog_dir, "catalog.db"))
    finally:
        shutil.rmtree(catalog_dir, ignore_errors=True)


def _make_iceberg(warehouse: str, identifier: str, schema, catalog_db: str) -> None:
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.expressions import EqualTo
    from pyiceberg.types import IntegerType

    catalog = SqlCatalog(
        "fixture", uri=f"sqlite:///{catalog_db}", warehouse=normalize_location(warehouse), **pyiceberg_properties()
    )
    namespace, _ = identifier.split(".", 1)
    catalog.create_namespace_if_not_exists(namespace)
    table = catalog.create_table(identifier, schema=schema, properties={"format-version": "2"})

    arrow_schema = table.schema().as_arrow()
    rows = [
        {
            "id": 1, "name": "alpha", "amount": decimal.Decimal("12.30"),
            "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), "day": dt.date(2024, 1, 2),
            "flag": True, "payload": b"\x00\x01\xff", "u": uuid.UUID("12345678-1234-5678-1234-567812345678").bytes,
            "tags": ["a", "b"], "attrs": [("k2", 2), ("k1", 1)], "point": {"x": 1.5, "y": -2.0}, "f": 0.1,
        },
        {
            "id": 2, "name": "beta", "amount": decimal.Decimal("-0.05"),
            "ts": dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC), "day": dt.date(1969, 12, 31),
            "flag": False, "payload": b"", "u": None, "tags": [], "attrs": [], "point": None, "f": None,
        },
        {
            "id": 9007199254740993, "name": None, "amount": None, "ts": None, "day": None, "flag": None,
            "payload": None, "u": None, "tags": None, "attrs": None, "point": {"x": None, "y": 3.25}, "f": 2.5,
        },
    ]
    table.append(pa.Table.from_pylist(rows, schema=arrow_schema))

    # Schema change: rename name -> title, add `extra`. Old files keep the physical name "name".
    with table.update_schema() as update:
        update.rename_column("name", "title")
        update.add_column("extra", IntegerType())
    table = catalog.load_table(identifier)
    more = [{
        "id": 4, "title": "delta", "amount": decimal.Decimal("99999999.99"),
        "ts": dt.datetime(2030, 6, 1, tzinfo=UTC), "day": dt.date(2030, 6, 1), "flag": True,
        "payload": b"hi", "u": uuid.UUID("00000000-0000-0000-0000-000000000001").bytes,
        "tags": [None, "z"], "attrs": [("only", None)], "point": {"x": 0.0, "y": 0.0}, "f": -1.0, "extra": 7,
    }]
    table.append(pa.Table.from_pylist(more, schema=table.schema().as_arrow()))
    table.delete(EqualTo("id", 2))
    print(catalog.load_table(identifier).metadata_location)


def make_delta(path: str) -> None:
    from deltalake import write_deltalake

    uri = normalize_location(path)
    target = uri[len("file://"):] if uri.startswith("file://") else uri
    data = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "name": pa.array(["a", None, "c"]),
        "ts": pa.array([0, 1_700_000_000_000_000, None], pa.timestamp("us", tz="UTC")),
        "amount": pa.array([decimal.Decimal("1.10"), None, decimal.Decimal("-3.00")], pa.decimal128(9, 2)),
    })
    write_deltalake(target, data, storage_options=delta_storage_options(uri))
    write_deltalake(target, data.slice(0, 1), mode="append", storage_options=delta_storage_options(uri))
    print(target)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "iceberg":
        make_iceberg(sys.argv[2], sys.argv[3])
    elif kind == "delta":
        make_delta(sys.argv[2])
    else:
        raise SystemExit(__doc__)
