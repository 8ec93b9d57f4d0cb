"""Creates the Connect sink's target table up front in its JDBC (sqlite) catalog, with pyiceberg.

The sink can auto-create tables, but with more than one task every task races to create the same
table and the losers die on sqlite's write lock (SQLITE_BUSY_SNAPSHOT); creating it first is also
what a production deployment does. The schema is the Floe table's, given as an Avro schema with
Iceberg field ids (agent/src/decode avroSchemaFor), so both writers produce the same columns.

usage: python create_table.py CATALOG_DB WAREHOUSE NAMESPACE TABLE AVRO_SCHEMA_FILE
S3 settings come from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION (test/rig/rig.env).
"""
import json
import os
import sys

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.utils.schema_conversion import AvroSchemaConversion


def main(argv: list[str]) -> int:
    catalog_db, warehouse, namespace, table, schema_file = argv
    with open(schema_file, encoding="utf-8") as f:
        schema = AvroSchemaConversion().avro_to_iceberg(json.load(f))
    # The Java sink's catalog is named "iceberg" (its default); rows must carry the same name.
    catalog = SqlCatalog(
        "iceberg",
        uri=f"sqlite:///{catalog_db}",
        warehouse=warehouse,
        **{
            "s3.endpoint": os.environ["S3_ENDPOINT"],
            "s3.access-key-id": os.environ["S3_ACCESS_KEY"],
            "s3.secret-access-key": os.environ["S3_SECRET_KEY"],
            "s3.region": os.environ["S3_REGION"],
        },
    )
    catalog.create_namespace_if_not_exists(namespace)
    t = catalog.create_table(f"{namespace}.{table}", schema=schema)
    print(t.metadata_location)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
