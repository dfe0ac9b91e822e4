"""Media benchmark: the rendition pipeline vs a naive Pillow path on 12-megapixel photos.

Generates seeded, photo-like 4000 x 3000 JPEGs (smooth gradients, low-frequency texture,
sensor noise; EXIF orientation, GPS and capture time), then runs each path in its own fresh
subprocess so its peak RSS (``ru_maxrss``) is the memory a worker would need:

- pipeline: ``backend.media.processing.make_renditions`` (JPEG draft decode, reduce +
  resample, orientation on the small image, display 1600 px + thumb 320 px, EXIF stripped);
- naive: full decode, ``exif_transpose``, ``thumbnail`` and save, once per rendition.

Both produce the same two renditions from the same bytes. ``ms_per_photo`` is the worker
thread's CPU time per photo (both renditions): the pipeline is single-threaded, so that is its
latency on a free core, and it stays meaningful on a shared, overloaded machine; the wall-clock
mean is printed next to it (and appended to the RESULT line). Ends with
``RESULT media ms_per_photo=<n> speedup_vs_naive=<n> peak_mb=<n> wall_ms_per_photo=<n>``.

    .venv/bin/python bench/media.py --quick      # 6 photos, well under a minute
    .venv/bin/python bench/media.py              # 20 photos
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"ms_per_photo": 250.0, "speedup": 3.0, "peak_mb": 300.0}


def make_photo(seed: int, width: int = 4000, height: int = 3000) -> bytes:
    """A seeded photo-like JPEG (quality 90, ~2-4 MB like a phone's) with personal EXIF."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    a, b, c = rng.uniform(0.5, 6, 3)
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 60 + 150 * x * (0.6 + 0.4 * np.sin(a * y))
    img[..., 1] = 40 + 170 * y * (0.6 + 0.4 * np.cos(b * x))
    img[..., 2] = 120 + 100 * np.sin(c * x + a * y)
    # Scene texture: coarse noise upsampled (surfaces, foliage), then per-pixel sensor noise.
    coarse = rng.normal(0, 28, (height // 32, width // 32, 3)).astype(np.float32)
    coarse_im = Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8))
    img += np.asarray(coarse_im.resize((width, height), Image.Resampling.BICUBIC), np.float32)
    img -= 128
    img += rng.normal(0, 5, (height, width, 3)).astype(np.float32)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = int(rng.choice([1, 3, 6, 8]))
    exif[0x010F], exif[0x0110] = "Phone Maker", "Model X"
    exif.get_ifd(0x8825).update(
        {1: "N", 2: (52.0, 31.0, float(seed % 60)), 3: "E", 4: (13.0, 24.0, 5.0)}
    )
    exif.get_ifd(0x8769)[0x9003] = f"2026:11:{1 + seed % 28:02d} 10:11:12"
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def worker(mode: str, files: list[str]) -> None:
    """Runs in a fresh process: one warm-up, then each photo timed; prints JSON."""
    from backend.media import processing

    run = processing.make_renditions if mode == "pipeline" else processing.naive_renditions
    blobs = [Path(f).read_bytes() for f in files]
    run(blobs[0])  # warm-up: imports, codec init
    times, cpu, sizes = [], [], []
    for data in blobs:
        t0, c0 = time.perf_counter(), time.thread_time()
        out = run(data)
        cpu.append((time.thread_time() - c0) * 1000)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append({k: [v.width, v.height] for k, v in out.items()})
    # Linux keeps ru_maxrss across execve, so a child of a big process (pytest) would report
    # its parent's peak; VmHWM belongs to this address space alone and is preferred.
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = _vm_hwm_mb()
    print(
        json.dumps(
            {
                "ms": times,
                "cpu_ms": cpu,
                "peak_mb": hwm if hwm is not None else peak_kb / 1024,
                "maxrss_mb": peak_kb / 1024,
                "hwm_mb": hwm,
                "sizes": sizes,
            }
        )
    )


def _vm_hwm_mb() -> float | None:
    """Peak RSS of this address space (Linux), a cross-check of ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def generate(seed: int, count: int, width: int, height: int, folder: str) -> None:
    for i in range(count):
        path = Path(folder) / f"photo-{i:03d}.jpg"
        path.write_bytes(make_photo(seed + i, width, height))


def run_worker(mode: str, files: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, *files],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_output(data: bytes) -> None:
    """The pipeline's renditions carry no EXIF (so no GPS) and the right long edges."""
    from PIL import Image

    from backend.media import processing

    long_edge = max(Image.open(io.BytesIO(data)).size)
    for name, r in processing.make_renditions(data).items():
        im = Image.open(io.BytesIO(r.data))
        assert len(im.getexif()) == 0, f"{name} still has EXIF"
        expected = min(long_edge, processing.DEFAULT_SIZES[name])
        assert max(im.size) == expected, (name, im.size)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 photos")
    parser.add_argument("--photos", type=int, default=None)
    parser.add_argument("--size", default="4000x3000", help="photo size WxH (12 MP default)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    count = args.photos or (6 if args.quick else 20)
    if args.worker:
        worker(args.worker[0], args.worker[1:])
        return {}
    if args.generate:
        generate(args.seed, count, width, height, args.generate)
        return {}
    with tempfile.TemporaryDirectory(prefix="fieldops-bench-media-") as tmp:
        t0 = time.perf_counter()
        # Generated in a child too: on Linux a child's ru_maxrss starts from its parent's
        # high-water mark, so this process must stay small for the workers' peaks to be true.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--generate",
                tmp,
                "--photos",
                str(count),
                "--size",
                args.size,
                "--seed",
                str(args.seed),
            ],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        files = sorted(str(p) for p in Path(tmp).glob("photo-*.jpg"))
        avg_mb = statistics.mean(os.path.getsize(f) for f in files) / 2**20
        print(
            f"generated {count} photos {width}x{height} (avg {avg_mb:.1f} MB) "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        check_output(Path(files[0]).read_bytes())
        fast = run_worker("pipeline", files)
        naive = run_worker("naive", files)
    # The pipeline is single-threaded, so its CPU time is its latency on an idle core; on a
    # shared, overloaded machine wall time also counts the time spent waiting for a core.
    fast_ms, naive_ms = statistics.mean(fast["cpu_ms"]), statistics.mean(naive["cpu_ms"])
    print(f"{'path':<10}{'cpu ms':>10}{'wall ms':>10}{'max wall':>10}{'peak MB':>10}{'HWM MB':>10}")
    for name, res in (("pipeline", fast), ("naive", naive)):
        print(
            f"{name:<10}{statistics.mean(res['cpu_ms']):>10.1f}{statistics.mean(res['ms']):>10.1f}"
            f"{max(res['ms']):>10.1f}{res['peak_mb']:>10.1f}{res['hwm_mb'] or 0:>10.1f}"
        )
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"renditions (first photo): {fast['sizes'][0]}")
    result = {
        "ms_per_photo": round(fast_ms, 1),
        "speedup_vs_naive": round(naive_ms / fast_ms, 2),
        "peak_mb": round(fast["peak_mb"], 1),
        "wall_ms_per_photo": round(statistics.mean(fast["ms"]), 1),
    }
    ok = (
        result["ms_per_photo"] <= TARGETS["ms_per_photo"]
        and result["speedup_vs_naive"] >= TARGETS["speedup"]
        and result["peak_mb"] < TARGETS["peak_mb"]
    )
    print("targets: <= 250 ms/photo, >= 3x naive, peak < 300 MB -> " + ("met" if ok else "NOT met"))
    print(
        f"RESULT media ms_per_photo={result['ms_per_photo']} "
        f"speedup_vs_naive={result['speedup_vs_naive']} peak_mb={result['peak_mb']} "
        f"wall_ms_per_photo={result['wall_ms_per_photo']}"
    )
    return result


if __name__ == "__main__":
    main()
