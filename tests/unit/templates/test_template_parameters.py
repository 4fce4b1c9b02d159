"""Parameters: conversion from strings, defaults, bounds, errors, parameter files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import load_parameters_file, parse_template, resolve_parameters

SUB = {"subscriptionId": "sub1", "displayName": "Sub One"}
RG = {"name": "rg1", "location": "northeurope"}


def template(parameters: dict[str, Any]) -> Any:
    return parse_template({"parameters": parameters, "resources": []})


def resolve(parameters: dict[str, Any], supplied: dict[str, Any]) -> dict[str, Any]:
    return resolve_parameters(template(parameters), supplied, subscription=SUB, resource_group=RG)


def failure(parameters: dict[str, Any], supplied: dict[str, Any]) -> InvalidTemplate:
    with pytest.raises(InvalidTemplate) as info:
        resolve(parameters, supplied)
    return info.value


ALL_TYPES = {
    "s": {"type": "string"},
    "n": {"type": "int"},
    "b": {"type": "Bool"},
    "a": {"type": "array"},
    "o": {"type": "object"},
    "secret": {"type": "secureString"},
    "sobj": {"type": "secureObject"},
}


def test_strings_are_converted_by_declared_type() -> None:
    supplied = {"s": "x", "n": "-12", "b": "TRUE", "a": "[1, 2]", "o": '{"k": "v"}', "secret": "pw", "sobj": "{}"}
    assert resolve(ALL_TYPES, supplied) == {
        "s": "x",
        "n": -12,
        "b": True,
        "a": [1, 2],
        "o": {"k": "v"},
        "secret": "pw",
        "sobj": {},
    }


def test_typed_values_pass_through() -> None:
    supplied = {"s": "x", "n": 3, "b": False, "a": ["z"], "o": {"k": 1}, "secret": "pw", "sobj": {"a": "b"}}
    assert resolve(ALL_TYPES, supplied) == supplied


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("n", "twelve", "parameter 'n': expects an integer (int), got string 'twelve'"),
        ("n", "1.5", "expects an integer"),
        ("n", True, "expects an integer (int), got bool"),
        ("b", "yes", "parameter 'b': expects true or false (bool), got string 'yes'"),
        ("a", "[1, ", "parameter 'a': expects a JSON array; string '[1, ' is not valid JSON"),
        ("a", '{"k": 1}', "expects a JSON array (array), got string"),
        ("o", "[1]", "expects a JSON object (object)"),
        ("s", 5, "parameter 's': expects a string (string), got int 5"),
    ],
)
def test_values_that_do_not_convert(name: str, value: Any, problem: str) -> None:
    error = failure({name: ALL_TYPES[name]}, {name: value})
    assert problem in error.message
    assert error.target == f"parameters.{name}"


def test_missing_parameters_are_named() -> None:
    error = failure({"a": {"type": "string"}, "b": {"type": "int"}, "c": {"type": "int", "defaultValue": 1}}, {})
    assert "missing values for parameters 'a' (string), 'b' (int)" in error.message
    error = failure({"a": {"type": "string"}}, {})
    assert error.message.startswith("missing value for parameter 'a' (string): supply it")


def test_unknown_parameter_lists_the_declared_ones() -> None:
    error = failure({"alpha": {"type": "string"}, "beta": {"type": "int"}}, {"alpha": "x", "gamma": "1"})
    assert error.message == "unknown parameter 'gamma'; the template declares: alpha, beta"
    assert "the template declares: (none)" in failure({}, {"x": 1}).message


def test_allowed_values() -> None:
    spec = {"env": {"type": "string", "allowedValues": ["dev", "test", "prod"]}}
    assert resolve(spec, {"env": "test"}) == {"env": "test"}
    error = failure(spec, {"env": "staging"})
    assert error.message == "parameter 'env': string 'staging' is not allowed; allowed values: 'dev', 'test', 'prod'"
    assert resolve({"n": {"type": "int", "allowedValues": [1, 2]}}, {"n": "2"}) == {"n": 2}


@pytest.mark.parametrize(
    ("spec", "value", "problem"),
    [
        ({"type": "string", "minLength": 3}, "ab", "must have at least 3 characters, got 2"),
        ({"type": "string", "maxLength": 3}, "abcd", "must have at most 3 characters, got 4"),
        ({"type": "array", "minLength": 2}, "[1]", "must have at least 2 items, got 1"),
        ({"type": "array", "maxLength": 1}, [1, 2], "must have at most 1 items, got 2"),
        ({"type": "int", "minValue": 1}, "0", "must be at least 1, got 0"),
        ({"type": "int", "maxValue": 10}, 11, "must be at most 10, got 11"),
    ],
)
def test_bounds(spec: dict[str, Any], value: Any, problem: str) -> None:
    assert problem in failure({"p": spec}, {"p": value}).message


def test_bounds_that_hold() -> None:
    spec = {"p": {"type": "string", "minLength": 1, "maxLength": 3}, "n": {"type": "int", "minValue": 0, "maxValue": 5}}
    assert resolve(spec, {"p": "abc", "n": "5"}) == {"p": "abc", "n": 5}


def test_defaults_including_expressions_and_other_parameters() -> None:
    spec = {
        "prefix": {"type": "string", "defaultValue": "ml"},
        "name": {"type": "string", "defaultValue": "[concat(parameters('prefix'), '-ws')]"},
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        "count": {"type": "int", "defaultValue": 2},
        "stamp": {"type": "string", "defaultValue": "[utcNow('yyyy')]"},
    }
    values = resolve(spec, {"prefix": "x"})
    assert values["name"] == "x-ws"
    assert values["location"] == "northeurope"
    assert values["count"] == 2
    assert len(values["stamp"]) == 4


def test_supplied_names_ignore_case() -> None:
    assert resolve({"WorkspaceName": {"type": "string"}}, {"workspacename": "w"}) == {"WorkspaceName": "w"}


def test_default_values_are_checked_too() -> None:
    spec = {"env": {"type": "string", "allowedValues": ["a"], "defaultValue": "b"}}
    assert "is not allowed" in failure(spec, {}).message


def test_default_cycle_is_named() -> None:
    spec = {
        "a": {"type": "string", "defaultValue": "[parameters('b')]"},
        "b": {"type": "string", "defaultValue": "[parameters('a')]"},
    }
    assert "cycle: a -> b -> a" in failure(spec, {}).message


def test_variables_are_not_allowed_in_defaults() -> None:
    doc = {"parameters": {"a": {"type": "string", "defaultValue": "[variables('v')]"}}, "variables": {"v": "x"}}
    with pytest.raises(InvalidTemplate, match="variables\\(\\) cannot be used"):
        resolve_parameters(parse_template({**doc, "resources": []}), {})


def test_secure_values_never_appear_in_errors() -> None:
    spec = {
        "pw": {"type": "securestring", "allowedValues": ["good-one"], "minLength": 3},
        "n": {"type": "int", "defaultValue": "[int(parameters('pw'))]"},
    }
    error = failure({"pw": spec["pw"]}, {"pw": "hunter2-secret"})
    assert "hunter2-secret" not in error.message
    assert "the value given is not allowed" in error.message
    error = failure({"pw": {"type": "securestring"}, "n": spec["n"]}, {"pw": "s3cr3t-value"})
    assert "s3cr3t-value" not in error.message
    assert "***" in error.message
    error = failure({"o": {"type": "secureObject"}}, {"o": "[1, 'token-xyz'"})
    assert "token-xyz" not in error.message


def test_parameters_file_in_azure_shape() -> None:
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"workspaceName": {"value": "ws1"}, "tags": {"value": {"a": "b"}}},
    }
    assert load_parameters_file(doc) == {"workspaceName": "ws1", "tags": {"a": "b"}}
    assert load_parameters_file(json.dumps(doc)) == {"workspaceName": "ws1", "tags": {"a": "b"}}
    assert load_parameters_file({"parameters": {"x": {"value": 1}}}) == {"x": 1}


def test_parameters_file_as_a_plain_mapping() -> None:
    assert load_parameters_file({"workspaceName": "ws1", "count": 2}) == {"workspaceName": "ws1", "count": 2}
    assert load_parameters_file("workspaceName: ws1\nenvironment: prod\n") == {
        "workspaceName": "ws1",
        "environment": "prod",
    }


def test_parameters_file_errors() -> None:
    with pytest.raises(InvalidTemplate, match="Key Vault references are not supported"):
        load_parameters_file({"$schema": "x", "parameters": {"pw": {"reference": {"keyVault": {}}}}})
    with pytest.raises(InvalidTemplate, match=r"parameters\.x: expected an object"):
        load_parameters_file({"$schema": "x", "parameters": {"x": 5}})
    with pytest.raises(InvalidTemplate, match="must be a JSON or YAML object"):
        load_parameters_file("[1, 2]")
