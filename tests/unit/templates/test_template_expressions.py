"""Template expressions: syntax, escapes, access, variables, special functions, errors."""

from __future__ import annotations

from typing import Any

import pytest

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import EvalContext, evaluate, is_expression, parse_expression
from mlyard.services.templates.context import resource_group_object, subscription_object

SUB = subscription_object({"subscriptionId": "sub1", "displayName": "Sub One"})
RG = resource_group_object({"name": "rg1", "location": "westeurope"}, SUB)


def ctx(
    parameters: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    *,
    resource_group: bool = True,
    defaults: bool = False,
) -> EvalContext:
    return EvalContext(
        parameters=parameters or {},
        variables=variables or {},
        subscription=SUB,
        resource_group=RG if resource_group else None,
        deployment_name="deploy1",
        parameter_defaults=defaults,
    )


def ev(text: Any, context: EvalContext | None = None) -> Any:
    return evaluate(text, context or ctx(), "here")


def error_of(text: Any, context: EvalContext | None = None, where: str = "here") -> str:
    with pytest.raises(InvalidTemplate) as info:
        evaluate(text, context or ctx(), where)
    assert info.value.target is not None
    return info.value.message


def test_plain_strings_are_left_alone() -> None:
    assert ev("hello") == "hello"
    assert ev(" [not an expression]") == " [not an expression]"
    assert ev("[starts but does not end") == "[starts but does not end"
    assert ev(42) == 42
    assert ev(None) is None


def test_double_bracket_escapes_a_literal() -> None:
    assert ev("[[concat('a', 'b')]") == "[concat('a', 'b')]"
    assert ev("[[literal]") == "[literal]"
    assert not is_expression("[[x]")
    assert is_expression("[x()]")


def test_literals_and_quotes() -> None:
    assert ev("['it''s']") == "it's"
    assert ev("[''''] ".strip()) == "'"
    assert ev("[add(-3, 5)]") == 2
    assert ev("[  concat( 'a' ,  'b' )  ]") == "ab"
    assert ev("[true()]") is True
    assert ev("[false()]") is False
    assert ev("[null()]") is None


def test_function_names_are_case_insensitive() -> None:
    assert ev("[CONCAT('a', ToLower('B'))]") == "ab"


def test_expressions_nested_in_objects_and_arrays() -> None:
    value = {"a": ["[concat('x', 'y')]", {"b": "[add(1, 2)]"}], "c": "plain"}
    assert ev(value) == {"a": ["xy", {"b": 3}], "c": "plain"}


def test_property_and_index_access() -> None:
    c = ctx({"obj": {"list": [10, {"deep": "yes"}], "Key": "v"}})
    assert ev("[parameters('obj').list[1].deep]", c) == "yes"
    assert ev("[parameters('obj')['list'][0]]", c) == 10
    assert ev("[parameters('obj').key]", c) == "v"  # property names ignore case
    assert ev("[createArray('a', 'b')[add(0, 1)]]", c) == "b"
    assert ev('[json(\'{"a": {"b": [1, 2]}}\').a.b[1]]', c) == 2


def test_access_errors_say_what_went_wrong() -> None:
    c = ctx({"obj": {"a": 1}, "arr": [1]})
    assert "no property 'b'" in error_of("[parameters('obj').b]", c)
    assert "out of range" in error_of("[parameters('arr')[3]]", c)
    assert "cannot read property 'x' of int" in error_of("[parameters('arr')[0].x]", c)
    assert "must be an integer" in error_of("[parameters('arr')['a']]", c)


def test_parameters_and_variables() -> None:
    c = ctx(
        {"prefix": "ml"},
        {
            "base": "[concat(parameters('prefix'), '-', variables('suffix'))]",
            "suffix": "[toUpper('x')]",
            "nested": {"name": "[variables('base')]", "list": ["[variables('suffix')]"]},
        },
    )
    assert ev("[variables('base')]", c) == "ml-X"
    assert ev("[variables('nested').name]", c) == "ml-X"
    assert ev("[variables('NESTED').list[0]]", c) == "X"
    assert ev("[parameters('PREFIX')]", c) == "ml"


def test_unknown_parameter_and_variable_list_the_declared_ones() -> None:
    c = ctx({"a": 1}, {"v": 2})
    assert error_of("[parameters('b')]", c) == "here: unknown parameter 'b'; the template declares: a"
    assert "unknown variable 'w'; the template declares: v" in error_of("[variables('w')]", c)


def test_variable_cycle_is_named() -> None:
    c = ctx(variables={"a": "[variables('b')]", "b": "[concat(variables('c'), 'x')]", "c": "[variables('a')]"})
    message = error_of("[variables('a')]", c)
    assert "a -> b -> c -> a" in message
    assert "cycle" in message


def test_self_referencing_variable() -> None:
    assert "a -> a" in error_of("[variables('a')]", ctx(variables={"a": "[variables('a')]"}))


def test_if_evaluates_only_the_branch_taken() -> None:
    assert ev("[if(equals(1, 1), 'yes', unknownFn())]") == "yes"
    assert ev("[if(false(), unknownFn(), 'no')]") == "no"
    assert "condition must be a bool" in error_of("[if('x', 1, 2)]")
    assert "exactly 3 arguments" in error_of("[if(true(), 1)]")


def test_unknown_function_names_it_and_the_place() -> None:
    message = error_of("[foo('x')]", where="resources[1].properties.friendlyName")
    assert message == "resources[1].properties.friendlyName: unknown function 'foo'"
    assert "did you mean 'toLower'" in error_of("[tolowr('A')]")


@pytest.mark.parametrize("name", ["reference", "listKeys", "listSecrets"])
def test_runtime_functions_are_not_supported(name: str) -> None:
    message = error_of(f"[{name}('x')]")
    assert f"{name}() is not supported" in message
    assert "parameter" in message


def test_utc_now_only_in_parameter_defaults() -> None:
    assert "only be used in a parameter's defaultValue" in error_of("[utcNow()]")
    assert len(ev("[utcNow()]", ctx(defaults=True))) == len("20240101T000000Z")
    assert "variables() cannot be used" in error_of("[variables('x')]", ctx(defaults=True))


def test_arity_errors() -> None:
    assert "toLower() takes exactly 1 argument, got 2" in error_of("[toLower('a', 'b')]")
    assert "concat() takes at least 1 argument, got 0" in error_of("[concat()]")
    assert "substring() takes 2 to 3 arguments, got 1" in error_of("[substring('a')]")


@pytest.mark.parametrize(
    ("text", "column", "problem"),
    [
        ("[concat('a' 'b')]", 13, "expected ',' or ')'"),
        ("[concat('a',)]", 13, "expected a function call"),
        ("[concat('abc)]", 9, "unterminated string"),
        ("[true]", 6, "write true() to call it"),
        ("[toLower('a') extra()]", 15, "after the end of the expression"),
        ("[]", 2, "expected a function call"),
        ("[a.b]", 3, "expected '(' after function name 'a'"),
        ("[x(1]", 5, "expected ',' or ')'"),
        ("[p('a')[0]", 10, "expected ']' to close the index"),
        ("[f(#)]", 4, "unexpected character '#'"),
    ],
)
def test_syntax_errors_give_the_column(text: str, column: int, problem: str) -> None:
    if not is_expression(text):
        assert ev(text) == text  # not an expression at all
        return
    with pytest.raises(InvalidTemplate) as info:
        parse_expression(text, "variables.x")
    assert info.value.message.startswith(f"variables.x: syntax error at column {column} of ")
    assert problem in info.value.message
    assert info.value.target == "variables.x"
