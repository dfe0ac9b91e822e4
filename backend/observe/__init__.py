"""Operators' view of the running system: Prometheus metrics and request ids in the logs.

``create_app`` calls ``observe.hooks.init_observability``; gunicorn loads
``observe.gunicorn_conf`` (multiprocess metrics, JSON logs). This package's ``__init__``
imports nothing on purpose: the gunicorn master must set ``PROMETHEUS_MULTIPROC_DIR`` before
prometheus-client is first imported. Metric names: ``docs/operations.md``.
"""
