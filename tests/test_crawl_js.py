"""A site whose menu and ITA list exist only after JavaScript runs (the sim's `jsinject` style).

The static HTML of such a site has a header, a footer and scripts, but no link at all: the
crawler must notice (scripts + no link to its own site; an ITA hub without content links) and
render the home and the ITA hub in Chromium, and the links the script built must reach the
stored evidence. Subprocess crawl through the sim proxy.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
from urllib.parse import urljoin, urlsplit

import pytest

from oitwatch.paths import DEFAULT_LAOS
from oitwatch.store import Store
from tests.crawl_site import write_registry_rows

YEAR, AS_OF = "2565", "2022-04-30"


def _jsinject_row(world) -> dict:
    hosts = sorted(h for h, s in world.styles().items() if s == "jsinject")
    if not hosts:
        pytest.skip("the simulated world has no jsinject site")
    with open(DEFAULT_LAOS, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["url"] and (urlsplit(r["url"]).hostname or "").lower() in hosts]
    if not rows:
        pytest.skip("no registry row points at a jsinject site")
    return rows[0]


def _script_built_links(world, page_url: str) -> set[str]:
    """What the page's script turns into links: the URLs of its JSON data island (test oracle only)."""
    body = world.respond("GET", page_url, {}).body.decode("utf-8")
    m = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', body, re.S)
    assert m, f"{page_url} has no data island; the sim style changed"
    data = json.loads(m.group(1))
    urls = {urljoin(page_url, it["u"]) for it in data.get("items", []) if it.get("u") and it["u"] != "#"}
    return {u for u in urls if (urlsplit(u).hostname or "") == urlsplit(page_url).hostname}


@pytest.mark.browser
def test_script_built_ita_links_of_a_js_shell_site_reach_the_evidence(sim_proxy, tmp_path, run_command):
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed")
    from oitsim.world import mukdahan_world

    world = mukdahan_world()   # the same deterministic world the proxy serves
    row = _jsinject_row(world)
    registry = write_registry_rows(tmp_path / "laos.csv", [row])
    proc = run_command.oit("crawl", "--registry", registry, "--proxy", sim_proxy.url, "--allow-private", "--fast",
                           "--data-dir", tmp_path / "data", "--year", YEAR, "--as-of", AS_OF, "--no-check",
                           "--max-pages", "6", "--max-docs", "1", timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = Store(tmp_path / "data")
    ev = store.load_evidence(store.latest_run("crawl"), row["lao_id"])
    assert ev.status == "ok" and "js_rendered" in ev.flags, (ev.status, ev.flags)
    assert ev.home.rendered, "the JS shell home page was not rendered"
    hubs = [p for p in ev.pages if p.rendered and p.depth > 0 and not p.fetch_error]
    assert hubs, f"no rendered ITA hub among {[(p.url, p.rendered) for p in ev.pages]}"
    hub = hubs[0]
    expected = _script_built_links(world, hub.url)
    assert len(expected) >= 10
    stored = {l.url for l in ev.links if l.source_url == hub.url and l.url}
    missing = expected - stored
    assert not missing, f"{len(missing)} of {len(expected)} script-built ITA links missing, e.g. {sorted(missing)[:3]}"
    # pages without scripts are not rendered
    assert not any(p.rendered for p in ev.pages if "/content/" in p.url or "/news/" in p.url)
