"""``mlyard gc``: purge the runs and experiments deleted longer ago than the retention window.

Like ``mlyard db upgrade`` it works on the server's own database and blob store, found from the
same settings (``MLYARD_HOME``, ``MLYARD_DATABASE_URL``, ``MLYARD_STORAGE_URL``), not through
the API: run it where the server runs (from cron, say). The server may keep serving meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.cli.server import _settings

COLUMNS: Columns = (
    ("deletedBefore", "Deleted before"),
    ("experiments", "Experiments"),
    ("runs", "Runs"),
    ("metricPoints", "Metric points"),
    ("metricChunks", "Metric chunks"),
    ("jsonMetrics", "Tables and images"),
    ("files", "Files"),
    ("bytes", "Bytes"),
)


def gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would be removed.")] = False,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            help="Purge what was deleted more than DAYS days ago (default: MLYARD_RETENTION_DAYS, 30).",
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
    database_url: Annotated[str | None, typer.Option(help="sqlite:///… or postgresql+psycopg://…")] = None,
    storage_url: Annotated[str | None, typer.Option(help="file:///… or s3://bucket/prefix")] = None,
    home: Annotated[Path | None, typer.Option(help="State folder (default MLYARD_HOME or ~/.mlyard).")] = None,
) -> None:
    """Purge deleted runs and experiments (with their metrics and files) older than the retention window."""
    if older_than is not None and older_than < 0:
        fail(f"--older-than takes a number of days, 0 or more ({older_than} given).", 2)
    from mlyard.services import retention
    from mlyard.services.platform import build_platform

    settings = _settings(database_url=database_url, storage_url=storage_url, home=home)
    _check_database(settings)
    platform = build_platform(settings)
    try:
        report = retention.collect(platform, older_than=older_than, dry_run=dry_run)
    finally:
        platform.db.dispose()
    data = _as_json(report)
    render(data, output, COLUMNS, title="Would remove (dry run)" if dry_run else "Removed")
    if dry_run:
        note("Dry run: nothing was removed.")
    for failure in report.failures:
        note(f"[yellow]kept run {failure.run_id}:[/yellow] {failure.message}")
    if report.failures:
        fail(f"{len(report.failures)} run(s) could not be removed; 'mlyard gc' tries them again.")


def _check_database(settings: Any) -> None:
    """Refuse a missing or outdated database before touching anything (and never create one)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from mlyard.store import migrate
    from mlyard.store.database import Database

    if settings.is_sqlite:
        path = make_url(settings.database_url).database
        if not path or not Path(path).is_file():
            fail(f"No mlyard database at {path}: nothing to collect (is MLYARD_HOME or --home right?).")
    db = Database(settings.database_url)
    try:
        current, head = migrate.current_revision(db.engine), migrate.head_revision(db.engine)
    except OperationalError as exc:
        fail(f"Database {db.display_url} is not usable: {' '.join(str(exc.orig or exc).split())}")
    finally:
        db.dispose()
    if current != head:
        fail(f"Database {db.display_url} is at revision {current or 'none'}, not {head}: run 'mlyard db upgrade'.")


def _as_json(report: Any) -> dict[str, Any]:
    return {
        "dryRun": report.dry_run,
        "deletedBefore": report.cutoff.isoformat(),
        "experiments": report.experiments,
        "runs": report.runs,
        "metricPoints": report.metric_points,
        "metricChunks": report.metric_chunks,
        "jsonMetrics": report.json_metrics,
        "files": report.files,
        "bytes": report.file_bytes,
        "failures": [{"runId": f.run_id, "workspaceId": f.workspace_id, "message": f.message} for f in report.failures],
    }
