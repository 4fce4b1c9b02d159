"""``mlyard login``, ``mlyard logout`` and ``mlyard whoami``: who the CLI and SDK act as.

A login saves a token in ``MLYARD_HOME/credentials`` under its endpoint, with the token's id
so that ``logout`` can revoke it on the server.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mlyard.cli.context import Context
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.core.errors import MlyardError
from mlyard.sdk import authentication as auth
from mlyard.sdk.client import Client
from mlyard.sdk.config import (
    credentials_path,
    load_credentials,
    remove_credentials,
    save_credentials,
    write_json_private,
)

CLI_TOKEN_NAME = "cli-login"
WHOAMI_COLUMNS: Columns = (
    ("name", "user"),
    ("displayName", "display name"),
    ("type", "type"),
    ("authMethod", "signed in with"),
    ("endpoint", "endpoint"),
)

EndpointOption = Annotated[
    str | None,
    typer.Option("--endpoint", help="Server URL (default: config.json's, MLYARD_ENDPOINT or the last login)."),
]


def _endpoint(explicit: str | None) -> str:
    if explicit is not None and not explicit.startswith(("http://", "https://")):
        fail(f"--endpoint must be an http(s) URL such as http://127.0.0.1:8765, not '{explicit}'.", 2)
    return explicit.rstrip("/") if explicit else Context.load().endpoint


def _remember_token_id(endpoint: str, token_id: str) -> None:
    data = load_credentials()
    entry = data["endpoints"].get(endpoint)
    if isinstance(entry, dict):
        entry["token_id"] = token_id
        write_json_private(credentials_path(), data)


def login(
    endpoint: EndpointOption = None,
    username: Annotated[str | None, typer.Option("--username", "-u", help="Your user name.")] = None,
    password: Annotated[str | None, typer.Option("--password", "-p", help="Your password (asked if missing).")] = None,
    token: Annotated[str | None, typer.Option("--token", help="Sign in with an access token instead.")] = None,
) -> None:
    """Sign in to an mlyard server and save the token for the SDK and CLI."""
    url = _endpoint(endpoint)
    if token is not None:
        if password is not None:
            fail("Pass either --password or --token, not both.", 2)
        client = Client(url, token)
        try:
            me = auth.whoami(client)
        finally:
            client.close()
        file = save_credentials(url, str(me["name"]), token)
        if isinstance(me.get("tokenId"), str):
            _remember_token_id(url, me["tokenId"])
    else:
        user = username or typer.prompt(f"Username for {url}")
        secret = password if password is not None else typer.prompt(f"Password for {user}", hide_input=True)
        answer = auth.login(url, user, secret, token_name=CLI_TOKEN_NAME)
        file = save_credentials(url, user, str(answer["token"]))
        _remember_token_id(url, str(answer["id"]))
        me = {"name": user}
    note(f"Logged in to {url} as {me['name']} (credentials saved in {file}).")


def logout(endpoint: EndpointOption = None) -> None:
    """Forget the saved token of an endpoint, revoking it on the server when it answers."""
    url = _endpoint(endpoint)
    entry = load_credentials()["endpoints"].get(url)
    if not isinstance(entry, dict):
        note(f"Not logged in to {url}: nothing to do.")
        return
    outcome = _revoke(url, entry)
    remove_credentials(url)
    note(f"Logged out of {url}; {outcome}.")


def _revoke(url: str, entry: dict[str, Any]) -> str:
    token = entry.get("token")
    if not isinstance(token, str):
        return "there was no token to revoke"
    client = Client(url, token)
    try:
        token_id = entry.get("token_id")
        if not isinstance(token_id, str):
            token_id = auth.whoami(client).get("tokenId")
        if not isinstance(token_id, str):
            return (
                "the token was not revoked, since the server does not say which one it is "
                "(log in again and revoke it with 'mlyard token revoke ID', or let it expire)"
            )
        auth.revoke_token(client, token_id)
    except MlyardError as exc:
        return f"the token was not revoked on the server ({exc.message})"
    finally:
        client.close()
    return "the token was revoked on the server"


def whoami(output: OutputOption = OutputFormat.TABLE) -> None:
    """Show who the CLI acts as, on which server."""
    ctx = Context.load()
    me = dict(auth.whoami(ctx.client))
    me["endpoint"] = ctx.client.endpoint
    render(me, output, WHOAMI_COLUMNS)
