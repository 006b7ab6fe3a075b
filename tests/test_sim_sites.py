"""The simulated LAO web serves what its ground truth says (walks the World directly, no server)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections import Counter, deque
from urllib.parse import unquote, urljoin, urldefrag, urlsplit

import pytest

from oitsim.google import HOSTS as GOOGLE_HOSTS

from oitsim.content import vocab
from oitsim.generator import STYLES, mukdahan_world

HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
COMMENT = re.compile(r"<!--.*?-->", re.S)
JSON_BLOB = re.compile(r'<script type="application/json" id="site-data">(.*?)</script>', re.S)
META_CHARSET = re.compile(rb"charset=([\w-]+)", re.I)
DOC_EXT = (".pdf", ".docx", ".xlsx")


@pytest.fixture(scope="module")
def world():
    return mukdahan_world(seed=2565)


def decode(resp) -> str:
    ctype = resp.header("Content-Type") or ""
    m = re.search(r"charset=([\w-]+)", ctype) or META_CHARSET.search(resp.body[:2000])
    cs = m.group(1) if m else "utf-8"
    cs = cs.decode() if isinstance(cs, bytes) else cs
    return resp.body.decode(cs, errors="replace")


def page_links(base: str, text: str, *, with_js: bool) -> list[str]:
    text = COMMENT.sub("", text)
    out = []
    for m in HREF.finditer(text):
        raw = html.unescape(next(g for g in m.groups() if g is not None))
        out.append(urljoin(base, raw))
    if with_js:
        for blob in JSON_BLOB.findall(text):
            data = json.loads(blob)
            for entry in data.get("menu", []) + data.get("items", []) + data.get("news", []):
                if entry.get("u"):
                    out.append(urljoin(base, entry["u"]))
    return out


def norm(url: str) -> str:
    return unquote(url)


def walk(world, host: str, *, with_js: bool = True, limit: int = 400) -> set[str]:
    """Every link URL reachable from the home page (fetching on-site HTML pages only)."""
    spec = world.spec(host)
    root = spec.root
    seen_pages, links = set(), set()
    queue = deque([root])
    while queue and len(seen_pages) < limit:
        url = queue.popleft()
        key = norm(urldefrag(url)[0])
        if key in seen_pages:
            continue
        seen_pages.add(key)
        resp = world.respond("GET", url, {})
        if resp.status != 200 or not (resp.header("Content-Type") or "").startswith("text/html"):
            continue
        for link in page_links(url, decode(resp), with_js=with_js):
            links.add(norm(link))
            parts = urlsplit(link)
            if parts.scheme not in ("http", "https") or (parts.hostname or "") != host:
                continue
            if not norm(link).startswith(norm(root)) or urlsplit(link).path.lower().endswith(DOC_EXT):
                continue
            queue.append(urldefrag(link)[0])
    return links


def test_every_style_is_present(world):
    styles = Counter(world.styles().values())
    assert set(styles) == set(STYLES)
    assert sum(styles.values()) == 55


def test_labels_cover_every_site_and_item(world):
    rows = world.labels()
    assert len(rows) == 55 * 43
    assert {r["label"] for r in rows} == {"pass", "fail"}
    for r in rows:
        assert (r["label"] == "pass") == (r["problem"] in (None, "scanned", "offsite")), r


def test_pass_items_are_reachable_and_served(world):
    checked = 0
    for host, style in world.styles().items():
        rows = [r for r in world.labels_for(host) if r["label"] == "pass"]
        if not rows:
            continue
        links = walk(world, host)
        for r in rows:
            url = r["evidence_url"]
            assert url, r
            assert norm(url) in links, (style, r["code"], url)
            if urlsplit(url).hostname == host:
                method = "HEAD" if url.endswith(DOC_EXT) else "GET"  # HEAD: no document bytes built
                assert world.respond(method, url, {}).status == 200, (style, r["code"], url)
            elif urlsplit(url).hostname in GOOGLE_HOSTS:   # Drive files and Google Forms are served
                assert world.respond("GET", url, {}).status == 200, (style, r["code"], url)
            else:
                assert not world.has_host(urlsplit(url).hostname), url  # other off-site hosts are not served
            checked += 1
    assert checked > 1000


def test_js_site_links_exist_only_after_script(world):
    host = next(h for h, s in world.styles().items() if s == "jsinject")
    static = walk(world, host, with_js=False)
    scripted = walk(world, host, with_js=True)
    passes = [r["evidence_url"] for r in world.labels_for(host) if r["label"] == "pass"]
    assert passes and not any(norm(u) in static for u in passes)
    assert all(norm(u) in scripted for u in passes)


def test_failures_are_what_they_claim(world):
    stubs = vocab()["stub"]
    seen = Counter()
    for host in world.hosts():
        spec = world.spec(host)
        if spec.site_problem:
            continue
        for r in world.labels_for(host):
            url, problem = r["evidence_url"], r["problem"]
            if problem == "missing":
                assert url is None, r
            elif problem == "broken":
                resp = world.respond("HEAD", url, {})
                # a 404, or (custom PHP) a redirect back to the home page
                assert resp.status == 404 or (resp.status == 302 and resp.header("Location") == spec.root), r
            elif problem == "placeholder":
                page, frag = urldefrag(url)
                if frag in ("", "!", "javascript:void(0)") and "#" in url:
                    # '#', '#!' or javascript:void(0) written as the link target on the ITA surface
                    mark = "#" + frag if frag != "javascript:void(0)" else frag
                    surface = decode(world.respond("GET", page, {}))
                    pattern = "href=[\"']?" + re.escape(mark) + "[\"' >]|\"u\": \"" + re.escape(mark) + "\""
                    assert re.search(pattern, surface), r
                    seen["hash-placeholder"] += 1
                else:
                    body = decode(world.respond("GET", url, {}))
                    assert any(s in body for s in stubs), r
                    main = body.split("<main>", 1)[-1].split("</main>", 1)[0]
                    assert not re.search(r"\.(pdf|docx|xlsx)", main), r
            seen[problem] += 1
    assert seen["placeholder"] > seen["hash-placeholder"] > 0 and seen["broken"] and seen["missing"]


def test_hijacked_site_has_no_lao_name(world):
    for host, style in world.styles().items():
        if style != "hijacked":
            continue
        body = world.respond("GET", world.spec(host).root, {}).body.decode("utf-8")
        assert world.spec(host).lao.name_th not in body
        assert {r["problem"] for r in world.labels_for(host)} == {"hijacked"}


def test_host_variants_and_validators(world):
    spec = next(world.spec(h) for h in world.hosts() if world.spec(h).host.startswith("www."))
    bare = spec.host[4:]
    assert world.has_host(bare)
    resp = world.respond("GET", f"http://{bare}/x?y=1", {})
    assert resp.status == 301 and resp.header("Location") == f"{spec.scheme}://{spec.host}/x?y=1"
    doc = next(r["evidence_url"] for r in world.labels() if (r["evidence_url"] or "").endswith(".docx") and r["label"] == "pass")
    first = world.respond("GET", doc, {})
    assert first.status == 200 and first.body.startswith(b"PK") and first.header("ETag")
    assert world.respond("GET", doc, {"If-None-Match": first.header("ETag")}).status == 304
    assert world.profile("nothing.invalid").fault == "dns_error"


def test_tis620_site_sends_tis620_bytes(world):
    host = next(h for h, s in world.styles().items() if s == "joomla")
    spec = world.spec(host)
    resp = world.respond("GET", spec.root + "index.php/ita-2565", {})
    assert resp.header("Content-Type") == "text/html"  # no charset header: only the meta tag
    with pytest.raises(UnicodeDecodeError):
        resp.body.decode("utf-8")
    text = resp.body.decode("tis-620")
    assert spec.lao.full_name in text and 'charset=tis-620' in text
    assert spec.lao.full_name.encode("tis-620") in resp.body


def test_vendor_leftovers_present(world):
    specs = [world.spec(h) for h in world.hosts()]
    copied = [s for s in specs if s.other_lao_title]
    commented = [s for s in specs if s.eit_comment]
    assert copied and commented
    s = copied[0]
    body = decode(world.respond("GET", s.root, {}))
    assert f"<title>{s.other_lao_title}</title>" in body
    s = commented[0]
    body = decode(world.respond("GET", s.root, {}))
    assert s.eit_comment in body and s.eit_comment not in COMMENT.sub("", body)


def test_same_seed_same_bytes():
    a, b = mukdahan_world(seed=7), mukdahan_world(seed=7)
    assert a.labels() == b.labels()
    for host in a.hosts()[:12]:
        links = [r["evidence_url"] for r in a.labels_for(host) if r["evidence_url"]][:4]
        for url in [a.spec(host).root, *links]:
            assert a.respond("GET", url, {}).body == b.respond("GET", url, {}).body, url
    assert mukdahan_world(seed=8).styles() != a.styles()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_layer_has_planted_phrase(world):
    done = scanned = 0
    for host in world.hosts():
        site = world.site(host)
        for r in world.labels_for(host):
            url = r["evidence_url"] or ""
            if r["label"] != "pass" or not url.endswith(".pdf"):
                continue
            data = world.respond("GET", url, {}).body
            assert data.startswith(b"%PDF")
            out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
            if r["problem"] == "scanned":
                assert out.strip() == "", url
                scanned += 1
            elif done < 3:
                phrase = site.doc_title(r["code"])
                assert " ".join(phrase.split()[:3]) in " ".join(out.split()), (phrase, out[:200])
                done += 1
            if done >= 3 and scanned >= 1:
                return
    pytest.fail(f"not enough PDFs found: text={done} scanned={scanned}")


def test_national_world_answers_lazily_with_bounded_memory():
    import csv as _csv
    import random
    import tracemalloc

    from oitsim.generator import REGISTRY_PATH
    from oitsim.national import national_registry_rows, national_world

    world = national_world(seed=11, count=7850, site_cache=64, doc_cache=16)
    rows = list(national_registry_rows(seed=11, count=7850))
    assert len(rows) == 7850 and len({r["lao_id"] for r in rows}) == 7850
    with open(REGISTRY_PATH, encoding="utf-8") as fh:
        assert list(rows[0]) == next(_csv.reader(fh))
    hosts = [urlsplit(r["url"]).hostname for r in rows if r["url"]]
    assert len(set(hosts)) == len(hosts) and all(world.has_host(h) for h in hosts[:50])
    assert not world.has_host("example.invalid")
    r = random.Random(3)
    sample = r.sample(hosts, 40)
    for host in sample:
        spec = world.spec(host)
        resp = world.respond("GET", spec.root, {})
        assert resp.status == 200, host
        if spec.style not in ("hijacked", "jsinject", "legacy"):
            assert spec.lao.name_th in decode(resp)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for host in r.sample(hosts, 400):
        world.respond("GET", world.spec(host).root, {})
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert len(world._sites) <= 64
    assert grown < 40_000_000, grown
    again = national_world(seed=11, count=7850)
    assert again.respond("GET", world.spec(sample[0]).root, {}).body == world.respond("GET", world.spec(sample[0]).root, {}).body


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="chromium not installed")
def test_chromium_runs_the_js_site_and_reads_tis620(world):
    """Chromium (routed straight to the World, no server) builds the JS-injected ITA list and decodes TIS-620."""
    import asyncio

    playwright = pytest.importorskip("playwright.async_api")
    js_host = next(h for h, s in world.styles().items() if s == "jsinject" and not world.spec(h).site_problem)
    tis_host = next(h for h, s in world.styles().items() if s == "joomla" and not world.spec(h).site_problem)
    linked = [r for r in world.labels_for(js_host) if r["evidence_url"] and r["problem"] != "missing"]

    async def run():
        async with playwright.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()

            async def handler(route):
                host = urlsplit(route.request.url).hostname or ""
                if not world.has_host(host):
                    await route.abort()
                    return
                resp = world.respond(route.request.method, route.request.url, {})
                await route.fulfill(status=resp.status, headers=dict(resp.headers), body=resp.body)

            await page.route("**/*", handler)
            await page.goto(world.spec(js_host).root + "ita.html")
            hrefs = await page.eval_on_selector_all("#app a", "els => els.map(e => e.href)")
            await page.goto(world.spec(tis_host).root + "index.php/ita-2565")
            title = await page.title()
            await browser.close()
            return hrefs, title

    hrefs, title = asyncio.run(run())
    assert len(hrefs) == len(linked) > 0
    assert world.spec(tis_host).lao.name_th in title or (world.spec(tis_host).other_lao_title or "") in title


def test_old_alt_domains_are_parked_or_gone(world):
    extra = world.extra_hosts()
    assert extra and not any(h.endswith(".go.th") for h in extra)
    assert not set(extra) & set(world.hosts())
    for host in extra:
        body = world.respond("GET", f"http://{host}/", {}).body.decode("utf-8")
        assert world.spec(host).lao.name_th not in body
    assert not any(r["host"] in extra for r in world.labels())
