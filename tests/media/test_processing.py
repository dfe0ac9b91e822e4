"""Pure Pillow checks: sniffing, bomb limits, damage, EXIF, renditions (no database)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from backend.errors import Invalid, TooLarge, UnsupportedMedia
from backend.media import processing
from tests.media.conftest import GPS_IFD, photo_bytes, png_header_only


def test_inspect_reads_format_size_orientation_and_capture_time():
    data = photo_bytes(640, 480, orientation=6, offset="+02:00")
    info = processing.inspect(data)
    assert (info.format, info.content_type) == ("JPEG", "image/jpeg")
    assert (info.width, info.height) == (480, 640)  # upright: orientation 6 swaps the edges
    assert info.captured_at == datetime(2026, 11, 20, 8, 11, 12, tzinfo=UTC)
    assert info.captured_at_raw == "2026:11:20 10:11:12"


@pytest.mark.parametrize("fmt,ct", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_accepted(fmt, ct):
    assert processing.inspect(photo_bytes(300, 200, fmt=fmt)).content_type == ct


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"hello, this is my photo\n" * 20, "plain text"),
        (b"GIF89a" + b"\x00" * 40, "GIF"),
        (b"%PDF-1.7\n" + b"\x00\xff" * 40, "PDF"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "HEIC"),
        (bytes(range(200, 256)) * 3, "not a recognisable image"),
    ],
)
def test_unsupported_content_is_415_with_a_precise_reason(data, needle):
    with pytest.raises(UnsupportedMedia) as err:
        processing.inspect(data)
    assert needle in err.value.message
    assert err.value.status == 415


def test_name_and_header_are_not_trusted_text_named_jpeg():
    # The bytes decide; a text file with a JPEG-ish start is still refused.
    with pytest.raises(UnsupportedMedia):
        processing.inspect(b"\xff\xd8 not really a jpeg, just text")


def test_empty_file_is_422():
    with pytest.raises(Invalid, match="empty"):
        processing.inspect(b"")


def test_decompression_bomb_20000_square_is_413_without_decoding():
    with pytest.raises(TooLarge) as err:
        processing.inspect(png_header_only(20_000, 20_000))
    assert err.value.status == 413


def test_pixel_limit_from_header_has_a_precise_message():
    data = png_header_only(8000, 7000)  # 56 MP: over the 50 MP limit, under Pillow's 2x fence
    with pytest.raises(TooLarge, match=r"8000x7000 pixels \(56.0 megapixels\); the limit is 50"):
        processing.inspect(data)
    with pytest.raises(TooLarge, match="limit is 1 megapixels"):
        processing.inspect(photo_bytes(1200, 900), max_pixels=1_000_000)


def test_bomb_check_keeps_memory_flat_in_a_fresh_process():
    """The 20,000 x 20,000 PNG would need 1.2 GB decoded; the check must not allocate it."""
    code = textwrap.dedent(
        """
        import resource
        from backend.errors import TooLarge
        from backend.media import processing
        from tests.media.conftest import png_header_only
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for size in (20_000, 30_000, 60_000):
            try:
                processing.inspect(png_header_only(size, size))
            except TooLarge:
                pass
            else:
                raise SystemExit("bomb accepted")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) < 20_000  # KiB: no decode happened


def test_truncated_jpeg_is_422():
    data = photo_bytes(800, 600)
    with pytest.raises(Invalid, match="damaged"):
        processing.inspect(data[: len(data) // 2])


def test_png_with_bad_crc_fails_verify():
    data = bytearray(photo_bytes(200, 100, fmt="PNG"))
    data[-30] ^= 0xFF  # inside the image data: the chunk CRC no longer matches
    with pytest.raises(Invalid, match="damaged"):
        processing.inspect(bytes(data))


def test_right_signature_damaged_header_is_422_not_415():
    data = bytearray(photo_bytes(200, 100, fmt="PNG"))
    data[12:16] = b"XXXX"  # the IHDR chunk type
    with pytest.raises(Invalid, match="starts like a PNG image but its header is damaged"):
        processing.inspect(bytes(data))


def test_renditions_sizes_orientation_and_no_personal_exif():
    data = photo_bytes(2400, 1800, orientation=6, two_tone=True)
    out = processing.make_renditions(data)
    assert set(out) == {"display", "thumb"}
    display = Image.open(io.BytesIO(out["display"].data))
    thumb = Image.open(io.BytesIO(out["thumb"].data))
    assert display.size == (1200, 1600) and max(thumb.size) == 320
    # Orientation 6 = rotate 90 degrees clockwise to view: the red top becomes the right side.
    rgb = display.convert("RGB")
    assert rgb.getpixel((1100, 800))[0] > 200 and rgb.getpixel((100, 800))[2] > 200
    for im in (display, thumb):
        exif = im.getexif()
        assert not exif.get_ifd(GPS_IFD) and 0x0112 not in exif and len(exif) == 0
        assert "xmp" not in im.info and "exif" not in im.info


def test_jpeg_is_decoded_in_draft_mode_never_at_full_size(monkeypatch):
    decoded: list[tuple[int, int]] = []
    original_load = JpegImageFile.load

    def spy(self):
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(JpegImageFile, "load", spy)
    processing.make_renditions(photo_bytes(3200, 2400))
    assert decoded and max(max(s) for s in decoded) == 1600  # 1/2 scale, not 3200


def test_small_image_is_not_upscaled_and_png_alpha_goes_on_white():
    im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    out = processing.make_renditions(buf.getvalue())
    display = Image.open(io.BytesIO(out["display"].data))
    assert display.size == (200, 100) and display.getpixel((5, 5)) == (255, 255, 255)


def test_pipeline_is_faster_than_naive_path():
    data = photo_bytes(3200, 2400, orientation=6)
    import time

    t0 = time.perf_counter()
    processing.make_renditions(data)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    processing.naive_renditions(data)
    naive = time.perf_counter() - t0
    assert fast < naive


@pytest.mark.parametrize(
    "raw,offset,expected",
    [
        ("2026:01:02 03:04:05", None, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026:01:02 03:04:05", "-05:00", datetime(2026, 1, 2, 8, 4, 5, tzinfo=UTC)),
        ("0000:00:00 00:00:00", None, None),
        ("garbage", None, None),
    ],
)
def test_parse_exif_time(raw, offset, expected):
    assert processing.parse_exif_time(raw, offset) == expected
