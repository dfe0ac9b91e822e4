"""``/api/docs`` points at Swagger UI's files on this server (``/swagger-ui/``), and those are
served from the PWA build; without a build they answer a 404 that says how to build them."""

from __future__ import annotations


def test_docs_page_loads_swagger_ui_from_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="/swagger-ui/swagger-ui-bundle.js"' in html
    assert "cdn." not in html and "https://" not in html


def test_swagger_ui_files_come_from_the_build(app, client, tmp_path, monkeypatch):
    (tmp_path / "swagger-ui").mkdir()
    (tmp_path / "swagger-ui" / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = 1;")
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path))
    got = client.get("/swagger-ui/swagger-ui-bundle.js")
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("text/javascript")
    assert got.get_data(as_text=True) == "window.SwaggerUIBundle = 1;"
    (tmp_path / "secret.js").write_text("not Swagger UI")
    escape = client.get("/swagger-ui/..%2fsecret.js")  # a way out of the directory
    assert escape.status_code == 404 and "not Swagger UI" not in escape.get_data(as_text=True)
    missing = client.get("/swagger-ui/other.js")
    assert missing.status_code == 404 and "no such file" in missing.json["message"]


def test_without_a_build_the_answer_says_how_to_build(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path / "absent"))
    got = client.get("/swagger-ui/swagger-ui.css")
    assert got.status_code == 404
    assert "npm run build" in got.json["message"]
