"""MLflow's run search grammar: each entity and operator, quoting, IN lists, errors with positions."""

from __future__ import annotations

import pytest

from mlyard.core.errors import InvalidFilter, ValidationError
from mlyard.services.run_filter import Clause, Entity, Op, OrderKey, parse_filter, parse_order_by


def one(text: str) -> Clause:
    clauses = parse_filter(text)
    assert len(clauses) == 1
    return clauses[0]


@pytest.mark.parametrize("text", [None, "", "   "])
def test_an_empty_filter_matches_everything(text: str | None) -> None:
    assert parse_filter(text) == ()


@pytest.mark.parametrize("spelling", ["metrics", "metric", "METRICS"])
@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_metrics_take_numeric_operators(spelling: str, op: str) -> None:
    assert one(f"{spelling}.accuracy {op} 0.9") == Clause(Entity.METRIC, "accuracy", Op(op), 0.9)


@pytest.mark.parametrize("value, expected", [("1", 1.0), ("-2.5", -2.5), ("1e-3", 0.001), (".5", 0.5), ("+3", 3.0)])
def test_numbers(value: str, expected: float) -> None:
    assert one(f"metrics.loss<{value}").value == expected


@pytest.mark.parametrize("spelling, entity", [
    ("params", Entity.PARAM), ("param", Entity.PARAM), ("parameters", Entity.PARAM),
    ("tags", Entity.TAG), ("tag", Entity.TAG),
])  # fmt: skip
@pytest.mark.parametrize("op", ["=", "!=", "LIKE", "like", "ILIKE", "iLike"])
def test_params_and_tags_take_string_operators(spelling: str, entity: Entity, op: str) -> None:
    assert one(f"{spelling}.model {op} 'cnn%'") == Clause(entity, "model", Op(op.upper()), "cnn%")


def test_in_and_not_in_take_tuples_of_strings() -> None:
    assert one("params.model IN ('cnn', \"rnn\")").value == ("cnn", "rnn")
    assert one("tags.team not  in ('a')") == Clause(Entity.TAG, "team", Op.NOT_IN, ("a",))
    assert one("attributes.run_id IN ('x','y' , 'z')").value == ("x", "y", "z")


@pytest.mark.parametrize("spelling", ["attributes", "attribute", "attr", "run"])
def test_attributes_and_their_aliases(spelling: str) -> None:
    assert one(f"{spelling}.status = 'FINISHED'") == Clause(Entity.ATTRIBUTE, "status", Op.EQ, "FINISHED")
    assert one(f"{spelling}.display_name LIKE 'a%'").key == "run_name"
    assert one(f"{spelling}.run_name = 'a'").key == "run_name"
    assert one(f"{spelling}.start_time >= 1700000000000") == Clause(
        Entity.ATTRIBUTE, "start_time", Op.GE, 1_700_000_000_000.0
    )
    assert one(f"{spelling}.end_time < 5").numeric and one(f"{spelling}.created > 5").numeric


def test_quoted_and_dotted_keys() -> None:
    assert one("metrics.`f1 score` > 0.5").key == "f1 score"
    assert one('metrics."val.loss" < 1').key == "val.loss"
    assert one("params.model.name = 'x'").key == "model.name"
    assert one("tags.`mlflow.user` = 'me'").key == "mlflow.user"
    assert one("params.a-b/c:d = 'x'").key == "a-b/c:d"
    assert one(r"tags.t = 'it\'s'").value == "it's"
    assert one("tags.t = \"say 'hi'\"").value == "say 'hi'"


def test_and_joins_clauses_in_any_case() -> None:
    clauses = parse_filter(
        "metrics.accuracy > 0.9 and tags.team = 'vision' AND params.lr = '0.1' And run.status != 'x'"
    )
    assert [c.entity for c in clauses] == [Entity.METRIC, Entity.TAG, Entity.PARAM, Entity.ATTRIBUTE]


@pytest.mark.parametrize("text", ["metrics.a > 1 or tags.b = 'c'", "metrics.a > 1 OR metrics.a < 0"])
def test_or_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(InvalidFilter, match=r"position 14: MLflow's filter grammar has no OR") as info:
        parse_filter(text)
    assert info.value.target == "filter" and isinstance(info.value, ValidationError)


@pytest.mark.parametrize("text, position, expected", [
    ("accuracy > 1", 0, "an entity"),
    ("foo.accuracy > 1", 0, "an entity"),
    ("metrics accuracy > 1", 8, "'.' and a key"),
    ("metrics. > 1", 9, "a key"),
    ("metrics.a", 9, "an operator"),
    ("metrics.a >> 1", 11, "a number"),
    ("metrics.a > 'x'", 12, "a number"),
    ("metrics.a LIKE 'x'", 10, "holds numbers"),
    ("params.a > 'x'", 9, "holds strings"),
    ("params.a = 1", 11, "a quoted string"),
    ("params.a IN 'x'", 12, "'\\('"),
    ("params.a IN ('x' 'y')", 17, "',' or '\\)'"),
    ("params.a IN (1)", 13, "a quoted string in the list"),
    ("params.a NOT 'x'", 13, "IN after NOT"),
    ("params.a = 'x' tags.b = 'y'", 15, "AND or the end"),
    ("params.a = 'x' and", 18, "an entity"),
    ("params.a = 'unterminated", 11, "a key, an operator or a value"),
    ("attributes.colour = 'x'", 0, "unknown attribute 'colour'"),
    ("attributes.start_time > '2024'", 24, "a number"),
    ("metrics.`` > 1", 8, "a non-empty key"),
])  # fmt: skip
def test_errors_name_the_position_and_what_was_expected(text: str, position: int, expected: str) -> None:
    with pytest.raises(InvalidFilter, match=rf"position {position}\b.*{expected}"):
        parse_filter(text)


def test_order_by() -> None:
    assert parse_order_by(None) == parse_order_by([]) == ()
    assert parse_order_by(["metrics.accuracy DESC", "attributes.start_time", "params.`learning rate` asc"]) == (
        OrderKey(Entity.METRIC, "accuracy", descending=True),
        OrderKey(Entity.ATTRIBUTE, "start_time"),
        OrderKey(Entity.PARAM, "learning rate"),
    )
    assert parse_order_by(["run.display_name"]) == (OrderKey(Entity.ATTRIBUTE, "run_name"),)
    with pytest.raises(InvalidFilter, match="orderBy at position 17: expected ASC, DESC") as info:
        parse_order_by(["metrics.accuracy DOWN"])
    assert info.value.target == "orderBy"
    with pytest.raises(InvalidFilter, match="orderBy at position 0"):
        parse_order_by(["accuracy"])
