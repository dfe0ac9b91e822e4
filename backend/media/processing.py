"""Pillow work on untrusted images: sniffing, bomb checks, metadata and renditions.

Everything here is pure (bytes in, values out) so the job, the API and the benchmark share it
and it can be measured without a database.

Safety order for an upload (``inspect``): our own magic-byte check of what the file is, then
``Image.open`` restricted to JPEG/PNG/WebP (header only, nothing decoded), then the pixel
limit from the header dimensions, then ``Image.verify()``; only after that is anything
decoded, and a JPEG is probed at 1/8 scale so even the probe is cheap. Pillow's own
``MAX_IMAGE_PIXELS`` is set as a second fence: anything beyond twice it raises
``DecompressionBombError`` at open, which we turn into 413.

Renditions (``make_renditions``) decode a JPEG in draft mode (libjpeg scales by 1/2, 1/4 or
1/8 while decoding); a PNG or WebP is decoded full size once and reduced tile by tile, so no
second full-size copy exists. What that one decode may cost is bounded at upload
(``check_decode_budget``: bytes = width x height x bytes per pixel of the mode), so anything
accepted renders within the media benchmark's 300 MB peak. Each smaller rendition is derived
from the previous one with ``reduce`` + Lanczos, and the EXIF orientation applied on the
small result. They are written as fresh JPEGs
with no EXIF or XMP at all (GPS, device serials, owner names go), only the ICC profile.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from PIL import Image, UnidentifiedImageError

from backend.config import Config
from backend.errors import Invalid, TooLarge, UnsupportedMedia

ACCEPTED: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CONTENT_TYPES = tuple(ACCEPTED.values())
# The limits' defaults are settings (backend.config.Config says why each is what it is).
DEFAULT_MAX_PIXELS = Config.PHOTO_MAX_PIXELS
DEFAULT_PUBLIC_MAX_PIXELS = Config.PUBLIC_PHOTO_MAX_PIXELS
DEFAULT_DECODE_BUDGET = Config.PHOTO_DECODE_BUDGET_BYTES
# Pillow's WebP decoder holds the frame about four times over while it loads (measured:
# a 4096 x 4096 RGBA WebP peaked at 301 MB), so a WebP pixel counts four times.
WEBP_COPIES = 4
TILE = 1024  # side of the tiles a full-size image is reduced in
DEFAULT_SIZES: dict[str, int] = {"display": 1600, "thumb": 320}
JPEG_QUALITY = {"display": 82, "thumb": 75}

# Second fence behind the explicit header check: Pillow refuses (DecompressionBombError)
# anything over twice this at ``open`` and we never decode before checking the header.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS

_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_TAG_ORIENTATION = 0x0112
_TAG_DATETIME = 0x0132
_IFD_EXIF = 0x8769
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_OFFSET_TIME_ORIGINAL = 0x9011

# Signatures of formats people send by mistake, to say precisely what was refused.
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"%PDF", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"PK\x03\x04", "ZIP"),
    (b"<svg", "SVG"),
    (b"<?xml", "XML/SVG"),
)
_HINT = "send a JPEG, PNG or WebP photo"


@dataclass(frozen=True)
class ImageInfo:
    format: str
    content_type: str
    width: int  # upright (orientation applied)
    height: int
    orientation: int
    captured_at: datetime | None
    captured_at_raw: str | None


@dataclass(frozen=True)
class Rendition:
    name: str
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def sniff_unsupported(data: bytes) -> str:
    """A precise reason why ``data`` is not an accepted image (for the 415 answer)."""
    head = data[:32]
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypavif"):
        kind = "AVIF" if head[8:12] == b"avif" else "HEIC/HEIF"
        return f"{kind} images are not accepted; {_HINT} (or set the camera to 'Most Compatible')"
    for magic, name in _OTHER_FORMATS:
        if head.lstrip().startswith(magic):
            return f"the file is a {name} document, not an accepted image; {_HINT}"
    sample = data[:4096]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
        return f"the file is plain text, not an image; {_HINT}"
    return f"the file is not a recognisable image (it starts with 0x{head[:8].hex()}); {_HINT}"


def _claimed_format(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def _open(data: bytes) -> Image.Image:
    """Open (header only) as one of the accepted formats, mapping every failure to a 4xx."""
    if not data:
        raise Invalid("the uploaded file is empty", errors={"file": ["empty file"]})
    with warnings.catch_warnings():
        # Between 1x and 2x MAX_IMAGE_PIXELS Pillow only warns; our explicit check decides.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=list(ACCEPTED))
        except Image.DecompressionBombError as exc:
            raise TooLarge(
                f"image dimensions are far beyond the pixel limit: {exc}",
                errors={"file": ["too many pixels"]},
            ) from exc
        except UnidentifiedImageError as exc:
            claimed = _claimed_format(data)
            if claimed:  # right signature, unreadable header: damaged, not unsupported
                raise Invalid(
                    f"the file starts like a {claimed} image but its header is damaged",
                    errors={"file": ["damaged image"]},
                ) from exc
            raise UnsupportedMedia(
                sniff_unsupported(data), errors={"file": ["unsupported"]}
            ) from exc
        except Exception as exc:  # a parser choking on a hostile header is bad input, not a 500
            raise Invalid(
                f"the image header is damaged ({exc.__class__.__name__}: {exc})",
                errors={"file": ["damaged image"]},
            ) from exc


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise Invalid(f"image has no pixels ({width}x{height})", errors={"file": ["empty image"]})
    if width * height > max_pixels:
        raise TooLarge(
            f"image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {max_pixels / 1e6:g} megapixels",
            errors={"file": ["too many pixels"]},
            width=width,
            height=height,
            max_pixels=max_pixels,
        )


def _jpeg_draft_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """The size libjpeg decodes to after ``draft(draft_request(size, long_edge))`` (Pillow
    picks the largest scale 1/8, 1/4, 1/2 that still covers the request)."""
    w, h = size
    rw, rh = draft_request(size, long_edge)
    ratio = min(w // rw, h // rh)
    scale = next(s for s in (8, 4, 2, 1) if ratio >= s)
    return (w + scale - 1) // scale, (h + scale - 1) // scale


def decode_bytes(im: Image.Image, long_edge: int = max(DEFAULT_SIZES.values())) -> int:
    """Bytes the one full-size decode of a rendition holds: the image at its decoded size
    (JPEG: at draft scale) times Pillow's bytes per pixel for its mode; times ``WEBP_COPIES``
    for WebP, whose decoder holds buffers of its own that Pillow then copies."""
    w, h = _jpeg_draft_size(im.size, long_edge) if im.format == "JPEG" else im.size
    mode = im.mode
    per_pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    if im.format == "JPEG" and mode not in ("L", "CMYK"):
        per_pixel = 4  # drafted to RGB
    cost = w * h * per_pixel
    return cost * WEBP_COPIES if im.format == "WEBP" else cost


def check_decode_budget(im: Image.Image, budget: int = DEFAULT_DECODE_BUDGET) -> None:
    """413 when rendering ``im`` would decode more than ``budget`` bytes at once: the pixel
    limit alone let a 190 KB 7000 x 7000 RGBA PNG through, and its rendition peaked at
    753 MB. JPEGs decode reduced, so only PNG/WebP of many megapixels hit this."""
    cost = decode_bytes(im)
    if cost > budget:
        w, h = im.size
        raise TooLarge(
            f"a {w}x{h} {im.mode} {im.format} image needs {cost / 2**20:.0f} MB to decode; "
            f"the limit is {budget / 2**20:.0f} MB: send a smaller image, or a JPEG",
            errors={"file": ["too large to decode"]},
            width=w,
            height=h,
            decode_mb=round(cost / 2**20),
            budget_mb=round(budget / 2**20),
        )


def inspect(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decode_budget: int = DEFAULT_DECODE_BUDGET,
) -> ImageInfo:
    """Validate an upload and read what the database keeps about it. Raises 413/415/422.
    Anything accepted here renders within ``decode_budget`` (``make_renditions``)."""
    im = _open(data)
    fmt = im.format or ""
    width, height = im.size
    check_pixels(width, height, max_pixels)
    check_decode_budget(im, decode_budget)
    try:
        im.verify()
    except Exception as exc:
        raise Invalid(
            f"the {fmt} image is damaged ({exc.__class__.__name__}: {exc})",
            errors={"file": ["damaged image"]},
        ) from exc
    im = _open(data)  # verify() leaves the image unusable
    orientation, captured_at, raw = read_exif(im)
    if fmt == "JPEG":
        # A truncated JPEG passes verify(); decoding at 1/8 scale catches it for ~1% the cost.
        try:
            im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            im.load()
        except Exception as exc:
            raise Invalid(
                f"the JPEG image is damaged or truncated ({exc})",
                errors={"file": ["damaged image"]},
            ) from exc
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(fmt, ACCEPTED[fmt], width, height, orientation, captured_at, raw)


def read_exif(im: Image.Image) -> tuple[int, datetime | None, str | None]:
    """(orientation, capture time in UTC, raw EXIF time text). Never raises: bad EXIF is
    common on real phones and must not cost the photo."""
    try:
        exif = im.getexif()
        orientation = int(exif.get(_TAG_ORIENTATION, 1) or 1)
        sub = exif.get_ifd(_IFD_EXIF)
        raw = sub.get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME)
        offset = sub.get(_TAG_OFFSET_TIME_ORIGINAL)
    except Exception:
        return 1, None, None
    if orientation not in range(1, 9):
        orientation = 1
    if not isinstance(raw, str):
        return orientation, None, None
    raw = raw.strip("\x00 ")[:40]
    return orientation, parse_exif_time(raw, offset if isinstance(offset, str) else None), raw


def parse_exif_time(raw: str, offset: str | None = None) -> datetime | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (+ ``±HH:MM`` offset) -> aware UTC; no offset = UTC."""
    try:
        local = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    tz = UTC
    if offset:
        try:
            sign = -1 if offset.strip().startswith("-") else 1
            hours, minutes = offset.strip().lstrip("+-").split(":")[:2]
            tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        except (ValueError, TypeError):
            tz = UTC
    return local.replace(tzinfo=tz).astimezone(UTC)


def draft_request(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """The size to ask ``Image.draft`` for so the decoded image still has ``long_edge``."""
    w, h = size
    scale = long_edge / max(w, h)
    if scale >= 1:
        return w, h
    return max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))


def fit(
    im: Image.Image, long_edge: int, resample: Image.Resampling = Image.Resampling.BICUBIC
) -> Image.Image:
    """Scale down so the long edge is ``long_edge`` (never up): integer ``reduce`` while the
    image is still over twice the target (cheap box filter), then an antialiased filter.
    Bicubic (Pillow's ``thumbnail`` default) costs ~25% less than Lanczos on the big step
    with no visible difference at these ratios; the small thumb step uses Lanczos."""
    w, h = im.size
    if max(w, h) <= long_edge:
        return im
    scale = long_edge / max(w, h)
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    factor = min(w // target[0], h // target[1]) // 2
    if factor >= 2:
        im = im.reduce(factor)
    return im.resize(target, resample)


def _flatten(im: Image.Image) -> Image.Image:
    """RGB for JPEG output; transparent areas go on white (what a viewer expects)."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return im.convert("RGB")


def _reducible(im: Image.Image) -> Image.Image:
    """A mode ``Image.reduce`` averages correctly (palette indices cannot be averaged)."""
    if im.mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode == "1":
        return im.convert("L")
    if im.mode.startswith("I;16"):
        return im.convert("I")
    return im


def reduce_flat(im: Image.Image, long_edge: int) -> Image.Image:
    """An RGB image of at least ``long_edge`` (and under twice it) from ``im``, holding no
    second full-size copy: the full-size image is reduced (box filter, integer factor) and
    flattened tile by tile. ``convert``, alpha compositing and ``reduce`` itself (which
    premultiplies RGBA into a new image) each made a full-size copy; with a 49 MP RGBA PNG
    that was three copies of 196 MB. Tiles start at multiples of the factor, so the result
    is the same as reducing the whole image at once."""
    w, h = im.size
    scale = long_edge / max(w, h)
    factor = max(1, min(w // max(1, round(w * scale)), h // max(1, round(h * scale))))
    if scale >= 1 or factor < 2:
        return _flatten(im)  # under twice the target: small enough to copy
    im.load()
    out = Image.new("RGB", ((w + factor - 1) // factor, (h + factor - 1) // factor))
    step = factor * max(1, TILE // factor)
    for top in range(0, h, step):
        for left in range(0, w, step):
            tile = im.crop((left, top, min(w, left + step), min(h, top + step)))
            out.paste(_flatten(_reducible(tile).reduce(factor)), (left // factor, top // factor))
    return out


def orient(im: Image.Image, orientation: int) -> Image.Image:
    op = _ORIENT.get(orientation)
    return im.transpose(op) if op is not None else im


def make_renditions(
    data: bytes,
    *,
    sizes: dict[str, int] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decode_budget: int = DEFAULT_DECODE_BUDGET,
) -> dict[str, Rendition]:
    """Every rendition of ``data``, largest first, each derived from the previous one."""
    sizes = sizes or DEFAULT_SIZES
    largest = max(sizes.values())
    im = _open(data)
    check_pixels(*im.size, max_pixels)
    check_decode_budget(im, decode_budget)
    orientation, _, _ = read_exif(im)
    icc = im.info.get("icc_profile")
    if im.format == "JPEG":
        im.draft("RGB", draft_request(im.size, largest))
    base = reduce_flat(im, largest)  # the one decode, at draft scale for JPEG
    del im
    out: dict[str, Rendition] = {}
    for name, edge in sorted(sizes.items(), key=lambda kv: -kv[1]):
        big = base.width * base.height > 1_000_000
        base = fit(base, edge, Image.Resampling.BICUBIC if big else Image.Resampling.LANCZOS)
        upright = orient(base, orientation)
        buf = io.BytesIO()
        save_kw = {"quality": JPEG_QUALITY.get(name, 80)}
        if icc:
            save_kw["icc_profile"] = icc
        upright.save(buf, "JPEG", **save_kw)  # no exif=/xmp=: nothing personal is written
        out[name] = Rendition(name, buf.getvalue(), upright.width, upright.height)
    return out


def naive_renditions(data: bytes, sizes: dict[str, int] | None = None) -> dict[str, Rendition]:
    """The obvious Pillow path (full decode, ``thumbnail`` per size, save): the benchmark's
    baseline, kept here so both paths are measured on identical inputs."""
    from PIL import ImageOps

    sizes = sizes or DEFAULT_SIZES
    out: dict[str, Rendition] = {}
    for name, edge in sizes.items():
        opened = Image.open(io.BytesIO(data))
        opened.load()
        im = ImageOps.exif_transpose(opened).convert("RGB")
        im.thumbnail((edge, edge))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=JPEG_QUALITY.get(name, 80))
        out[name] = Rendition(name, buf.getvalue(), im.width, im.height)
    return out
