"""``FastDumpSchema`` dumps exactly what marshmallow dumps, for every kind of value a field can
get (the suite also checks every dump made by a request, with ``fastdump.VERIFY``)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

from backend import fastdump
from backend.fastdump import FastDumpSchema


class Colour(enum.StrEnum):
    RED = "red"


class Sub(FastDumpSchema):
    n = fields.Integer()
    at = fields.DateTime(allow_none=True)


class _Computed(fields.Nested):
    """A value computed from the object, as a ticket's SLA is."""

    @staticmethod
    def fast_value(obj: Any) -> dict[str, Any]:
        i = obj.get("i", 0) if isinstance(obj, dict) else getattr(obj, "i", 0)
        return {"n": i, "at": None}

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return self._serialize(self.fast_value(obj), attr, obj, **kwargs)


class _Fields:
    s = fields.String()
    i = fields.Integer()
    i_str = fields.Integer(as_string=True)
    b = fields.Boolean()
    u = fields.UUID(allow_none=True)
    d = fields.DateTime()
    lst = fields.List(fields.UUID())
    dct = fields.Dict()
    names = fields.List(fields.String())
    sub = fields.Nested(Sub, allow_none=True)
    comp = _Computed(Sub)
    renamed = fields.String(data_key="other", attribute="src")
    dotted = fields.String(attribute="inner.name")
    defaulted = fields.String(dump_default="dflt")
    method = fields.Method("_twice")

    def _twice(self, obj: Any) -> Any:
        i = obj.get("i", 0) if isinstance(obj, dict) else getattr(obj, "i", 0)
        return 2 * i


class Slow(_Fields, Schema):
    pass


class Fast(_Fields, FastDumpSchema):
    pass


def _values() -> list[dict[str, Any]]:
    return [
        {
            "s": "text",
            "i": 3,
            "i_str": 4,
            "b": True,
            "u": uuid.UUID(int=5),
            "d": datetime(2026, 12, 2, 10, 30, tzinfo=UTC),
            "lst": [uuid.UUID(int=1), uuid.UUID(int=2)],
            "dct": {"a": 1},
            "names": ["a", "b"],
            "sub": SimpleNamespace(n=2, at=datetime(2026, 12, 3, tzinfo=UTC)),
            "src": "renamed",
            "inner": SimpleNamespace(name="deep"),
        },
        # Values of other types than the field's own: the field's conversion applies.
        {"s": Colour.RED, "i": True, "i_str": 7, "b": 1, "u": None, "d": None, "lst": []},
        {"names": ("a", Colour.RED), "sub": None},
        {"s": 12, "i": 2.0, "b": 0, "u": "00000000-0000-0000-0000-000000000009"},
        {},  # every attribute missing
    ]


@pytest.fixture(autouse=True)
def _no_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    # Compare by hand here: the check must not pass because the fast path was not taken.
    monkeypatch.setattr(fastdump, "VERIFY", False)


@pytest.mark.parametrize("value", _values())
@pytest.mark.parametrize("as_object", [False, True])
def test_same_output_as_marshmallow(value: dict[str, Any], as_object: bool) -> None:
    obj = SimpleNamespace(**value) if as_object else value
    assert Fast().dump(obj) == Slow().dump(obj)
    assert Fast(many=True).dump([obj, obj]) == Slow(many=True).dump([obj, obj])
    assert list(Fast().dump(obj)) == list(Slow().dump(obj))  # key order too


def test_fast_path_is_taken() -> None:
    plan = Fast()._plan()
    direct = {key for key, _n, _a, _f, convert, _c in plan if convert is not None}
    assert {"s", "i", "b", "u", "d", "lst", "dct", "names", "sub", "comp", "other"} <= direct
    assert not direct & {"dotted", "defaulted", "method"}


def test_hooks_still_run() -> None:
    class Hooked(FastDumpSchema):
        s = fields.String()

        @post_dump
        def shout(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
            return {k: v.upper() for k, v in data.items()}

    assert Hooked().dump({"s": "x"}) == {"s": "X"}


def test_verify_catches_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastdump, "VERIFY", True)
    schema = Fast()
    schema._plan()[0] = ("s", "s", "s", schema.fields["s"], lambda v, n, o: "wrong", None)
    with pytest.raises(AssertionError, match="differs from marshmallow"):
        schema.dump({"s": "right"})


def test_objects_take_the_compiled_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    """An object's fields (and a nested object's) are read by one generated function, not
    field by field through ``_read`` and a converter call; mappings still take the loop."""

    class Outer(FastDumpSchema):
        s = fields.String()
        u = fields.UUID()
        lst = fields.List(fields.UUID())
        sub = fields.Nested(Sub)

    value = {"s": "x", "u": uuid.UUID(int=1), "lst": [uuid.UUID(int=2)]}
    obj = SimpleNamespace(**value, sub=SimpleNamespace(n=1, at=datetime(2026, 1, 1, tzinfo=UTC)))
    expected = {
        "s": "x",
        "u": str(uuid.UUID(int=1)),
        "lst": [str(uuid.UUID(int=2))],
        "sub": {"n": 1, "at": "2026-01-01T00:00:00+00:00"},
    }
    schema = Outer()

    def refuse(*args: Any) -> Any:
        raise AssertionError("the per-field loop ran")

    monkeypatch.setattr(fastdump, "_read", refuse)
    assert schema.dump(obj) == expected
    assert schema.dump([obj], many=True) == [expected]
    with pytest.raises(AssertionError, match="per-field loop"):
        schema.dump({**value, "sub": obj.sub})
