"""Pure parts of sign-off: signature rendering and completion rules."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from backend.errors import Invalid, TooLarge, UnsupportedMedia
from backend.signoff.rules import Evidence, missing, parse_rules, requirements_for
from backend.signoff.signature import HEIGHT, WIDTH, render

STROKES = [[[10, 80], [40, 20], [70, 90], [100, 30]], [[120, 60], [180, 60]], [[200, 40]]]


def test_strokes_render_to_a_deterministic_png():
    image, kept = render({"strokes": STROKES})
    again, _ = render({"strokes": STROKES})
    assert kept == STROKES and image.sha256 == again.sha256 and image.png == again.png
    with Image.open(io.BytesIO(image.png)) as im:
        assert im.format == "PNG" and im.size == (WIDTH, HEIGHT)
        gray = im.convert("L")
        dark = sum(gray.histogram()[:128])
        assert 500 < dark < WIDTH * HEIGHT // 4  # ink drawn, not a filled box
        assert gray.getpixel((0, 0)) == 255  # white background, margin kept
    other, _ = render({"strokes": [[[0, 0], [5, 5]]]})
    assert other.sha256 != image.sha256


def test_png_signature_is_normalised():
    im = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    for x in range(20, 280):
        im.putpixel((x, 50), (0, 0, 0, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    rendered, strokes = render({"png_base64": base64.b64encode(buf.getvalue()).decode()})
    assert strokes is None
    with Image.open(io.BytesIO(rendered.png)) as out:
        assert out.size == (WIDTH, HEIGHT)
        assert out.convert("L").getpixel((0, 0)) == 255  # transparency flattened onto white


@pytest.mark.parametrize(
    ("signature", "error", "words"),
    [
        ({}, Invalid, "exactly one"),
        ({"strokes": []}, Invalid, "non-empty"),
        ({"strokes": [[[1, 2], [3]]]}, Invalid, "strokes[0][1]"),
        ({"strokes": [[[1, float("nan")]]]}, Invalid, "finite"),
        ({"strokes": [[[True, 2]]]}, Invalid, "two finite numbers"),
        ({"strokes": [[[1e308, 1e308], [-1e308, -1e308]]]}, Invalid, "between"),
        ({"strokes": STROKES, "png_base64": "x"}, Invalid, "exactly one"),
        ({"png_base64": "not base64!"}, Invalid, "base64"),
        ({"png_base64": base64.b64encode(b"GIF89a....").decode()}, UnsupportedMedia, "PNG"),
    ],
)
def test_bad_signatures_are_refused_precisely(signature, error, words):
    with pytest.raises(error) as info:
        render(signature)
    assert words in info.value.message


def test_jpeg_and_huge_png_refused():
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "JPEG")
    with pytest.raises(UnsupportedMedia, match="PNG"):
        render({"png_base64": base64.b64encode(buf.getvalue()).decode()})
    big = io.BytesIO()
    Image.new("1", (5000, 5000)).save(big, "PNG")  # tiny file, 25 megapixels
    with pytest.raises(TooLarge, match="pixels"):
        render({"png_base64": base64.b64encode(big.getvalue()).decode()})


def test_completion_rules_layers():
    default = requirements_for("P3", [])
    assert (default.signature, default.photos, default.parts) == (True, 0, True)
    assert requirements_for("P1", []).photos == 1
    rules = parse_rules(
        '{"default": {"signature": true, "parts": true},'
        ' "priority": {"P1": {"photos": 2}},'
        ' "category": {"inspection": {"parts": false}, "electrical": {"photos": 3, "parts": true}}}'
    )
    assert requirements_for("P1", [], rules).photos == 2
    assert requirements_for("P4", ["inspection"], rules).parts is False
    both = requirements_for("P4", ["inspection", "electrical"], rules)
    assert both.parts is True and both.photos == 3  # the strictest category wins
    req = requirements_for("P1", [])
    assert missing(req, Evidence(False, 0, False)) == ["signature", "photos", "parts"]
    assert missing(req, Evidence(True, 1, True)) == []


@pytest.mark.parametrize(
    "raw",
    ['{"default": {"photos": -1}}', '{"default": {"signature": 1}}', '{"nope": {}}', "[1]"],
)
def test_bad_rule_configuration_fails_loudly(raw):
    with pytest.raises(ValueError, match="COMPLETION_RULES"):
        parse_rules(raw)


def test_bad_rules_refuse_to_start():
    """The sign-off blueprint validates COMPLETION_RULES when an app registers it (a probe
    app, so the session's app and the global extensions are left alone)."""
    from flask import Flask
    from flask_smorest import Api

    from backend.api.signoff import blp

    probe = Flask("probe")
    probe.config.update(
        API_TITLE="probe",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        COMPLETION_RULES='{"default": {"photos": "two"}}',
    )
    with pytest.raises(ValueError, match="photos must be an integer"):
        Api(probe).register_blueprint(blp)
