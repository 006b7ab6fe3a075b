"""The held-out world (styles the checker was not built on) serves what its ground truth says."""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from oitsim.content import vocab
from oitsim.generator import STYLES, mukdahan_world
from oitsim.google import HOSTS as GOOGLE_HOSTS
from oitsim.heldout import HELDOUT_STYLES, SITES_PER_STYLE, heldout_registry_rows, heldout_world
from oitsim.labels import FAIL_PROBLEMS, PASS_NOTES

# href=..., and the src/data of frames, embeds and objects (the iframe hub and file viewers)
LINK = re.compile(r"""(?:href|src|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
COMMENT = re.compile(r"<!--.*?-->", re.S)
DOC_EXT = (".pdf", ".docx", ".xlsx")


@pytest.fixture(scope="module")
def world():
    return heldout_world(seed=2565)


def decode(resp) -> str:
    return resp.body.decode("utf-8", errors="replace")


def is_html(resp) -> bool:
    return resp.status == 200 and (resp.header("Content-Type") or "").startswith("text/html")


def walk(world, host: str, limit: int = 500) -> set[str]:
    """Every link URL reachable from the home page (comments stripped; on-site HTML pages fetched)."""
    root = world.spec(host).root
    seen, links = set(), set()
    queue = deque([root])
    while queue and len(seen) < limit:
        url = queue.popleft()
        key = unquote(urldefrag(url)[0])
        if key in seen:
            continue
        seen.add(key)
        resp = world.respond("GET", url, {})
        if not is_html(resp):
            continue
        for m in LINK.finditer(COMMENT.sub("", decode(resp))):
            link = urljoin(url, html.unescape(next(g for g in m.groups() if g is not None)))
            links.add(unquote(link))
            parts = urlsplit(link)
            if parts.scheme in ("http", "https") and parts.hostname == host and not parts.path.lower().endswith(DOC_EXT):
                queue.append(urldefrag(link)[0])
    return links


def test_heldout_styles_are_new_and_kept_out_of_mukdahan(world):
    assert not set(HELDOUT_STYLES) & set(STYLES)
    assert Counter(world.styles().values()) == {s: SITES_PER_STYLE for s in HELDOUT_STYLES}
    muk = mukdahan_world(seed=2565)
    assert not set(world.hosts()) & set(muk.hosts())
    assert not set(HELDOUT_STYLES) & set(muk.styles().values())
    names = {muk.spec(h).lao.lao_id for h in muk.hosts()}
    assert not names & {world.spec(h).lao.lao_id for h in world.hosts()}
    rows = list(heldout_registry_rows())
    assert {urlsplit(r["url"]).hostname for r in rows} == set(world.hosts())


def test_labels_follow_the_rules(world):
    rows = world.labels()
    assert len(rows) == len(HELDOUT_STYLES) * SITES_PER_STYLE * 43
    kinds = Counter()
    for r in rows:
        if r["label"] == "pass":
            assert r["problem"] is None or r["problem"] in PASS_NOTES, r
        else:
            assert r["problem"] in FAIL_PROBLEMS, r
        kinds[r["problem"]] += 1
    assert {"missing", "broken", "placeholder", "empty", "stale"} <= set(kinds)
    for style in HELDOUT_STYLES:  # every style has passes and fails
        labels = {r["label"] for r in rows if r["style"] == style}
        assert labels == {"pass", "fail"}, style


def test_pass_items_are_reachable_and_served(world):
    checked = 0
    for host, style in world.styles().items():
        links = walk(world, host)
        for r in world.labels_for(host):
            if r["label"] != "pass":
                continue
            url = r["evidence_url"]
            assert url and unquote(url) in links, (style, r["code"], url)
            if urlsplit(url).hostname == host:
                assert world.respond("GET", url, {}).status == 200, (style, r["code"], url)
            elif urlsplit(url).hostname in GOOGLE_HOSTS:   # Drive files and Google Forms are served
                assert world.respond("GET", url, {}).status == 200, (style, r["code"], url)
            else:
                assert not world.has_host(urlsplit(url).hostname), url  # other off-site hosts are not served
            checked += 1
    assert checked > 700


def test_failures_are_what_they_claim(world):
    stubs = vocab()["stub"]
    seen = Counter()
    for host in world.hosts():
        links = walk(world, host)
        for r in world.labels_for(host):
            url, problem = r["evidence_url"], r["problem"]
            if problem == "missing":
                assert url is None, r
            elif problem == "broken":
                assert world.respond("GET", url, {}).status == 404, r
            elif problem == "placeholder":
                page, frag = urldefrag(url)
                if "#" in url:
                    mark = "#" + frag if frag != "javascript:void(0)" else frag
                    surface = COMMENT.sub("", decode(world.respond("GET", page, {})))
                    assert re.search("href=[\"']?" + re.escape(mark) + "[\"' >]", surface), r
                    seen["hash"] += 1
                else:
                    body = decode(world.respond("GET", url, {}))
                    assert any(s in body for s in stubs), r
                    main = body.split("<main>", 1)[-1].split("</main>", 1)[0]
                    assert not re.search(r"\.(pdf|docx|xlsx)|download\.php", main), r
                    seen["stub"] += 1
            elif problem == "empty":
                body = decode(world.respond("GET", url, {}))
                main = body.split("<main>", 1)[-1].split("</main>", 1)[0]
                assert re.fullmatch(r"<h2>[^<]*</h2>", main), r
            if problem in ("broken", "placeholder", "empty", "stale", "incomplete"):
                assert url.split("#")[0] in links or unquote(url.split("#")[0]) in links, r
            seen[problem] += 1
    assert seen["hash"] and seen["stub"] and seen["broken"] and seen["missing"] and seen["empty"]


def test_older_years_sit_beside_this_year(world):
    """Year tabs, archives and stacked sections hold earlier rounds' files under the same topics."""
    for style, marker in (("yeartabs", 'id="y2564"'), ("iframehub", "2564")):
        host = next(h for h, s in world.styles().items() if s == style)
        site = world.site(host)
        surface = site.ita_entry_path() if style == "yeartabs" else site.inner_path()
        body = decode(world.respond("GET", site.spec.root + surface, {}))
        assert marker in body and "2565" in body
        assert site.old, style
    host = next(h for h, s in world.styles().items() if s == "postlist")
    site = world.site(host)
    assert any(len(posts) > 1 for posts in site.posts.values())


def test_download_script_documents_have_no_extension(world):
    host = next(h for h, s in world.styles().items() if s == "yeartabs")
    urls = [r["evidence_url"] for r in world.labels_for(host) if r["label"] == "pass" and "download.php" in (r["evidence_url"] or "")]
    assert urls
    resp = world.respond("GET", urls[0], {})
    assert resp.status == 200 and resp.header("Content-Type") in ("application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "filename*=UTF-8''" in resp.header("Content-Disposition")


def test_same_seed_same_bytes():
    a, b = heldout_world(seed=7), heldout_world(seed=7)
    assert a.labels() == b.labels()
    for host in a.hosts()[:8]:
        links = [r["evidence_url"] for r in a.labels_for(host) if r["evidence_url"] and r["evidence_url"].startswith("http")][:3]
        for url in [a.spec(host).root, *links]:
            assert a.respond("GET", url, {}).body == b.respond("GET", url, {}).body, url


def test_oit_sim_writes_the_heldout_registry_and_labels(tmp_path):
    import csv

    from oitwatch.cli import main
    from oitwatch.registry import load_laos

    reg, labels = tmp_path / "laos.csv", tmp_path / "labels.csv"
    assert main(["sim", "registry", "--set", "heldout", "--out", str(reg)]) == 0
    assert main(["sim", "labels", "--set", "heldout", "--out", str(labels)]) == 0
    laos = load_laos(reg)
    with labels.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(laos) == len(HELDOUT_STYLES) * SITES_PER_STYLE and len(rows) == len(laos) * 43
    assert {r["lao_id"] for r in rows} == {l.lao_id for l in laos}
