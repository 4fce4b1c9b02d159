"""Template deployments from the SDK: read a template and its parameters, deploy or preview it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlyard.core.errors import ValidationError
from mlyard.sdk.client import Client, seg, workspace_path


def _path(subscription_id: str, resource_group: str, name: str | None = None) -> str:
    path = workspace_path(subscription_id, resource_group) + "/deployments"
    return path + f"/{seg(name)}" if name is not None else path


def load_document(file: str | Path, what: str) -> dict[str, Any]:
    """A JSON or YAML file as a dict, with an error that names the file and the line."""
    path = Path(file).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"Cannot read the {what} '{path}': {exc.strerror or exc}.", target=str(path)) from None
    try:
        data = yaml.safe_load(text)  # YAML 1.2 reads JSON too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ValidationError(f"The {what} '{path}' is not valid JSON or YAML{where}.", target=str(path)) from None
    if not isinstance(data, dict):
        raise ValidationError(f"The {what} '{path}' must hold an object at its top.", target=str(path))
    return data


def parameters_from_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Azure's parameter file (``{"parameters": {"x": {"value": 1}}}``) or a flat ``{"x": 1}``."""
    inner = doc.get("parameters")
    if isinstance(inner, dict) and (
        "$schema" in doc
        or "contentVersion" in doc
        or all(isinstance(v, dict) and ("value" in v or "reference" in v) for v in inner.values())
    ):
        out: dict[str, Any] = {}
        for key, entry in inner.items():
            if not isinstance(entry, dict) or "value" not in entry:
                raise ValidationError(
                    f"Parameter '{key}' in the parameter file has no 'value' (Key Vault references are not supported).",
                    target=key,
                )
            out[key] = entry["value"]
        return out
    return {k: v for k, v in doc.items() if k not in ("$schema", "contentVersion")}


def parse_parameter_args(values: list[str]) -> dict[str, Any]:
    """``["a=1", "@params.json", "b=two words"]`` → one dict; later values win, as in the Azure CLI."""
    out: dict[str, Any] = {}
    for value in values:
        if value.startswith("@"):
            out.update(parameters_from_document(load_document(value[1:], "parameter file")))
            continue
        tokens = value.split()
        pairs = tokens if len(tokens) > 1 and all("=" in t for t in tokens) else [value]
        for pair in pairs:
            key, sep, text = pair.partition("=")
            if not sep or not key.strip():
                raise ValidationError(
                    f"Parameter '{pair}' is not of the form name=value or @file.json.", target="parameters"
                )
            out[key.strip()] = text
    return out


def deploy(
    client: Client,
    subscription_id: str,
    resource_group: str,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = {"template": template, "parameters": parameters or {}}
    result: dict[str, Any] = client.put(_path(subscription_id, resource_group, name), json=body)
    return result


def what_if(
    client: Client,
    subscription_id: str,
    resource_group: str,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = {"template": template, "parameters": parameters or {}}
    result: dict[str, Any] = client.post(_path(subscription_id, resource_group, name) + "/whatIf", json=body)
    return result


def list_deployments(client: Client, subscription_id: str, resource_group: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = client.get(_path(subscription_id, resource_group))
    return result


def get_deployment(client: Client, subscription_id: str, resource_group: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = client.get(_path(subscription_id, resource_group, name))
    return result
