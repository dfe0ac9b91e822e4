"""Output schemas that dump the way marshmallow does, at a fraction of its cost per field.

Marshmallow serializes each field through about ten Python calls (``Field.serialize`` ->
``get_value`` -> the schema's accessor -> ``utils.get_value`` -> ``_serialize``). A page of 50
tickets is ~1,000 fields, and that walk was a third of the CPU of the dispatcher's ticket list,
the busiest staff read. ``FastDumpSchema`` compiles, once per schema instance, a plan of what
each field needs: the attribute is read directly, a value that is already what the field would
emit (a ``str`` for ``String``, an ``int`` for ``Integer``, a ``bool`` for ``Boolean``) is
kept, a ``uuid.UUID`` becomes ``str``, an ISO ``DateTime`` calls ``isoformat``, a list of
UUIDs or strings is converted item by item, a ``Nested`` fast schema without dump hooks is
dumped by its own plan (a computed one, such as a ticket's SLA, through the field's
``fast_value(obj)``), and every other value goes to the field's own ``_serialize``. Fields
that need marshmallow's full path (a custom ``serialize``, a ``dump_default``, a dotted
attribute) take it, as does a schema with a custom ``get_attribute``. For an object (values
as attributes, the usual case: ORM entities, list rows) the plan is turned into one generated
Python function with each read and conversion written out, so a field costs no call of its
own; a mapping goes through the plan in a loop.
Hooks (``pre_dump``/``post_dump``) still run: only ``_serialize`` is replaced.

The rule stays marshmallow's: with ``VERIFY`` on (the test suite turns it on), every dump is
also made by marshmallow and the two must be equal, so any difference fails the request that
showed it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

# Set by the test suite: every fast dump is compared with marshmallow's own.
VERIFY = False

Convert = Callable[[Any, str, Any], Any]
Compute = Callable[[Any], Any]
# (output key, field name, attribute to read, field, convert; None: marshmallow's own path,
#  compute: how a computed field gets its value from the object, instead of the attribute)
Step = tuple[str, str, str, fields.Field[Any], Convert | None, Compute | None]


def _converter(field: fields.Field[Any]) -> Convert:
    """The cheapest equivalent of ``field._serialize`` for the values fields usually get."""
    slow = field._serialize
    kind = type(field)
    if kind is fields.String:
        # A str subclass (a StrEnum such as a ticket's status) is what ``str()`` makes of it,
        # as marshmallow's ``ensure_text_type`` does.
        return _inline(
            lambda v, n, o: v if v.__class__ is str else slow(v, n, o),
            "{v} if {v}.__class__ is str else str({v}) if isinstance({v}, str)"
            " else {slow}({v}, {name}, o)",
            slow,
        )
    if isinstance(field, fields.Integer) and kind is fields.Integer and not field.as_string:
        return _inline(
            lambda v, n, o: v if v.__class__ is int else slow(v, n, o),
            "{v} if {v}.__class__ is int else {slow}({v}, {name}, o)",
            slow,
        )
    if kind is fields.Boolean:
        return _inline(
            lambda v, n, o: v if v.__class__ is bool else slow(v, n, o),
            "{v} if {v}.__class__ is bool else {slow}({v}, {name}, o)",
            slow,
        )
    if kind is fields.UUID:
        return _inline(
            lambda v, n, o: str(v) if v.__class__ is uuid.UUID else slow(v, n, o),
            "str({v}) if {v}.__class__ is UUID else {slow}({v}, {name}, o)",
            slow,
        )
    if (
        isinstance(field, fields.DateTime)
        and kind is fields.DateTime
        and field.format in (None, "iso")
    ):
        return _inline(
            lambda v, n, o: v.isoformat() if v.__class__ is datetime else slow(v, n, o),
            "{v}.isoformat() if {v}.__class__ is datetime else {slow}({v}, {name}, o)",
            slow,
        )
    if isinstance(field, fields.List) and type(field.inner) in (fields.UUID, fields.String):
        item = _converter(field.inner)
        item_template, item_slow, _ = getattr(item, _INLINE)
        each = item_template.format(v="x", slow="{item_slow}", name="{name}")
        return _inline(
            lambda v, n, o: [item(i, n, o) for i in v] if v.__class__ is list else slow(v, n, o),
            f"[{each} for x in {{v}}] if {{v}}.__class__ is list else {{slow}}({{v}}, {{name}}, o)",
            slow,
            item_slow,
        )
    nested = _nested(field)
    if nested is not None:
        return lambda v, n, o: None if v is None else nested._dump_one(v)
    return slow


# A converter's body as an expression of the value ``{v}`` (and the object ``o``), for the
# compiled dump function; ``{slow}``, ``{item_slow}`` (a list's items) and ``{name}`` are
# filled in with names bound to the field's ``_serialize``, its inner field's and the field's
# name. Converters without one are called.
_INLINE = "_fastdump_inline"


def _inline(
    convert: Convert, template: str, slow: Convert, item_slow: Convert | None = None
) -> Convert:
    setattr(convert, _INLINE, (template, slow, item_slow))
    return convert


def _nested(field: fields.Field[Any]) -> FastDumpSchema | None:
    """The schema of a ``Nested`` field of one object whose dump is a plain compiled one (no
    dump hooks, no many), which the parent's plan can then call directly."""
    if not isinstance(field, fields.Nested) or field.many:
        return None
    schema = field.schema
    if (
        not isinstance(schema, FastDumpSchema)
        or schema.many
        or schema._hooks[PRE_DUMP]
        or schema._hooks[POST_DUMP]
        or schema.dict_class is not dict
        or type(schema).get_attribute is not Schema.get_attribute
    ):
        return None
    return schema


def _direct(field: fields.Field[Any]) -> bool:
    """Whether reading the attribute and calling ``_serialize`` is exactly ``serialize``."""
    return (
        type(field).serialize is fields.Field[Any].serialize
        and field._CHECK_ATTRIBUTE
        and field.dump_default is missing
    )


def _read(obj: Any, key: str, itemish: bool) -> Any:
    """``marshmallow.utils.get_value`` for a key without dots."""
    if not itemish:
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


class FastDumpSchema(Schema):
    """A ``Schema`` whose dump is compiled (see the module); use it for output schemas."""

    _fast_plan: list[Step] | None = None
    _fast_compiled: tuple[list[Step], Callable[[Any], dict[str, Any]]] | None = None

    def _plan(self) -> list[Step]:
        if self._fast_plan is None:
            plan: list[Step] = []
            for name, field in self.dump_fields.items():
                key = field.data_key if field.data_key is not None else name
                attribute = field.attribute
                attr = attribute if attribute is not None else name
                compute: Compute | None = getattr(field, "fast_value", None)
                if compute is not None and _nested(field) is not None:
                    plan.append((key, name, attr, field, _converter(field), compute))
                    continue
                direct = _direct(field) and "." not in attr
                plan.append((key, name, attr, field, _converter(field) if direct else None, None))
            self._fast_plan = plan
        return self._fast_plan

    def _one(self, plan: list[Step], obj: Any) -> dict[str, Any]:
        ret: dict[str, Any] = {}
        itemish = hasattr(obj, "__getitem__")
        for key, name, attr, field, convert, compute in plan:
            if convert is None:
                value = field.serialize(name, obj, accessor=self.get_attribute)
                if value is not missing:
                    ret[key] = value
                continue
            value = compute(obj) if compute is not None else _read(obj, attr, itemish)
            if value is not missing:
                ret[key] = convert(value, name, obj)
        return ret

    def _dump_one(self, obj: Any) -> dict[str, Any]:
        plan = self._plan()
        return self._one(plan, obj) if hasattr(obj, "__getitem__") else self._compiled(plan)(obj)

    def _compiled(self, plan: list[Step]) -> Callable[[Any], dict[str, Any]]:
        """``_one`` for an object without ``__getitem__`` (its values are attributes), as one
        generated function: the plan unrolled, each read a ``getattr`` and each usual
        conversion inline, instead of a loop calling ``_read`` and a converter per field. A
        page of 50 tickets is ~1,000 fields."""
        if self._fast_compiled is not None and self._fast_compiled[0] is plan:
            return self._fast_compiled[1]
        env: dict[str, Any] = {"missing": missing, "UUID": uuid.UUID, "datetime": datetime}
        lines = ["def dump_one(o):", "    r = {}"]
        for i, (key, name, attr, field, convert, compute) in enumerate(plan):
            env.update({f"k{i}": key, f"n{i}": name, f"a{i}": attr, f"f{i}": field})
            if convert is None:
                env["get_attribute"] = self.get_attribute
                lines.append(f"    v = f{i}.serialize(n{i}, o, accessor=get_attribute)")
                lines.append(f"    if v is not missing: r[k{i}] = v")
                continue
            if compute is not None:
                env[f"x{i}"] = compute
                lines.append(f"    v = x{i}(o)")
            else:
                lines.append(f"    v = getattr(o, a{i}, missing)")
            inline = getattr(convert, _INLINE, None)
            if inline is not None:
                template, slow, item_slow = inline
                env[f"s{i}"], env[f"t{i}"] = slow, item_slow
                expr = template.format(v="v", slow=f"s{i}", item_slow=f"t{i}", name=f"n{i}")
            else:
                env[f"c{i}"] = convert
                expr = f"c{i}(v, n{i}, o)"
            lines.append(f"    if v is not missing: r[k{i}] = {expr}")
        lines.append("    return r")
        exec(compile("\n".join(lines), f"<fastdump {type(self).__name__}>", "exec"), env)
        fn: Callable[[Any], dict[str, Any]] = env["dump_one"]
        self._fast_compiled = (plan, fn)
        return fn

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if (
            obj is None
            or self.dict_class is not dict
            or type(self).get_attribute is not Schema.get_attribute
        ):
            return super()._serialize(obj, many=many)
        if VERIFY and many:
            obj = list(obj)  # iterated twice below
        plan = self._plan()
        one = self._one
        compiled = self._compiled(plan)
        fast: Any
        if many:
            fast = [one(plan, o) if hasattr(o, "__getitem__") else compiled(o) for o in obj]
        else:
            fast = one(plan, obj) if hasattr(obj, "__getitem__") else compiled(obj)
        if VERIFY:
            slow = super()._serialize(obj, many=many)
            if fast != slow:
                raise AssertionError(
                    f"{type(self).__name__}: fast dump {fast!r} differs from marshmallow's {slow!r}"
                )
        return fast
