"""Smoke test: the media benchmark runs end to end at a tiny size (subprocess workers too)."""

from bench import media


def test_media_bench_runs_at_tiny_size(capsys):
    result = media.main(["--photos", "2", "--size", "900x600"])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("RESULT media ms_per_photo=")
    assert result["ms_per_photo"] > 0 and result["speedup_vs_naive"] > 0
    assert 0 < result["peak_mb"] < 300
