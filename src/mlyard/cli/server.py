"""``mlyard up``, ``mlyard server`` and ``mlyard db upgrade``: the commands that run the server."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel

from mlyard.core.settings import DEFAULT_PORT

console = Console()
err = Console(stderr=True)


def _settings(**overrides: Any) -> Any:
    from pydantic import ValidationError as PydanticValidationError

    from mlyard.core.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        err.print(f"[red]Invalid setting {where}:[/red] {first.get('msg')}")
        raise typer.Exit(2) from None


def _prepare(settings: Any, create_defaults: bool) -> Any:
    from mlyard.core.errors import MlyardError
    from mlyard.server.runner import prepare

    try:
        return prepare(settings, create_defaults=create_defaults)
    except MlyardError as exc:
        err.print(f"[red]Cannot start:[/red] {exc.message}")
        raise typer.Exit(1) from None


def _collect_later() -> None:
    """No garbage collection while the server's modules load: the collector would scan the
    new objects again and again (0.2 s of a 1.3 s start here), and they live as long as the
    process. ``runner.serve`` freezes them and turns it back on once the app is built."""
    gc.disable()


def up(
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1 only).")] = DEFAULT_PORT,
    home: Annotated[Path | None, typer.Option(help="State folder (default MLYARD_HOME or ~/.mlyard).")] = None,
) -> None:
    """Run mlyard on this machine: SQLite and a local folder, a first admin, a default workspace."""
    _collect_later()
    from mlyard.sdk.config import WorkspaceConfig, save_credentials, write_json_private
    from mlyard.server.runner import serve
    from mlyard.services import bootstrap as boot
    from mlyard.services import identity

    settings = _settings(port=port, home=home, host="127.0.0.1")
    prepared = _prepare(settings, create_defaults=True)
    endpoint = f"http://127.0.0.1:{settings.port}"
    result = prepared.bootstrap
    if result.admin is not None:
        _, token = identity.create_token(prepared.platform.db, result.admin.id, "mlyard-up", settings.token_ttl_days)
        cred = save_credentials(
            endpoint,
            result.admin.name,
            token,
            password=result.admin_password if result.password_generated else None,
        )
        config = WorkspaceConfig(
            boot.DEFAULT_SUBSCRIPTION, boot.DEFAULT_RESOURCE_GROUP, boot.DEFAULT_WORKSPACE, endpoint
        )
        write_json_private(settings.config_path, config.to_json())
        lines = [f"Created user [bold]{boot.ADMIN_USERNAME}[/bold]"]
        if result.password_generated:
            lines.append(f"  password: [bold]{result.admin_password}[/bold]  (shown once; also kept in {cred})")
        else:
            lines.append("  password: from MLYARD_ADMIN_PASSWORD")
        lines.append(
            f"Created workspace [bold]{boot.DEFAULT_WORKSPACE}[/bold] in resource group "
            f"'{boot.DEFAULT_RESOURCE_GROUP}' of subscription '{boot.DEFAULT_SUBSCRIPTION}'"
        )
        console.print("\n".join(lines))
    else:
        from mlyard.sdk.config import credentials_path

        # A restart on another port: keep the saved token, point it at the new address.
        _retarget_credentials(credentials_path(), settings.config_path, endpoint)
    console.print(
        Panel.fit(
            "\n".join(
                [
                    f"mlyard {_version()} listening on [bold]{endpoint}[/bold]  (API docs: {endpoint}/api/v1/docs)",
                    f"state:       {settings.home}",
                    f"database:    {prepared.platform.db.display_url}",
                    f"blob store:  {prepared.platform.blobs.url}",
                    f"credentials: {settings.credentials_path}   config: {settings.config_path}",
                    "SDK:  from mlyard import Workspace; ws = Workspace.from_config()",
                    "CLI:  mlyard workspace list",
                    "Stop: press Ctrl+C (or send SIGTERM)",
                ]
            ),
            title="mlyard up",
        )
    )
    serve(settings, prepared.platform)


def _retarget_credentials(cred_file: Path, config_file: Path, endpoint: str) -> None:
    import json

    from mlyard.sdk.config import write_json_private

    try:
        creds = json.loads(cred_file.read_text())
        config = json.loads(config_file.read_text())
    except (OSError, ValueError):
        return
    old = config.get("endpoint")
    if not old or old == endpoint or old not in creds.get("endpoints", {}):
        return
    creds["endpoints"][endpoint] = creds["endpoints"][old]
    creds["default_endpoint"] = endpoint
    config["endpoint"] = endpoint
    write_json_private(cred_file, creds)
    write_json_private(config_file, config)


def _version() -> str:
    import mlyard

    return mlyard.__version__


def server(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    database_url: Annotated[str | None, typer.Option(help="sqlite:///… or postgresql+psycopg://…")] = None,
    storage_url: Annotated[str | None, typer.Option(help="file:///… or s3://bucket/prefix")] = None,
    home: Annotated[Path | None, typer.Option(help="State folder (default MLYARD_HOME or ~/.mlyard).")] = None,
) -> None:
    """Run the mlyard server with explicit settings (flags or MLYARD_* variables)."""
    _collect_later()
    from mlyard.server.runner import serve

    settings = _settings(host=host, port=port, database_url=database_url, storage_url=storage_url, home=home)
    prepared = _prepare(settings, create_defaults=False)
    result = prepared.bootstrap
    if result.admin is not None and result.password_generated:
        from mlyard.sdk.config import write_json_private

        write_json_private(
            settings.credentials_path.with_name("admin-password"),
            {"username": result.admin.name, "password": result.admin_password},
        )
        console.print(f"Created user admin with password [bold]{result.admin_password}[/bold] (shown once)")
    console.print(
        f"mlyard {_version()} on http://{settings.host}:{settings.port}  database: {prepared.platform.db.display_url}"
        f"  blob store: {prepared.platform.blobs.url}"
    )
    serve(settings, prepared.platform)


db_app = typer.Typer(help="The metadata store's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    database_url: Annotated[str | None, typer.Option(help="sqlite:///… or postgresql+psycopg://…")] = None,
    home: Annotated[Path | None, typer.Option(help="State folder (default MLYARD_HOME or ~/.mlyard).")] = None,
) -> None:
    """Upgrade the database schema to the newest revision (Alembic)."""
    from mlyard.core.errors import MlyardError
    from mlyard.store import migrate
    from mlyard.store.database import Database

    settings = _settings(database_url=database_url, home=home)
    try:
        db = Database(settings.database_url)
        before, after = migrate.upgrade_or_explain(db.write_engine, db.display_url)
    except MlyardError as exc:
        err.print(f"[red]Cannot upgrade:[/red] {exc.message}")
        raise typer.Exit(1) from None
    db.dispose()
    if before == after:
        console.print(f"{db.display_url}: already at revision {after}")
    else:
        console.print(f"{db.display_url}: upgraded from {before or 'empty'} to {after}")
