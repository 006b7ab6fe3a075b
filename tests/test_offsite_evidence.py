"""Off-site evidence (Google Drive files, Google Forms): the crawl's rules (crawler/offsite.py), how
the checks judge what was opened, and how the store keeps a document under the link as shown."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from checks.engine import check_site
from checks.evidence import Document, Page
from crawler.offsite import OffsiteConfigError, install_log_redaction, load_policy, policy_from, redact
from oitwatch.store import SCHEMA_VERSION, Store
from tests.checks_cases import build_evidence

AS_OF = date(2022, 4, 30)
VIEW = "https://drive.google.com/file/d/1AbCdEfGh_ij-KL/view?usp=sharing"
DOWNLOAD = "https://drive.google.com/uc?export=download&id=1AbCdEfGh_ij-KL"
FORM = "https://docs.google.com/forms/d/e/1FAIpQLSdXyZ/viewform"
O37_TEXT = "การดำเนินการเพื่อจัดการความเสี่ยงการทุจริต ประจำปีงบประมาณ พ.ศ. {y} องค์การบริหารส่วนตำบลนาสวน"


# --------------------------------------------------------------------------- crawl rules

def test_policy_accepts_the_configured_hosts_and_rewrites_a_viewer_to_its_download(monkeypatch):
    monkeypatch.delenv("OIT_GOOGLE_API_KEY", raising=False)
    p = load_policy(enabled=True, budget=10)
    assert not p.uses_api
    assert p.accepts(VIEW) and p.accepts(FORM) and not p.accepts("https://www.facebook.com/x")
    assert p.download_url(VIEW) == DOWNLOAD
    assert p.download_url("https://drive.google.com/open?usp=x&id=1Zz") == \
        "https://drive.google.com/uc?export=download&id=1Zz"
    assert [(f.url, f.kind, f.shown) for f in p.plan(VIEW)] == [(VIEW, "page", VIEW), (DOWNLOAD, "doc", VIEW)]
    assert [(f.url, f.kind) for f in p.plan(FORM)] == [(FORM, "page")]      # a form is read as a page
    assert p.is_signin("https://accounts.google.com/ServiceLogin?continue=x") and not p.is_signin(VIEW)
    assert p.redirect_ok("https://drive.usercontent.google.com/download?id=1") and not p.redirect_ok(
        "https://accounts.google.com/")
    assert not load_policy(enabled=False).accepts(VIEW)


@pytest.mark.parametrize("raw, needle", [
    ({"hosts": "drive.google.com"}, "offsite.hosts"),
    ({"hosts": [], "rewrites": [{"match": "("}]}, "rewrites[0]"),
    ({"hosts": [], "rewrites": [{"match": "(", "download": "x"}]}, "not a valid pattern"),
    ({"hosts": [], "budget_per_site": -1}, "budget_per_site"),
    ({"hosts": [], "rewrites": [{"match": "x", "download": "y", "api": "https://www.googleapis.com/z"}]},
     r"rewrites[0].api must be a URL template containing {key}"),
    ({"hosts": [], "google_api_key": 12345}, "offsite.google_api_key must be a string"),
])
def test_a_malformed_offsite_config_names_the_key(raw, needle):
    with pytest.raises(OffsiteConfigError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        policy_from(raw)


API = "https://www.googleapis.com/drive/v3/files/1AbCdEfGh_ij-KL?alt=media&key="


def test_with_an_api_key_a_viewer_is_read_through_the_drive_api_instead_of_the_download(monkeypatch):
    monkeypatch.delenv("OIT_GOOGLE_API_KEY", raising=False)
    p = load_policy(enabled=True, budget=10, api_key="AIza-test_1")
    assert p.uses_api and "AIza-test_1" not in repr(p)
    assert [(f.url, f.kind, f.shown) for f in p.plan(VIEW)] == [(VIEW, "page", VIEW), (API + "AIza-test_1", "doc", VIEW)]
    assert p.download_url("https://drive.google.com/open?id=1Zz") == \
        "https://www.googleapis.com/drive/v3/files/1Zz?alt=media&key=AIza-test_1"
    assert p.is_api(API + "x") and p.redirect_ok(API + "x")
    assert not p.accepts(API + "x")                     # a site's own link to the API host is not opened
    no_key = load_policy(enabled=True, budget=10)
    assert not no_key.is_api(API + "x") and not no_key.redirect_ok(API + "x")


def test_the_environment_key_wins_over_the_file_and_an_empty_one_means_none(monkeypatch):
    monkeypatch.setenv("OIT_GOOGLE_API_KEY", " env-key ")
    assert load_policy().api_key == "env-key"
    assert load_policy(api_key="").api_key == ""        # an explicit empty key (the benchmark without one)
    raw = {"hosts": [], "google_api_key": "file-key", "rewrites": []}
    assert policy_from(raw).api_key == "file-key"
    monkeypatch.setenv("OIT_GOOGLE_API_KEY", "  ")
    assert not load_policy().uses_api


def test_redact_hides_the_key_of_a_url_and_leaves_other_parameters():
    assert redact(API + "AIza-secret") == API + "REDACTED"
    assert redact("https://x/a?key=s&b=1&resourcekey=0-keep") == "https://x/a?key=REDACTED&b=1&resourcekey=0-keep"
    assert redact(VIEW) == VIEW and redact(None) is None


def test_log_lines_never_carry_the_key(caplog):
    import logging

    install_log_redaction()
    with caplog.at_level(logging.INFO, logger="scrapy.downloadermiddlewares.retry"):
        logging.getLogger("scrapy.downloadermiddlewares.retry").error(
            "Gave up retrying %(request)s", {"request": f"<GET {API}AIza-secret>"})
        logging.getLogger("crawler.spiders.lao").warning("odd %s", API + "AIza-secret")
    assert caplog.records and "AIza-secret" not in caplog.text and "key=REDACTED" in caplog.text


# --------------------------------------------------------------------------- checks

def _o37_on_drive(documents=None, pages=None):
    """The ita_table fixture with item o37 linked to a Drive file, plus what the crawl got for it."""
    ev = build_evidence({"site": "ita_table", "drop": ["/upload/oit/o37.pdf"],
                         "replace": {"/ita2565.php": [["<a href='/upload/oit/o37.pdf'>", f"<a href='{VIEW}'>"]]}})
    ev.documents.extend(documents or [])
    ev.pages.extend(pages or [])
    return {i.code: i for i in check_site(ev, 2565, AS_OF, codes={"O37"}).items}["O37"]


def _viewer_page(title="o37.pdf - Google Drive"):
    return Page(url=VIEW, status=200, title=title, text="", depth=2)


def test_drive_document_of_the_right_year_passes_and_names_its_host():
    doc = Document(url=VIEW, source_url=DOWNLOAD, text=O37_TEXT.format(y=2565))
    res = _o37_on_drive([doc], [_viewer_page()])
    assert (res.status, res.reason, res.evidence_url, res.host) == ("pass", "year_ok", VIEW, "drive.google.com")


def test_stale_drive_document_fails_like_a_stale_file_on_the_site():
    doc = Document(url=VIEW, source_url=DOWNLOAD, text=O37_TEXT.format(y=2563))
    res = _o37_on_drive([doc], [_viewer_page()])
    assert (res.status, res.reason, res.found_year) == ("fail", "wrong_year", 2563)


def test_drive_file_behind_the_sign_in_page_fails_and_tells_the_lao_to_share_it():
    doc = Document(url=VIEW, status=0, source_url=DOWNLOAD, fetch_error="signin_required",
                   extract_status="fetch_error")
    res = _o37_on_drive([doc], [Page(url=VIEW, status=0, fetch_error="signin_required")])
    assert (res.status, res.reason, res.problem, res.host) == ("fail", "offsite_not_public", "private",
                                                               "drive.google.com")
    assert "drive.google.com" in res.reason_th and "Anyone with the link" in res.reason_en


def test_drive_download_refused_by_robots_needs_review_with_its_host():
    doc = Document(url=VIEW, status=0, source_url=DOWNLOAD, fetch_error="robots_disallowed",
                   extract_status="fetch_error")
    res = _o37_on_drive([doc], [_viewer_page(f"o37 {2565}.pdf - Google Drive")])
    assert (res.status, res.reason, res.host) == ("needs_review", "offsite_unfetched", "drive.google.com")
    assert "robots_disallowed" in res.reason_en


def test_drive_api_404_for_a_file_whose_viewer_asks_to_sign_in_is_a_private_file():
    doc = Document(url=VIEW, status=404, source_url=API + "REDACTED", fetch_error="drive_api_not_found",
                   extract_status="fetch_error")
    res = _o37_on_drive([doc], [Page(url=VIEW, status=0, fetch_error="signin_required")])
    assert (res.status, res.reason, res.problem) == ("fail", "offsite_not_public", "private")


def test_drive_api_error_for_a_file_whose_viewer_is_public_needs_review_and_names_the_error():
    doc = Document(url=VIEW, status=404, source_url=API + "REDACTED", fetch_error="drive_api_not_found",
                   extract_status="fetch_error")
    res = _o37_on_drive([doc], [_viewer_page(f"o37 {2565}.pdf - Google Drive")])
    assert (res.status, res.reason, res.host) == ("needs_review", "offsite_unfetched", "drive.google.com")
    assert "drive_api_not_found" in res.reason_en and "drive_api_not_found" in res.reason_th


def test_drive_link_never_opened_needs_review_even_when_its_text_names_the_year():
    ev = build_evidence({"site": "ita_table", "drop": ["/upload/oit/o37.pdf"], "replace": {"/ita2565.php": [
        ["<a href='/upload/oit/o37.pdf'>/upload/oit/o37.pdf…</a>", f"<a href='{VIEW}'>ประจำปีงบประมาณ 2565</a>"]]}})
    res = {i.code: i for i in check_site(ev, 2565, AS_OF, codes={"O37"}).items}["O37"]
    assert (res.status, res.reason, res.host) == ("needs_review", "offsite_unverified", "drive.google.com")


def _o30_on_form(page: Page):
    ev = build_evidence({"site": "ita_table", "drop": ["/complaint.php"], "replace": {"/ita2565.php": [
        ["<a href='/complaint.php'>", f"<a href='{FORM}'>"]]}})
    ev.links = [l for l in ev.links if not l.source_url.endswith("/complaint.php")]   # the old on-site channel
    ev.pages.append(page)
    return {i.code: i for i in check_site(ev, 2565, AS_OF, codes={"O30"}).items}["O30"]


def test_open_complaint_form_passes_and_a_closed_one_fails():
    open_form = Page(url=FORM, status=200, title="แจ้งเรื่องร้องเรียนการทุจริต",
                     text="แจ้งเรื่องร้องเรียนการทุจริต ชื่อผู้ร้องเรียน รายละเอียดเรื่องร้องเรียน ส่ง", depth=2)
    res = _o30_on_form(open_form)
    assert res.status == "pass" and res.host == "docs.google.com"
    closed = Page(url=FORM.replace("viewform", "closedform"), requested_url=FORM, status=200,
                  title="แจ้งเรื่องร้องเรียนการทุจริต",
                  text="The form แจ้งเรื่องร้องเรียนการทุจริต is no longer accepting responses.", depth=2)
    res = _o30_on_form(closed)
    assert (res.status, res.reason, res.problem, res.host) == ("fail", "form_closed", "closed", "docs.google.com")


# --------------------------------------------------------------------------- store

def test_store_keeps_the_download_url_of_a_document_recorded_under_its_viewer_url(tmp_path):
    store = Store(tmp_path)
    run = store.start_run("crawl", {})
    store.begin_site(run, "X-1", "https://x.go.th/")
    store.add_document(run, "X-1", Document(url=VIEW, source_url=DOWNLOAD, sha256="ab" * 32, text="t"))
    store.add_document(run, "X-1", Document(url="https://x.go.th/a.pdf", sha256="cd" * 32, text="u"))
    docs = store.load_evidence(run, "X-1").documents
    assert [(d.url, d.source_url) for d in docs] == [(VIEW, DOWNLOAD), ("https://x.go.th/a.pdf", None)]


def test_a_version_1_store_is_migrated_with_its_documents_kept(tmp_path):
    from oitwatch.store import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    MIGRATIONS[0](db)
    db.execute("INSERT INTO schema_version(version) VALUES (1)")
    db.execute("INSERT INTO runs(kind, started_at) VALUES ('crawl', '2022-04-30T00:00:00')")
    db.execute("INSERT INTO sites(run_id, lao_id, start_url, status) VALUES (1, 'X-1', 'https://x.go.th/', 'ok')")
    db.execute("INSERT INTO documents(run_id, lao_id, url, status) VALUES (1, 'X-1', 'https://x.go.th/a.pdf', 200)")
    db.commit()
    db.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION >= 2
    assert [(d.url, d.source_url) for d in store.load_evidence(1, "X-1").documents] == [("https://x.go.th/a.pdf", None)]


@pytest.mark.parametrize("link_text, expect", [
    ("การดำเนินการเพื่อจัดการความเสี่ยงการทุจริต", "pass"),      # the item's own file
    ("การประเมินความเสี่ยงการทุจริตประจำปี", "fail"),             # O36's file in a menu beside O37's page
])
def test_an_opened_drive_file_counts_only_for_the_item_its_link_names(link_text, expect):
    page = ("<html><head><title>การดำเนินการเพื่อจัดการความเสี่ยงการทุจริต</title></head><body><main>"
            "<h2>การดำเนินการเพื่อจัดการความเสี่ยงการทุจริต</h2><p>มาตรการจัดการความเสี่ยง ผลการดำเนินการ "
            "ผู้รับผิดชอบ องค์การบริหารส่วนตำบลนาสวน</p>"
            f"<ul class='files'><li><a href='{VIEW}'>{link_text}</a></li></ul></main></body></html>")
    ev = build_evidence({"site": "ita_table", "drop": ["/upload/oit/o37.pdf"],
                         "pages": {"/o37.php": page},
                         "replace": {"/ita2565.php": [["<a href='/upload/oit/o37.pdf'>", "<a href='/o37.php'>"]]}})
    ev.documents.append(Document(url=VIEW, source_url=DOWNLOAD, text=O37_TEXT.format(y=2565)))
    res = {i.code: i for i in check_site(ev, 2565, AS_OF, codes={"O37"}).items}["O37"]
    assert res.status == expect, (res.reason, res.evidence_url)


def test_an_opened_viewer_without_its_document_is_not_judged_by_its_title():
    """A viewer page names the file ("... 2565.pdf - Google Drive") but shows none of its text."""
    res = _o37_on_drive([], [_viewer_page("การดำเนินการเพื่อจัดการความเสี่ยงการทุจริต 2565.pdf - Google Drive")])
    assert (res.status, res.reason, res.host) == ("needs_review", "offsite_unfetched", "drive.google.com")
    assert "no_text" in res.reason_en


def test_check_and_crawl_help_tell_how_to_give_the_google_api_key(capsys):
    from oitwatch.cli import main

    for command in ("check", "crawl"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert out.count("OIT_GOOGLE_API_KEY") == 2, out          # English and Thai
        assert "ระบบไม่แสดงและไม่บันทึกคีย์นี้" in out
