"""``mlyard run compare RUN RUN ...``: parameters and final metrics side by side.

Rows are the parameters (``params.*``) then the latest metric values (``metrics.*``); columns are
the runs, in the order given. A row whose values differ between runs is highlighted, since that
is what a comparison is read for. All runs come back in one search request.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from rich.markup import escape
from rich.table import Table

from mlyard.cli.output import OutputFormat, console, fail
from mlyard.sdk.run_search import search_records
from mlyard.sdk.workspace import Workspace

MAX_RUNS = 50


def _metric_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def comparison(ws: Workspace, run_ids: list[str]) -> dict[str, Any]:
    """The runs (as given), and one row per parameter then per metric with each run's value."""
    wanted = list(dict.fromkeys(run_ids))
    if not 2 <= len(wanted) <= MAX_RUNS:
        fail(f"Compare 2 to {MAX_RUNS} different runs ({len(wanted)} given).", code=2)
    quoted = ", ".join("'" + r.replace("\\", "\\\\").replace("'", "\\'") + "'" for r in wanted)
    found = {d["runId"]: d for d in search_records(ws, filter=f"attributes.run_id IN ({quoted})")}
    missing = [r for r in wanted if r not in found]
    if missing:
        fail(f"Run(s) not found in workspace '{ws.name}': {', '.join(missing)} (list runs with 'mlyard run list').")
    records = [found[r] for r in wanted]
    rows: list[dict[str, Any]] = []
    params: list[Mapping[str, Any]] = [dict(d["params"]) for d in records]
    metrics: list[Mapping[str, Any]] = [{m["name"]: m["value"] for m in d["metrics"]} for d in records]
    for kind, per_run in (("params", params), ("metrics", metrics)):
        for key in sorted({k for values in per_run for k in values}):
            values = {d["runId"]: v.get(key) for d, v in zip(records, per_run, strict=True)}
            rows.append(
                {
                    "kind": kind,
                    "key": key,
                    "values": values,
                    "differs": len({json.dumps(v) for v in values.values()}) > 1,
                }
            )
    runs = [
        {"runId": d["runId"], "displayName": d.get("displayName"), "experimentName": d["experimentName"],
         "runNumber": d["runNumber"], "status": d["status"]}
        for d in records
    ]  # fmt: skip
    return {"runs": runs, "rows": rows}


def render_comparison(data: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is not OutputFormat.TABLE:
        if fmt is OutputFormat.JSON:
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            import yaml

            sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return
    table = Table(caption="Rows in yellow differ between runs.")
    table.add_column("")
    for r in data["runs"]:
        name = r["displayName"] or f"{r['experimentName']} #{r['runNumber']}"
        table.add_column(f"{escape(name)}\n{r['runId'][:8]}", overflow="fold")
    for row in data["rows"]:
        cells = [escape(_metric_text(row["values"][r["runId"]])) for r in data["runs"]]
        table.add_row(f"{row['kind']}.{escape(row['key'])}", *cells, style="bold yellow" if row["differs"] else None)
    console.print(table)
