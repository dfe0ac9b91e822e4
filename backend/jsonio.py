"""Flask's JSON provider with orjson encoding the responses.

Why: encoding response bodies with the standard library (``sort_keys``, ``ensure_ascii``) was
about a tenth of the API's CPU under the load benchmark (ticket lists, sync pages). The output
means the same as before: keys stay sorted, compact separators, Flask's own rules for dates
(HTTP date), decimals, dataclasses and ``__html__`` (passed through to the same ``default``).
Two differences, invisible to a JSON parser: non-ASCII is sent as UTF-8 instead of ``\\u``
escapes, and a float NaN/Infinity becomes ``null`` (the standard encoder wrote ``NaN``, which
is not JSON). Anything orjson refuses (integers beyond 64 bits, say) falls back to the standard
encoder, so what could be encoded before still is. ``dumps`` (templates' ``tojson``) and
parsing stay the standard library's: parsing decides which request bodies are valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class OrjsonProvider(DefaultJSONProvider):
    def _encode(self, obj: Any) -> bytes | None:
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return None  # the caller retries with the standard encoder (same rules)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """``jsonify`` and flask-smorest's responses (the hot path); ``dumps`` (templates'
        ``tojson``) stays the standard one."""
        if (self.compact is None and self._app.debug) or self.compact is False:
            return cast(Response, super().response(*args, **kwargs))  # indented: keep stdlib
        encoded = self._encode(self._prepare_response_obj(args, kwargs))
        if encoded is None:
            return cast(Response, super().response(*args, **kwargs))
        response_class = cast(type[Response], self._app.response_class)
        return response_class(encoded + b"\n", mimetype=self.mimetype)


def _same(value: Any) -> Any:
    return value


def json_tree(value: Any, leaf: Callable[[Any], Any] = _same) -> Any:
    """``value`` rebuilt of plain dicts and lists (a tuple becomes a list: what JSON, JSONB and
    equality in tests expect), every other value passed through ``leaf`` (dict keys stay as
    they are): the one walk for shapely's nested coordinate tuples and an audit diff's ids."""
    if isinstance(value, dict):
        return {k: json_tree(v, leaf) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_tree(v, leaf) for v in value]
    return leaf(value)


def install(app: Flask) -> None:
    app.json = OrjsonProvider(app)
