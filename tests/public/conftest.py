import pytest


@pytest.fixture(autouse=True)
def _server_rendered_pages(app):
    """These tests exercise the server-rendered pages; a built PWA (mobile_pwa/dist) would
    replace them, so point the PWA page at a file that does not exist."""
    previous = app.config.get("PUBLIC_PWA_PAGE")
    app.config["PUBLIC_PWA_PAGE"] = "/nonexistent/customer.html"
    yield
    app.config["PUBLIC_PWA_PAGE"] = previous
