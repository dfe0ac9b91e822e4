"""The customer page: one page per QR link, whose content works without JavaScript.

There is one customer page, the PWA's ``customer.html`` (``mobile_pwa/``, built to
``mobile_pwa/dist/customer.html``, or ``PUBLIC_PWA_PAGE``). Its script renders the rich
version (photos, polling, languages) into ``<main id="root">``; the server fills that element
first with the same content as plain HTML (the report form, the tracking view with its rating
form, posted as ordinary forms), so the page is usable before and without JavaScript. When the
PWA is not built (tests, an API-only deployment) the content is wrapped in the small
``public/base.html`` shell instead. Error pages (unknown code, 413, 429) are plain pages: there
is nothing for a script to add.

Templates are autoescaped; responses are never cached (they hold a ticket's state).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Response, make_response, render_template, request
from markupsafe import Markup

from backend.config import settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
PWA_PAGE = Path(__file__).resolve().parents[2] / "mobile_pwa" / "dist" / "customer.html"
_ROOT = re.compile(r'(<main id="root"[^>]*>).*?(</main>)', re.DOTALL)


def _respond(html: str, status: int) -> Response:
    response = make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _pwa_shell() -> str | None:
    page = Path(settings().PUBLIC_PWA_PAGE or PWA_PAGE)
    return page.read_text(encoding="utf-8") if page.is_file() else None


def customer_page(template: str, title: str, status: int = 200, **context: Any) -> Response:
    """The customer page with ``public/<template>`` (a fragment) as its no-JS content."""
    content = render_template(f"public/{template}", **context)
    shell = _pwa_shell()
    if shell is None:
        page = render_template("public/base.html", title=title, content=Markup(content))
        return _respond(page, status)
    # A lambda, so backslashes in the content are not read as group references.
    return _respond(_ROOT.sub(lambda m: m[1] + content + m[2], shell, count=1), status)


def not_found_page() -> Response:
    return _respond(render_template("public/not_found.html"), 404)


def error_page(code: int) -> Response:
    phrase = HTTPStatus(code).phrase
    return _respond(render_template("public/error.html", code=code, phrase=phrase), code)


def browser_language() -> str | None:
    """The customer page language the browser prefers (``Accept-Language``), for a report
    that did not say (the no-JS form, an older page): the language of its status emails."""
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"])
    if best is None:
        return None
    return "zh-CN" if best.lower().startswith("zh") else "en"
