"""Signatures to PNG with Pillow (pure: no database, no Flask).

Phones send the pen strokes (``[[[x, y], ...], ...]`` in any coordinate space) or a PNG. Both
become one normalised image: black ink on white, fitted into a fixed box with a margin, so
the report and the dispatcher see every signature at the same scale whatever the screen it
was drawn on. Strokes are drawn at 3x and downsampled for smooth edges. Deterministic: the
same strokes always give the same bytes, so the sha256 identifies the signature (write-once
checks compare it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, UnidentifiedImageError

from backend.errors import Invalid, TooLarge, UnsupportedMedia

WIDTH, HEIGHT = 600, 240
MARGIN = 16
SCALE = 3
INK = 3  # line width at the final scale
MAX_STROKES = 200
MAX_POINTS = 20_000
# Screen coordinates; bounded so the span can never overflow to infinity while scaling.
MAX_COORD = 1e7
MAX_PNG_BYTES = 1024 * 1024
MAX_PNG_PIXELS = 4_000_000


@dataclass(frozen=True)
class RenderedSignature:
    png: bytes
    sha256: str
    width: int
    height: int


def check_strokes(strokes: Any) -> list[list[tuple[float, float]]]:
    """Validate the strokes document, naming the first bad element precisely."""
    if not isinstance(strokes, list) or not strokes:
        raise Invalid(
            "signature.strokes must be a non-empty list of strokes",
            errors={"signature": {"strokes": ["a list of strokes, each a list of [x, y]"]}},
        )
    if len(strokes) > MAX_STROKES:
        raise Invalid(f"a signature may have at most {MAX_STROKES} strokes, got {len(strokes)}")
    out: list[list[tuple[float, float]]] = []
    total = 0
    for i, stroke in enumerate(strokes):
        if not isinstance(stroke, list) or not stroke:
            raise Invalid(f"signature.strokes[{i}] must be a non-empty list of [x, y] points")
        points: list[tuple[float, float]] = []
        for j, p in enumerate(stroke):
            if (
                not isinstance(p, list | tuple)
                or len(p) != 2
                or any(isinstance(v, bool) or not isinstance(v, int | float) for v in p)
                or not all(math.isfinite(v) and abs(v) <= MAX_COORD for v in p)
            ):
                raise Invalid(
                    f"signature.strokes[{i}][{j}] must be [x, y] with two finite numbers "
                    f"between -{MAX_COORD:g} and {MAX_COORD:g}, got {p!r}"
                )
            points.append((float(p[0]), float(p[1])))
        total += len(points)
        if total > MAX_POINTS:
            raise Invalid(f"a signature may have at most {MAX_POINTS} points in all")
        out.append(points)
    return out


def render_strokes(strokes: Any) -> RenderedSignature:
    paths = check_strokes(strokes)
    xs = [x for path in paths for x, _ in path]
    ys = [y for path in paths for _, y in path]
    min_x, min_y = min(xs), min(ys)
    span_x, span_y = max(xs) - min_x, max(ys) - min_y
    box_w, box_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    # Keep the aspect ratio; a signature that is a single dot or a flat line still fits.
    scale = min(box_w / span_x if span_x else math.inf, box_h / span_y if span_y else math.inf)
    if math.isinf(scale):
        scale = 1.0
    off_x = MARGIN + (box_w - span_x * scale) / 2
    off_y = MARGIN + (box_h - span_y * scale) / 2

    big = Image.new("L", (WIDTH * SCALE, HEIGHT * SCALE), 255)
    draw = ImageDraw.Draw(big)
    width = INK * SCALE
    radius = width / 2
    for path in paths:
        pts = [
            ((off_x + (x - min_x) * scale) * SCALE, (off_y + (y - min_y) * scale) * SCALE)
            for x, y in path
        ]
        if len(pts) > 1:
            draw.line(pts, fill=0, width=width, joint="curve")
        for px, py in (pts[0], pts[-1]) if len(pts) > 1 else pts:  # round caps / dots
            draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=0)
    image = big.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return _encode(image)


def normalise_png(png_base64: str) -> RenderedSignature:
    """Decode a PNG signature, refusing anything that is not a sane PNG, and re-encode it
    flattened onto white at the standard size."""
    try:
        data = base64.b64decode(png_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(
            "signature.png_base64 is not valid base64",
            errors={"signature": {"png_base64": ["invalid base64"]}},
        ) from exc
    if len(data) > MAX_PNG_BYTES:
        raise TooLarge(f"signature PNG is {len(data)} bytes; at most {MAX_PNG_BYTES} allowed")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != "PNG":
                raise UnsupportedMedia(f"signature must be a PNG image, got {probe.format}")
            w, h = probe.size
            if w * h > MAX_PNG_PIXELS:
                raise TooLarge(f"signature PNG is {w}x{h} pixels; at most {MAX_PNG_PIXELS}")
            probe.verify()
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            rgba = im.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia(f"signature.png_base64 is not a readable PNG image: {exc}") from exc
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, rgba).convert("L")
    flat.thumbnail((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    canvas = Image.new("L", (WIDTH, HEIGHT), 255)
    canvas.paste(flat, ((WIDTH - flat.width) // 2, (HEIGHT - flat.height) // 2))
    return _encode(canvas)


def _encode(image: Image.Image) -> RenderedSignature:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    png = buf.getvalue()
    return RenderedSignature(png, hashlib.sha256(png).hexdigest(), image.width, image.height)


def render(signature: dict[str, Any]) -> tuple[RenderedSignature, list[Any] | None]:
    """``{"strokes": ...}`` or ``{"png_base64": ...}`` -> (image, strokes kept for audit)."""
    if not isinstance(signature, dict):
        raise Invalid("signature must be an object with strokes or png_base64")
    has_strokes, has_png = "strokes" in signature, "png_base64" in signature
    if has_strokes == has_png:
        raise Invalid(
            "signature needs exactly one of strokes or png_base64",
            errors={"signature": ["give strokes or png_base64 (not both)"]},
        )
    if has_strokes:
        return render_strokes(signature["strokes"]), signature["strokes"]
    if not isinstance(signature["png_base64"], str):
        raise Invalid("signature.png_base64 must be a base64 string")
    return normalise_png(signature["png_base64"]), None
