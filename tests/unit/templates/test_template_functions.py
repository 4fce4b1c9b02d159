"""Template functions, family by family."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import FUNCTIONS, EvalContext, evaluate
from mlyard.services.templates.context import resource_group_object, subscription_object

SUB = subscription_object({"subscriptionId": "sub1", "displayName": "Sub One"})
RG = resource_group_object({"name": "rg1", "location": "westeurope"}, SUB)


def ev(text: str, *, resource_group: bool = True, defaults: bool = False, now: datetime | None = None) -> Any:
    context = EvalContext(
        parameters={"obj": {"a": 1, "b": {"c": 2}}, "arr": [1, 2, 3], "s": "Hello"},
        subscription=SUB,
        resource_group=RG if resource_group else None,
        deployment_name="deploy1",
        parameter_defaults=defaults,
        now=now,
    )
    return evaluate(text, context, "here")


def fails(text: str, **kwargs: Any) -> str:
    with pytest.raises(InvalidTemplate) as info:
        ev(text, **kwargs)
    return info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[concat('a', 'b', 'c')]", "abc"),
        ("[concat('n', 1)]", "n1"),
        ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
        ("[format('{0}-{1}', 'a', 'b')]", "a-b"),
        ("[format('{1}{0}{1}', 'x', 'y')]", "yxy"),
        ("[format('{{{0}}}', 'lit')]", "{lit}"),
        ("[format('{0:D3}|{1,4}|{2,-3}|', 7, 'ab', 'c')]", "007|  ab|c  |"),
        ("[format('{0:N1} {1}', 1234, true())]", "1,234.0 True"),
        ("[toLower('AbC')]", "abc"),
        ("[toUpper('AbC')]", "ABC"),
        ("[replace('a-b-c', '-', '_')]", "a_b_c"),
        ("[substring('hello', 1, 3)]", "ell"),
        ("[substring('hello', 2)]", "llo"),
        ("[trim('  x  ')]", "x"),
        ("[startsWith('Hello', 'he')]", True),
        ("[endsWith('Hello', 'LO')]", True),
        ("[endsWith('Hello', 'x')]", False),
        ("[indexOf('abcabc', 'C')]", 2),
        ("[lastIndexOf('abcabc', 'c')]", 5),
        ("[split('a,b,c', ',')]", ["a", "b", "c"]),
        ("[split('a,b;c', createArray(',', ';'))]", ["a", "b", "c"]),
        ("[join(createArray('a', 'b'), '+')]", "a+b"),
        ("[padLeft('7', 3, '0')]", "007"),
        ("[string(1)]", "1"),
        ("[string(true())]", "True"),
        ("[string(createObject('a', 1))]", '{"a":1}'),
        ("[int('42')]", 42),
        ("[int('-3')]", -3),
        ("[bool('TRUE')]", True),
        ("[bool(0)]", False),
        ("[json('[1, \"a\"]')]", [1, "a"]),
        ("[json('null')]", None),
        ("[base64('hi')]", "aGk="),
        ("[base64ToString('aGk=')]", "hi"),
        ("[uri('https://x.org/a/', 'b/c')]", "https://x.org/a/b/c"),
        ("[uriComponent('a b/c')]", "a%20b%2Fc"),
        ("[uriComponentToString('a%20b')]", "a b"),
    ],
)
def test_string_and_conversion_functions(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[equals('a', 'a')]", True),
        ("[equals('a', 'A')]", False),
        ("[equals(1, true())]", False),
        ("[equals(createObject('a', createArray(1)), json('{\"a\": [1]}'))]", True),
        ("[not(false())]", True),
        ("[and(true(), true(), false())]", False),
        ("[or(false(), true())]", True),
        ("[less(1, 2)]", True),
        ("[less('b', 'a')]", False),
        ("[greater(3, 2)]", True),
        ("[lessOrEquals(2, 2)]", True),
        ("[greaterOrEquals(1, 2)]", False),
        ("[add(2, 3)]", 5),
        ("[sub(2, 3)]", -1),
        ("[mul(4, -3)]", -12),
        ("[div(7, 2)]", 3),
        ("[div(-7, 2)]", -3),
        ("[mod(7, 3)]", 1),
        ("[mod(-7, 3)]", -1),
        ("[min(3, 1, 2)]", 1),
        ("[max(createArray(3, 9, 2))]", 9),
        ("[range(2, 3)]", [2, 3, 4]),
    ],
)
def test_logic_and_number_functions(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[length('abc')]", 3),
        ("[length(parameters('arr'))]", 3),
        ("[length(parameters('obj'))]", 2),
        ("[empty('')]", True),
        ("[empty(createArray())]", True),
        ("[empty(createObject())]", True),
        ("[empty(null())]", True),
        ("[empty('x')]", False),
        ("[contains('Hello', 'ell')]", True),
        ("[contains(parameters('arr'), 2)]", True),
        ("[contains(parameters('arr'), '2')]", False),
        ("[contains(parameters('obj'), 'A')]", True),
        ("[createArray(1, 'a', createArray())]", [1, "a", []]),
        ("[createObject('a', 1, 'b', createArray(2))]", {"a": 1, "b": [2]}),
        ("[union(createObject('a', 1), createObject('b', 2, 'a', 3))]", {"a": 3, "b": 2}),
        ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
        ("[intersection(createArray(1, 2, 3), createArray(3, 2, 9))]", [2, 3]),
        ("[coalesce(null(), null(), 'x', 'y')]", "x"),
        ("[coalesce(null())]", None),
        ("[first(parameters('arr'))]", 1),
        ("[first('abc')]", "a"),
        ("[first(createArray())]", None),
        ("[last(parameters('arr'))]", 3),
        ("[last('abc')]", "c"),
        ("[take(parameters('arr'), 2)]", [1, 2]),
        ("[take('abcdef', 3)]", "abc"),
        ("[skip(parameters('arr'), 1)]", [2, 3]),
        ("[skip('abc', 5)]", ""),
        ("[array('x')]", ["x"]),
        ("[items(createObject('k', 'v'))]", [{"key": "k", "value": "v"}]),
    ],
)
def test_array_and_object_functions(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_resource_ids() -> None:
    base = "/subscriptions/sub1/resourceGroups/rg1/providers"
    assert ev("[resourceId('Microsoft.Storage/storageAccounts', 'st1')]") == (
        f"{base}/Microsoft.Storage/storageAccounts/st1"
    )
    assert ev("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sn')]") == (
        f"{base}/Microsoft.Network/virtualNetworks/vnet/subnets/sn"
    )
    assert ev("[resourceId('otherRg', 'Microsoft.KeyVault/vaults', 'kv')]") == (
        "/subscriptions/sub1/resourceGroups/otherRg/providers/Microsoft.KeyVault/vaults/kv"
    )
    assert ev("[resourceId('sub2', 'rg2', 'Microsoft.KeyVault/vaults', 'kv')]") == (
        "/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.KeyVault/vaults/kv"
    )
    assert ev("[resourceId('Microsoft.Resources/resourceGroups', 'rgX')]") == "/subscriptions/sub1/resourceGroups/rgX"
    assert ev("[resourceId('workspaces', 'ws')]") == f"{base}/Microsoft.MachineLearningServices/workspaces/ws"
    assert ev("[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rgX')]") == (
        "/subscriptions/sub1/resourceGroups/rgX"
    )
    assert ev("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]") == (
        "/subscriptions/sub1/providers/Microsoft.Authorization/roleDefinitions/r1"
    )
    assert ev("[resourceId('Microsoft.KeyVault/vaults', 'kv')]", resource_group=False) == (
        "/subscriptions/sub1/providers/Microsoft.KeyVault/vaults/kv"
    )


def test_resource_id_errors() -> None:
    assert "needs 2 non-empty name(s), got 1" in fails("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v')]")
    assert "no resource type among the arguments" in fails("[resourceId('a', 'b')]")
    assert "at most 2 scope argument(s)" in fails("[resourceId('a', 'b', 'c', 'X.Y/z', 'n')]")


def test_scope_objects() -> None:
    assert ev("[resourceGroup()]") == {
        "id": "/subscriptions/sub1/resourceGroups/rg1",
        "name": "rg1",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "properties": {"provisioningState": "Succeeded"},
    }
    assert ev("[subscription()]") == {"id": "/subscriptions/sub1", "subscriptionId": "sub1", "displayName": "Sub One"}
    assert ev("[deployment().name]") == "deploy1"
    assert "not to a resource group" in fails("[resourceGroup().id]", resource_group=False)


def test_unique_string_and_guid_are_deterministic() -> None:
    first = ev("[uniqueString('a', resourceGroup().id)]")
    assert re.fullmatch(r"[a-z2-7]{13}", first)
    assert ev("[uniqueString('a', resourceGroup().id)]") == first
    assert ev("[uniqueString('b', resourceGroup().id)]") != first
    assert ev("[uniqueString('ab')]") != ev("[uniqueString('a', 'b')]")
    guid = ev("[guid('x', 'y')]")
    assert uuid.UUID(guid).version == 5
    assert ev("[guid('x', 'y')]") == guid != ev("[guid('y', 'x')]")


def test_utc_now_formats() -> None:
    moment = datetime(2024, 3, 5, 7, 8, 9, 123000, tzinfo=UTC)
    assert ev("[utcNow()]", defaults=True, now=moment) == "20240305T070809Z"
    assert ev("[utcNow('yyyy-MM-dd')]", defaults=True, now=moment) == "2024-03-05"
    assert ev("[utcNow('u')]", defaults=True, now=moment) == "2024-03-05 07:08:09Z"
    assert uuid.UUID(ev("[newGuid()]", defaults=True)).version == 4


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[concat('a', createArray(1))]", "all strings or all arrays"),
        ("[format('{1}', 'a')]", "uses {1} but only 1 value(s) follow it"),
        ("[format('a } b')]", "lone '}'"),
        ("[format('{0:Q}', 1)]", "not supported"),
        ("[substring('abc', 5)]", "outside the string"),
        ("[substring('abc', 1, 5)]", "runs past the end"),
        ("[int('x1')]", "cannot convert string 'x1' to an integer"),
        ("[bool('yes')]", "cannot convert"),
        ("[json('{bad')]", "not valid JSON"),
        ("[base64ToString('***')]", "not base64"),
        ("[div(1, 0)]", "division by zero"),
        ("[mod(1, 0)]", "division by zero"),
        ("[add('1', 2)]", "add(): argument 1 must be an integer, got string '1'"),
        ("[and(true(), 1)]", "argument 2 must be a bool"),
        ("[not('x')]", "must be a bool"),
        ("[less(1, 'a')]", "must be an integer"),
        ("[length(1)]", "must be a string, an array or an object"),
        ("[createObject('a')]", "pairs of key and value"),
        ("[union(createArray(), createObject())]", "all arrays or all objects"),
        ("[first(createObject())]", "not an object"),
        ("[min(createArray())]", "the array is empty"),
        ("[split('a', '')]", "non-empty string"),
        ("[padLeft('a', 3, 'xy')]", "single character"),
    ],
)
def test_function_errors_explain(text: str, problem: str) -> None:
    message = fails(text)
    assert message.startswith("here: ")
    assert problem in message


def test_the_required_functions_are_all_there() -> None:
    required = [
        *("parameters", "variables", "concat", "format", "resourceId", "subscriptionResourceId"),
        *("resourceGroup", "subscription", "deployment", "toLower", "toUpper", "uniqueString", "guid"),
        *("string", "int", "bool", "length", "empty", "contains", "replace", "substring", "trim"),
        *("startsWith", "endsWith", "split", "join", "if", "equals", "not", "and", "or", "less", "greater"),
        *("createArray", "createObject", "union", "coalesce", "first", "last", "json", "add", "sub", "mul"),
        *("div", "mod", "min", "max", "take", "skip", "base64", "uri", "true", "false", "utcNow"),
    ]
    known = set(FUNCTIONS) | {"if", "parameters", "variables"}
    assert [name for name in required if name.lower() not in known] == []
