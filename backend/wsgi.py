"""WSGI entry point for gunicorn: ``gunicorn backend.wsgi:app``."""

from backend import create_app
from backend.logs import configure_logging

configure_logging()
app = create_app()
