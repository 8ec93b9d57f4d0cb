"""pyiceberg as an independent reader for the maintenance tests, kept running between requests.

One JSON request per stdin line, one JSON answer per stdout line:
  {"op": "scan", "metadata": "<uri of vN.metadata.json>", "columns": ["a", "b"]}
      -> {"rows": [[a, b], ...], "files": <planned data files>}   timestamps as integer microseconds
  {"op": "inspect", "metadata": ...}
      -> {"snapshots": <count>, "current": "<id>", "files": [<live data file paths>],
          "summary": {<current snapshot summary>}}
Errors answer {"error": "<message>"} and the process keeps serving.
"""

import json
import sys
import traceback

import pyarrow as pa
from pyiceberg.table import StaticTable


def scan(req):
    tbl = StaticTable.from_metadata(req["metadata"])
    s = tbl.scan(selected_fields=tuple(req["columns"]))
    files = len(list(s.plan_files()))
    t = s.to_arrow()
    cols = []
    for name in req["columns"]:
        col = t[name]
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        cols.append(col.to_pylist())
    rows = [list(r) for r in zip(*cols)] if cols else []
    return {"rows": rows, "files": files}


def inspect(req):
    tbl = StaticTable.from_metadata(req["metadata"])
    md = tbl.metadata
    snap = tbl.current_snapshot()
    files = [f["file_path"] for f in tbl.inspect.files().to_pylist()]
    summary = {}
    if snap is not None:
        summary = {k: str(v) for k, v in snap.summary.additional_properties.items()}
        summary["operation"] = snap.summary.operation.value
    return {
        "snapshots": len(md.snapshots),
        "current": None if md.current_snapshot_id is None else str(md.current_snapshot_id),
        "files": files,
        "summary": summary,
    }


def main():
    ops = {"scan": scan, "inspect": inspect}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            out = ops[req["op"]](req)
        except Exception as e:  # the test prints it
            out = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:]}
        sys.stdout.write(json.dumps(out, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
