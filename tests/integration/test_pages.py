"""The pages as HTML over HTTP: branding and limits from settings and rules, the vetted sign-in target, the
static files' names and caching, compression, labels and autocomplete, and forms that need their script."""

from __future__ import annotations

import json
import re

import pytest

from entrypoints.web.assets import build_assets

PAGES = ["/", "/login", "/register", "/forgot-password", "/terms", "/privacy"]


def html(client, path: str, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def page_rules(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="page-rules">(.*?)</script>', page, re.S)[1])


# --- branding ------------------------------------------------------------------------------------------


def test_site_name_and_header_links_have_account_service_defaults(client):
    page = html(client, "/")
    assert "<title>首页 - 账号中心</title>" in page
    assert "正心" not in page
    assert re.findall(r'<ul class="site-links">(.*?)</ul>', page, re.S)
    links = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', page.split('<nav class="site-nav"')[1])
    assert links[:2] == [("/", "首页"), ("/terms", "用户协议")]


def test_site_name_and_header_links_come_from_settings(make_app, sms, captcha):
    from tests.conftest import ApiClient

    app = make_app(SITE_NAME="云帆<通行证>", HEADER_LINKS='[["帮助中心", "https://help.example.com/"]]')
    page = html(ApiClient(app, sms, captcha), "/login")
    assert "<title>登录 - 云帆&lt;通行证&gt;</title>" in page
    assert '<a href="https://help.example.com/">帮助中心</a>' in page
    assert ">首页</a>" not in page


@pytest.mark.parametrize(
    "links",
    [
        '[["脚本", "javascript:alert(1)"]]',
        '[["没有地址"]]',
        '{"a": "/"}',
        '[["另一台主机", "//evil.example/"]]',
        "not json",
    ],
)
def test_malformed_header_links_stop_the_app_at_start(make_app, links):
    with pytest.raises(ValueError):
        make_app(HEADER_LINKS=links)


# --- rules rendered, never repeated -------------------------------------------------------------------


def test_pages_get_their_limits_from_the_rules(make_app, sms, captcha):
    from tests.conftest import ApiClient

    app = make_app(
        RULES={"sms_cooldown": __import__("datetime").timedelta(seconds=90), "nickname_max": 20, "password_min": 10}
    )
    page = html(ApiClient(app, sms, captcha), "/register")
    assert page_rules(page) == {
        "mobilePattern": "1[3-9][0-9]{9}",
        "smsCooldown": 90,
        "nicknameMax": 20,
        "passwordMin": 10,
        "passwordMax": 128,
    }
    assert "1-20 个字符" in page and "10-128 个字符" in page
    assert 'pattern="1[3-9][0-9]{9}"' in page


def test_no_script_repeats_a_limit():
    """The numbers live in domain/rules.py; the scripts read App.rules (a regression guard on the old copies)."""
    from pathlib import Path

    scripts = Path(__file__).resolve().parents[2] / "entrypoints" / "web" / "static" / "js"
    for script in scripts.rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        for copy in (r"\b128\b", r"\b32\b", r"1\[3-9\]", r"start\(60\)"):
            assert not re.search(copy, text), f"{script.name} repeats {copy}"


# --- the sign-in target: only a path on this site -----------------------------------------------------


@pytest.mark.parametrize(
    "raw, vetted",
    [
        ("/settings", "/settings"),
        ("/profile?tab=log", "/profile?tab=log"),
        ("/a/./b/../c", "/a/c"),
        ("/.//evil.example/x", "/"),
        ("/..//evil.example/x", "/"),
        ("/a/..//evil.example/x", "/"),
        ("/%2e//evil.example/x", "/"),
        ("/%2E%2e//evil.example/x", "/"),
        ("/a/%2e%2e//evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example/x", "/"),
        ("/\t/evil.example/x", "/"),
        ("https://evil.example/x", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_the_login_page_gets_only_a_vetted_target(client, raw, vetted):
    from urllib.parse import quote

    page = html(client, "/login?next=" + quote(raw, safe=""))
    assert re.search(r'data-next="([^"]*)"', page)[1] == vetted


def test_a_signed_in_visit_to_login_goes_to_the_vetted_target(client):
    assert client.register("13800138000").status_code == 200
    assert client.login("13800138000").status_code == 200
    assert client.get("/login?next=/.//evil.example/x").headers["Location"] == "/"
    assert client.get("/login?next=/settings").headers["Location"] == "/settings"


# --- static files ---------------------------------------------------------------------------------------


def test_pages_link_content_hashed_static_files_cached_for_a_year(client):
    page = html(client, "/login")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert len(assets) >= 8
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", asset), asset
        response = client.get(asset, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, asset
        assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if asset.endswith((".js", ".css")):
            assert response.headers["Content-Encoding"] == "br", asset
            assert "Accept-Encoding" in response.headers["Vary"]
        response.close()
    layui = next(a for a in assets if "layui.js" in a.split("/")[-1] or a.split("/")[-1].startswith("layui."))
    gzipped = client.get(layui, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip" and int(gzipped.headers["Content-Length"]) < 140_000
    gzipped.close()


def test_a_changed_file_gets_a_new_name_and_stylesheets_point_at_hashed_fonts(tmp_path):
    source, build = tmp_path / "static", tmp_path / "build"
    (source / "font").mkdir(parents=True)
    (source / "css").mkdir()
    (source / "font" / "icons.woff2").write_bytes(b"font v1")
    (source / "css" / "site.css").write_text(
        '@font-face{src:url(../font/icons.woff2?v=1) format("woff2")}.a{background:url(data:image/png;base64,AA==)}'
    )
    first = build_assets(source, build)
    css = (build / first["css/site.css"]).read_text()
    assert f"url(../font/{first['font/icons.woff2'].split('/')[-1]}?v=1)" in css
    assert "url(data:image/png;base64,AA==)" in css

    (source / "font" / "icons.woff2").write_bytes(b"font v2")  # a new font: new font name, so new CSS name
    second = build_assets(source, build)
    assert second["font/icons.woff2"] != first["font/icons.woff2"]
    assert second["css/site.css"] != first["css/site.css"]
    assert (build / first["css/site.css"]).exists()  # pages rendered before a deploy still find their files


def test_pages_and_json_are_compressed(client):
    page = client.get("/register", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br"
    answer = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"


# --- forms ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/register", "/forgot-password", "/settings", "/settings/delete-account"])
def test_every_field_has_a_label_and_every_form_needs_its_script(client, path):
    if path.startswith("/settings"):
        assert client.register("13800138000").status_code == 200
        assert client.login("13800138000").status_code == 200
    page = html(client, path)
    ids = re.findall(r'<input [^>]*id="([^"]+)"', page)
    labelled = set(re.findall(r'<label class="field-label" for="([^"]+)"', page))
    checkboxes = set(
        re.findall(r'<label class="check-label"><input type="checkbox" name="\w+"(?: id="([^"]*)")?', page)
    )
    assert ids and all(i in labelled or i in checkboxes for i in ids), (ids, labelled)
    assert "<noscript>" in page and "请启用浏览器的 JavaScript" in page
    buttons = re.findall(r"<button\b[^>]*>", page.split("<main")[1])
    assert buttons and all(" disabled" in b for b in buttons), buttons


def test_the_password_check_answers_before_any_sms(client):
    assert client.post("/api/check_password", {"password": "Zhengxin-2024!"}).get_json()["code"] == 0
    weak = client.post("/api/check_password", {"password": "password123"})
    assert (weak.status_code, weak.get_json()["error"], weak.get_json()["field"]) == (400, "weak_password", "password")
    short = client.post("/api/check_password", {"password": "short"})
    assert (short.status_code, short.get_json()["error"]) == (400, "invalid_password")
    assert client.post("/api/check_password", {}).status_code == 400
    assert client.sms.sent == []


def test_one_term_and_one_form_of_address_everywhere(client):
    """账号 (never 帐号 or 账户) and 您 (never 你), in the pages, the scripts and the messages."""
    from pathlib import Path

    web = Path(__file__).resolve().parents[2] / "entrypoints" / "web"
    texts = {path: html(client, path) for path in PAGES}
    texts.update({str(p): p.read_text(encoding="utf-8") for p in (web / "static" / "js").rglob("*.js")})
    texts.update({str(p): p.read_text(encoding="utf-8") for p in (web / "templates").glob("*.html")})
    domain = Path(__file__).resolve().parents[2] / "domain"
    texts.update({str(p): p.read_text(encoding="utf-8") for p in domain.rglob("*.py")})
    for where, text in texts.items():
        assert not re.search(r"帐号|账户|你(?!们)", text), where
