"""The property-filter parser: each op's accepted values, and every refusal naming its field."""

from __future__ import annotations

import json

import pytest

from customersignal.domain.errors import Unprocessable
from customersignal.domain.property_filters import PropertyFilter, parse_filter_params, parse_filters


def one(raw: object) -> PropertyFilter:
    return parse_filters([raw])[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"property": "plan", "op": "eq", "value": "pro"}, PropertyFilter("plan", "eq", "pro")),
        ({"property": "n", "op": "eq", "value": 1.5}, PropertyFilter("n", "eq", 1.5)),
        ({"property": "b", "op": "neq", "value": False}, PropertyFilter("b", "neq", False)),
        ({"property": "p", "op": "in", "value": ["a", 1, "a"]}, PropertyFilter("p", "in", ("a", 1))),
        ({"property": "u", "op": "contains", "value": "Mail"}, PropertyFilter("u", "contains", "Mail")),
        ({"property": "u", "op": "is_set"}, PropertyFilter("u", "is_set")),
        ({"property": "u", "op": "is_not_set"}, PropertyFilter("u", "is_not_set")),
        ({"property": "amount", "op": "gt", "value": 10}, PropertyFilter("amount", "gt", 10)),
        ({"property": "amount", "op": "lt", "value": -0.5}, PropertyFilter("amount", "lt", -0.5)),
        ({"property": "x' OR 1=1 --", "op": "eq", "value": "'; DROP"}, PropertyFilter("x' OR 1=1 --", "eq", "'; DROP")),
    ],
)
def test_each_op_parses_to_its_value(raw: dict[str, object], expected: PropertyFilter) -> None:
    assert one(raw) == expected


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("plan", "filters[0]"),
        ({"op": "eq", "value": 1}, "filters[0].property"),
        ({"property": "", "op": "eq", "value": 1}, "filters[0].property"),
        ({"property": "x" * 256, "op": "eq", "value": 1}, "filters[0].property"),
        ({"property": "a\x00b", "op": "eq", "value": 1}, "filters[0].property"),
        ({"property": "p", "op": "like", "value": 1}, "filters[0].op"),
        ({"property": "p", "value": 1}, "filters[0].op"),
        ({"property": "p", "op": "eq"}, "filters[0].value"),
        ({"property": "p", "op": "eq", "value": None}, "filters[0].value"),
        ({"property": "p", "op": "eq", "value": {"a": 1}}, "filters[0].value"),
        ({"property": "p", "op": "in", "value": []}, "filters[0].value"),
        ({"property": "p", "op": "in", "value": "a"}, "filters[0].value"),
        ({"property": "p", "op": "in", "value": ["a", None]}, "filters[0].value[1]"),
        ({"property": "p", "op": "in", "value": list(range(101))}, "filters[0].value"),
        ({"property": "p", "op": "contains", "value": 3}, "filters[0].value"),
        ({"property": "p", "op": "contains", "value": ""}, "filters[0].value"),
        ({"property": "p", "op": "gt", "value": "3"}, "filters[0].value"),
        ({"property": "p", "op": "lt", "value": True}, "filters[0].value"),
        ({"property": "p", "op": "is_set", "value": 1}, "filters[0].value"),
        ({"property": "p", "op": "eq", "value": "a\x00"}, "filters[0].value"),
        ({"property": "p", "op": "eq", "value": "v", "extra": 1}, "filters[0]"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_field(raw: object, field: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        parse_filters([raw])
    assert (refused.value.code, refused.value.field) == ("invalid_filter", field)
    assert refused.value.message


def test_the_query_string_form_names_filter_i() -> None:
    good = json.dumps({"property": "plan", "op": "eq", "value": "pro"})
    assert parse_filter_params([good]) == (PropertyFilter("plan", "eq", "pro"),)
    with pytest.raises(Unprocessable) as refused:
        parse_filter_params([good, "{not json"])
    assert refused.value.field == "filter[1]"
    with pytest.raises(Unprocessable) as refused:
        parse_filter_params([good, json.dumps({"property": "plan", "op": "gt", "value": "x"})])
    assert refused.value.field == "filter[1].value"


def test_at_most_five_filters() -> None:
    good = json.dumps({"property": "plan", "op": "is_set"})
    assert len(parse_filter_params([good] * 5)) == 5
    with pytest.raises(Unprocessable) as refused:
        parse_filter_params([good] * 6)
    assert refused.value.field == "filter"


def test_the_body_form_must_be_an_array_and_absent_means_none() -> None:
    assert parse_filters(None) == ()
    with pytest.raises(Unprocessable) as refused:
        parse_filters({"property": "p"}, "rule.filters")
    assert refused.value.field == "rule.filters"


def test_to_json_round_trips() -> None:
    for raw in (
        {"property": "p", "op": "in", "value": ["a", 2]},
        {"property": "p", "op": "is_set"},
        {"property": "p", "op": "gt", "value": 2.5},
    ):
        assert one(raw).to_json() == raw
