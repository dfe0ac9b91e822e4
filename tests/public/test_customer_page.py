"""One customer page: the built PWA page carries the no-JS form inside its ``#root``."""

from __future__ import annotations

PWA = (
    "<!doctype html><title>PWA customer</title><script type=module src=/assets/c.js></script>"
    '<main id="root"><p class="boot">…</p></main>'
)


def test_built_page_holds_the_no_js_form(client, app, make_asset, tmp_path):
    asset = make_asset(name="Lift <A>")
    built = tmp_path / "customer.html"
    built.write_text(PWA, encoding="utf-8")
    app.config["PUBLIC_PWA_PAGE"] = str(built)
    try:
        res = client.get(f"/r/{asset.qr_token}")
    finally:
        app.config["PUBLIC_PWA_PAGE"] = "/nonexistent/customer.html"
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "PWA customer" in html and "/assets/c.js" in html
    root = html.split('<main id="root">')[1].split("</main>")[0]
    assert '<form method="post"' in root and 'name="description"' in root
    assert "Lift &lt;A&gt;" in root and 'class="boot"' not in root
    assert res.headers["Cache-Control"] == "no-store"
