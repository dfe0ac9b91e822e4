"""The web worker's garbage-collector settings (``backend.gcpolicy``) are applied by the
gunicorn hook that runs once the app is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from backend.gcpolicy import YOUNG_THRESHOLD

CODE = """
import gc
from types import SimpleNamespace
from backend.observe import gunicorn_conf
before = gc.get_freeze_count()
gunicorn_conf.post_worker_init(SimpleNamespace())
print(before, gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_post_worker_init_freezes_the_loaded_heap_and_raises_the_threshold() -> None:
    # A child process: freezing the test runner's own heap would change every other test.
    out = subprocess.run(
        [sys.executable, "-c", CODE], check=True, capture_output=True, text=True
    ).stdout.split()
    before, after, threshold = map(int, out)
    assert before == 0 and after > 10_000  # the imported modules are now permanent
    assert threshold == YOUNG_THRESHOLD


def test_the_production_config_installs_the_hook() -> None:
    namespace: dict[str, object] = {}
    exec(Path("infra/gunicorn.conf.py").read_text(), namespace)
    from backend.observe.gunicorn_conf import post_worker_init

    assert namespace["post_worker_init"] is post_worker_init
