"""The simulated Google Drive / Google Forms hosts (oitsim/google.py) answer like the real services."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from oitsim.generator import mukdahan_world
from oitsim.google import OPEN_ROBOTS, drive_id, unpack
from oitsim.world import MultiWorld


@pytest.fixture(scope="module")
def world():
    return mukdahan_world(seed=2565)


def _label(world, **want) -> dict:
    for row in world.labels():
        if all(row.get(k) == v for k, v in want.items()):
            return row
    pytest.skip(f"no label row with {want}")


def _file_id(view_url: str) -> str:
    return urlsplit(view_url).path.split("/")[3]


def test_public_drive_viewer_is_a_script_page_titled_with_the_file_name_without_its_text(world):
    row = _label(world, form="drive", label="pass")
    resp = world.respond("GET", row["evidence_url"], {})
    body = resp.body.decode("utf-8")
    assert resp.status == 200 and resp.header("Content-Type").startswith("text/html")
    assert "- Google Drive</title>" in body and 'property="og:title"' in body and "<script" in body
    site = world.site(row["host"])
    name = site.doc_title(row["code"])
    assert name in body
    _title, lines, _footer = site.doc_lines(row["code"])
    body_lines = [line.split(". ", 1)[-1] for line in lines[2:]]
    assert body_lines and not any(line in body for line in body_lines)     # the text is only in the download


def test_public_download_redirects_to_usercontent_which_answers_the_bytes(world):
    row = _label(world, form="drive", label="pass")
    fid = _file_id(row["evidence_url"])
    uc = world.respond("GET", f"https://drive.google.com/uc?export=download&id={fid}", {})
    assert uc.status == 303
    loc = uc.header("Location")
    assert urlsplit(loc).hostname == "drive.usercontent.google.com"
    assert parse_qs(urlsplit(loc).query) == {"id": [fid], "export": ["download"]}
    got = world.respond("GET", loc, {})
    assert got.status == 200 and got.body[:4] in (b"%PDF", b"PK\x03\x04")
    assert got.header("Content-Disposition").startswith("attachment;") and "filename*=UTF-8''" in got.header(
        "Content-Disposition")
    etag = got.header("ETag")
    assert etag and world.respond("GET", loc, {"If-None-Match": etag}).status == 304
    head = world.respond("HEAD", loc, {})
    assert head.status == 200 and head.body == b"" and head.header("Content-Type") == got.header("Content-Type")
    assert world.respond("GET", loc, {}).body == got.body        # deterministic bytes


def test_a_file_not_shared_publicly_sends_every_visitor_to_the_sign_in_page(world):
    row = _label(world, form="drive", problem="private")
    fid = _file_id(row["evidence_url"])
    for url in (row["evidence_url"], f"https://drive.google.com/uc?export=download&id={fid}",
                f"https://drive.usercontent.google.com/download?id={fid}&export=download"):
        resp = world.respond("GET", url, {})
        assert resp.status == 302, url
        assert urlsplit(resp.header("Location")).hostname == "accounts.google.com"
    signin = world.respond("GET", resp.header("Location"), {})
    assert signin.status == 200 and b'type="email"' in signin.body


def test_forms_show_title_and_questions_and_a_closed_form_says_so(world):
    open_row = _label(world, form="offsite_channel", label="pass")
    page = world.respond("GET", open_row["evidence_url"], {})
    site = world.site(open_row["host"])
    assert page.status == 200 and site.links_text(open_row["code"]) in page.body.decode()
    assert b"<form" in page.body and b"formResponse" in page.body
    closed = _label(world, form="offsite_channel", problem="closed")
    moved = world.respond("GET", closed["evidence_url"], {})
    assert moved.status == 302 and moved.header("Location").endswith("/closedform")
    en = world.respond("GET", moved.header("Location"), {"Accept-Language": "en-US,en"}).body.decode()
    th = world.respond("GET", moved.header("Location"), {"Accept-Language": "th-TH,th"}).body.decode()
    assert "no longer accepting responses" in en and "<form" not in en
    assert "ไม่รับคำตอบแล้ว" in th


def test_robots_files_allow_viewers_and_forms_but_not_downloads(world):
    from protego import Protego

    drive = Protego.parse(world.respond("GET", "https://drive.google.com/robots.txt", {}).body.decode())
    docs = Protego.parse(world.respond("GET", "https://docs.google.com/robots.txt", {}).body.decode())
    uc = Protego.parse(world.respond("GET", "https://drive.usercontent.google.com/robots.txt", {}).body.decode())
    assert drive.can_fetch("https://drive.google.com/file/d/1abc/view?usp=sharing", "OIT-Watch")
    assert not drive.can_fetch("https://drive.google.com/uc?export=download&id=1abc", "OIT-Watch")
    assert docs.can_fetch("https://docs.google.com/forms/d/e/1FAIpQLSx/viewform", "OIT-Watch")
    assert not uc.can_fetch("https://drive.usercontent.google.com/download?id=1abc&export=download", "OIT-Watch")
    opened = mukdahan_world(seed=2565)
    opened.google.robots = dict(OPEN_ROBOTS)
    assert Protego.parse(opened.respond("GET", "https://drive.usercontent.google.com/robots.txt", {}).body.decode()
                         ).can_fetch("https://drive.usercontent.google.com/download?id=1", "OIT-Watch")


def test_unknown_ids_are_not_found_and_ids_carry_their_site_and_item(world):
    assert unpack(drive_id("x.go.th", "O12"), "1") == ("x.go.th", "O12")
    assert unpack("1" + "A" * 30, "1") is None
    assert world.respond("GET", "https://drive.google.com/file/d/1nosuchfile0000000000/view", {}).status == 404
    assert world.respond("GET", f"https://drive.google.com/file/d/{drive_id('nosuch.go.th', 'O12')}/view", {}).status == 404


def test_labels_name_private_files_and_closed_forms_as_failures(world):
    rows = world.labels()
    private = [r for r in rows if r["problem"] == "private"]
    closed = [r for r in rows if r["problem"] == "closed"]
    assert private and closed
    assert {r["label"] for r in private + closed} == {"fail"}
    assert {r["form"] for r in private} == {"drive"} and {r["form"] for r in closed} == {"offsite_channel"}
    again = mukdahan_world(seed=2565).labels()
    assert [(r["host"], r["code"], r["problem"]) for r in again] == [(r["host"], r["code"], r["problem"]) for r in rows]


def test_national_world_serves_the_google_hosts_of_its_own_sites_beside_mukdahan(world):
    from oitsim.national import national_world

    big = national_world(seed=11, count=7850, site_cache=64, doc_cache=16)
    both = MultiWorld([world, big])
    assert big.has_host("drive.google.com") and big.has_host("docs.google.com")
    for host in big.hosts()[:400]:
        spec = big.spec(host)
        if spec is None or spec.site_problem:
            continue
        code = next((c for c, p in spec.plans.items() if p.form == "drive" and p.state == "ok"), None)
        if code is None:
            continue
        url = big.site(host).links[code].url
        assert world.respond("GET", url, {}).status == 404       # Mukdahan does not know the file
        assert both.respond("GET", url, {}).status == 200        # the national world answers
        return
    pytest.fail("no national site with a public Drive file among the first 400")


# ---------------------------------------------------------------- Drive API (files.get with an API key)
API = "https://www.googleapis.com/drive/v3/files/"


def test_drive_api_answers_a_public_file_with_the_same_bytes_as_the_download(world):
    row = _label(world, form="drive", label="pass")
    fid = _file_id(row["evidence_url"])
    api = world.respond("GET", f"{API}{fid}?alt=media&key=sim-key", {})
    dl = world.respond("GET", f"https://drive.usercontent.google.com/download?id={fid}&export=download", {})
    assert api.status == 200 and api.body == dl.body and len(api.body) > 500
    assert api.header("Content-Type") == dl.header("Content-Type")
    etag = api.header("ETag")
    assert etag and world.respond("GET", f"{API}{fid}?alt=media&key=sim-key", {"If-None-Match": etag}).status == 304
    head = world.respond("HEAD", f"{API}{fid}?alt=media&key=sim-key", {})
    assert head.status == 200 and head.body == b"" and head.header("Content-Type") == api.header("Content-Type")
    meta = world.respond("GET", f"{API}{fid}?fields=name,mimeType&key=sim-key", {})
    info = json.loads(meta.body)
    assert meta.status == 200 and set(info) == {"name", "mimeType"}
    assert info["mimeType"] == api.header("Content-Type") and info["name"].startswith(world.site(row["host"]).doc_title(row["code"]))


def test_drive_api_answers_a_private_file_with_the_json_404_of_the_real_api(world):
    row = _label(world, form="drive", problem="private")
    fid = _file_id(row["evidence_url"])
    resp = world.respond("GET", f"{API}{fid}?alt=media&key=sim-key", {})
    err = json.loads(resp.body)["error"]
    assert resp.status == 404 and resp.header("Content-Type").startswith("application/json")
    assert err["code"] == 404 and err["message"] == f"File not found: {fid}." and err["errors"][0]["reason"] == "notFound"
    assert json.loads(world.respond("GET", f"{API}1nonexistent0000000?alt=media&key=k", {}).body)["error"]["code"] == 404


@pytest.mark.parametrize("query", ["alt=media", "alt=media&key=", "alt=media&key=%20"])
def test_drive_api_refuses_a_caller_without_a_key(world, query):
    row = _label(world, form="drive", label="pass")
    resp = world.respond("GET", f"{API}{_file_id(row['evidence_url'])}?{query}", {})
    err = json.loads(resp.body)["error"]
    assert resp.status == 403 and err["status"] == "PERMISSION_DENIED" and "API Key" in err["message"]


def test_drive_api_host_serves_no_robots_file(world):
    from protego import Protego

    resp = world.respond("GET", "https://www.googleapis.com/robots.txt", {})
    assert resp.status == 404
    assert Protego.parse("").can_fetch(f"{API}1abc?alt=media&key=k", "oitwatch")
