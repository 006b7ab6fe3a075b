"""Accuracy of the check engine on the simulated province, against the generator's labels.

    python -m benchmarks.accuracy [--set mukdahan|heldout] [--via crawl|walk] [--limit N] [--workers N] [--latency-ms 150]
                                  [--google-robots real|open] [--google-api-key KEY]

--set mukdahan  (default) the 55 simulated Mukdahan sites, in the 12 styles the checker was built on;
--set heldout   the held-out world (oitsim/heldout.py): 24 sites of other provinces in 4 styles the
                checker was NOT built on - the generalisation figure.


--via crawl  (default when it works) crawls each site through crawler.runner.crawl_one and the
             sim proxy (oitsim.server.SimServer), exactly like `oit check`;
--via walk   gathers evidence by walking world.respond directly (same parser, same document
             extractor, breadth-first, same page budget; off-site evidence links opened by the
             crawl's rules of crawler/offsite.py, robots.txt obeyed) - for when the crawl runner
             is not usable.

--google-api-key KEY  read public Drive files through the (simulated) Drive API, as `oit check` does
             with OIT_GOOGLE_API_KEY set (crawler/offsite.py); any non-empty string works against
             the simulator. Both --via modes use it. The key never appears in the output.

Positive class = pass. Prints per-item and per-style precision / recall / F1, false passes (the
checker says pass, the label says fail), the needs_review and unknown rates, the median check
time, and the per-item table as Markdown. The checker is NOT tuned to the simulator: it is built
from real-site patterns; the sim only measures it.
"""
from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from checks.engine import check_site
from checks.evidence import Document, Page, SiteEvidence
from crawler.parse import parse_page

DOC_EXT = (".pdf", ".docx", ".xlsx", ".doc", ".xls", ".pptx")


class OffsiteWalker:
    """Opens off-site evidence links as the spider does (crawler/offsite.py): OIT-item candidates
    only, per-site budget, robots.txt of each host, redirects only among accepted hosts, a sign-in
    redirect named signin_required; documents recorded under the link as shown."""

    def __init__(self, world, year: int = 2565, api_key: str | None = None):
        from crawler import settings
        from crawler.offsite import load_policy
        from crawler.spiders.lao import LaoSpider

        self.world = world
        self.policy = load_policy(enabled=settings.OIT_OFFSITE_ENABLED, budget=settings.OIT_OFFSITE_BUDGET,
                                  api_key=api_key)
        self.hub_re, self.term_re = LaoSpider._term_patterns(settings.OIT_HUB_TERMS, year)
        self.agent = settings.USER_AGENT
        self._robots: dict[str, object] = {}

    def relevant(self, link, is_hub: bool) -> bool:
        """As LaoSpider._follow_offsite: a link on a hub page, or one the spider reads as relevant."""
        from crawler.spiders.lao import read_link

        return is_hub or read_link(self.hub_re, self.term_re, f"{link.text} {link.context}", link.url).relevant

    def allowed(self, url: str) -> bool:
        from protego import Protego

        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        rp = self._robots.get(key)
        if rp is None:
            resp = self.world.respond("GET", key + "/robots.txt", {"User-Agent": self.agent})
            body = resp.body.decode("utf-8", "replace") if resp.status == 200 else ""
            rp = self._robots[key] = Protego.parse(body)
        return rp.can_fetch(url, self.agent)

    def fetch(self, url: str):
        """(final URL, response or None, fetch status or None)."""
        from urllib.parse import urljoin

        cur = url
        for _ in range(6):
            if not self.allowed(cur):
                return cur, None, "robots_disallowed"
            resp = self.world.respond("GET", cur, {"User-Agent": self.agent})
            loc = resp.header("Location")
            if resp.status in (301, 302, 303, 307, 308) and loc:
                nxt = urljoin(cur, loc)
                if self.policy.is_signin(nxt):
                    return cur, None, "signin_required"
                if not self.policy.redirect_ok(nxt):
                    return cur, None, "redirect_offsite"
                cur = nxt
                continue
            return cur, resp, None
        return cur, None, "too_many_redirects"

    def open(self, ev: SiteEvidence, links, depth: int, is_hub: bool, state: dict, site_hosts: set) -> None:
        from crawler.extract import extract_document, sniff_kind
        from crawler.offsite import api_fetch_error, redact

        for l in links:
            if l.kind == "form" or not self.policy.accepts(l.url) or (urlsplit(l.url).hostname or "") in site_hosts:
                continue
            if not self.relevant(l, is_hub):
                continue
            plan = [f for f in self.policy.plan(l.url) if f.url not in state["seen"]]
            if state["planned"] + len(plan) > self.policy.budget:
                if plan:
                    ev.flags.append("offsite_budget_exhausted")
                continue
            state["planned"] += len(plan)
            for f in plan:
                state["seen"].add(f.url)
                final, resp, err = self.fetch(f.url)
                if f.kind == "doc":
                    source = redact(f.url)          # a Drive API URL's key is never kept (as the spider)
                    if err or resp.status >= 300:
                        if not err:
                            err = api_fetch_error(resp.status) if self.policy.is_api(final) else "not_found"
                        ev.documents.append(Document(url=f.shown, status=resp.status if resp else 0, kind="other",
                                                     fetch_error=err, extract_status="fetch_error",
                                                     source_url=source))
                        continue
                    kind = sniff_kind(resp.body, "")
                    r = extract_document(resp.body, kind, timeout_s=20)
                    ev.documents.append(Document(url=f.shown, status=resp.status, kind=kind, size=len(resp.body),
                                                 text=r.text, extract_status=r.status, pages=r.pages, source_url=source))
                    continue
                if err or resp.status != 200:
                    ev.pages.append(Page(url=f.url, status=resp.status if resp else 0, depth=depth + 1,
                                         fetch_error=err or "not_found"))
                    continue
                parsed = parse_page(final, resp.body.decode("utf-8", "replace"))
                ev.pages.append(Page(url=final, status=resp.status, title=parsed.title, text=parsed.text,
                                     depth=depth + 1, requested_url=f.url if final != f.url else None,
                                     size=len(resp.body)))


def walk_site(world, lao: dict, max_pages: int = 150, max_docs: int = 60, max_depth: int = 4,
              offsite: OffsiteWalker | None = None) -> SiteEvidence:
    """Evidence of one simulated site by walking world.respond (no sockets)."""
    from crawler.extract import OcrBudget, extract_document, sniff_kind

    host = lao["host"]
    start = lao.get("url") or f"https://{host}/"
    ev = SiteEvidence(lao_id=lao["lao_id"], start_url=start, name_th=lao.get("name_th", ""),
                      lao_type_th=lao.get("lao_type_th", ""))
    prof = world.profile(host)
    if prof.fault:
        ev.status = {"dns_error": "dns_error", "refuse": "connection_refused", "reset": "connection_reset",
                     "hang": "timeout", "drip": "timeout"}.get(prof.fault, "ok")
        if ev.status != "ok":
            return ev
    queue = deque([(start, 0, None)])
    seen = {start}
    off_state = {"planned": 0, "seen": set()}
    hosts = {host, host[4:] if host.startswith("www.") else "www." + host}
    ndocs = 0
    ocr = OcrBudget()          # the site's OCR cap, as in a crawl
    while queue and len(ev.pages) < max_pages:
        url, depth, _ = queue.popleft()
        hops, resp = 0, None
        cur = url
        while hops < 6:
            resp = world.respond("GET", cur, {"User-Agent": "oit-benchmark"})
            loc = resp.header("Location")
            if resp.status in (301, 302, 303, 307, 308) and loc:
                from urllib.parse import urljoin
                cur = urljoin(cur, loc)
                hops += 1
                continue
            break
        ctype = (resp.header("Content-Type") or "").lower()
        kind = sniff_kind(resp.body, urlsplit(cur).path.rsplit(".", 1)[-1] if "." in urlsplit(cur).path else "")
        if kind in ("pdf", "docx", "xlsx", "doc", "xls", "pptx", "ole_encrypted"):
            ndocs += 1
            if ndocs > max_docs:
                continue
            r = extract_document(resp.body, kind, timeout_s=20, ocr=ocr)
            ev.documents.append(Document(url=cur, status=resp.status, kind=kind, size=len(resp.body),
                                         text=r.text, extract_status=r.status, pages=r.pages))
            if cur != url:
                ev.documents.append(Document(url=url, status=resp.status, kind=kind, text=r.text,
                                             extract_status=r.status))
            continue
        from w3lib.encoding import html_to_unicode
        from crawler.extract import repair_encoding

        enc, html = html_to_unicode(ctype or None, resp.body)   # as Scrapy decodes
        better = repair_encoding(resp.body, enc)
        if better:
            html = resp.body.decode(better, errors="replace")
        parsed = parse_page(cur, html) if resp.status < 400 else parse_page(cur, "")
        ev.pages.append(Page(url=cur, status=resp.status, title=parsed.title, text=parsed.text, depth=depth,
                             content_type=ctype or "text/html", requested_url=url if cur != url else None,
                             size=len(resp.body)))
        if depth == 0:
            ev.final_url = cur
            if urlsplit(cur).hostname not in hosts:
                ev.status = "redirect_offsite"
                hosts.add(urlsplit(cur).hostname)
        ev.links.extend(parsed.links)
        if depth >= max_depth:
            continue
        if offsite is not None and offsite.policy.enabled and ev.status != "redirect_offsite":
            hub = bool(offsite.hub_re and offsite.hub_re.search(f"{parsed.title} {unquote_url(cur)}".lower()))
            offsite.open(ev, parsed.links, depth, hub, off_state, hosts)
        for l in parsed.links:
            if not l.url or l.url in seen:
                continue
            h = urlsplit(l.url).hostname or ""
            onsite = h in hosts
            is_doc = urlsplit(l.url).path.lower().endswith(DOC_EXT)
            viewer = None
            if not onsite:
                from urllib.parse import parse_qs, unquote
                for v in parse_qs(urlsplit(l.url).query).values():
                    for x in v:
                        if unquote(x).startswith(("http://", "https://")) and urlsplit(unquote(x)).hostname in hosts:
                            viewer = unquote(x)
                if viewer and viewer not in seen:
                    seen.add(viewer)
                    queue.append((viewer, depth + 1, cur))
                continue
            seen.add(l.url)
            queue.append((l.url, depth + 1, cur)) if not is_doc else queue.appendleft((l.url, depth + 1, cur))
    if not ev.pages:
        ev.status = "down"
    elif ev.pages[0].status >= 400:
        ev.status = {403: "blocked", 429: "blocked", 404: "not_found"}.get(ev.pages[0].status,
                                                                        "server_error" if ev.pages[0].status >= 500 else "ok")
    return ev


def unquote_url(url: str) -> str:
    from urllib.parse import unquote
    return unquote(url)


def crawl_site(lao: dict, proxy: str) -> SiteEvidence:
    from crawler.runner import crawl_one
    from oitwatch.registry import Lao

    row = Lao(lao_id=lao["lao_id"], lao_type="", lao_type_th=lao.get("lao_type_th", ""),
              name_th=lao.get("name_th", ""), name_en="", province_code="", url=lao.get("url") or f"https://{lao['host']}/")
    return crawl_one(row.url, lao=row, proxy=proxy, allow_private=True)


def _world_and_registry(name: str):
    """(world, {lao_id: registry Lao}) of one measured set."""
    from oitwatch.registry import Lao, load_laos

    if name == "heldout":
        from oitsim.heldout import heldout_registry_rows, heldout_world

        rows = list(heldout_registry_rows())
        reg = {r["lao_id"]: Lao(lao_id=r["lao_id"], lao_type=r["lao_type"], lao_type_th=r["lao_type_th"],
                                name_th=r["name_th"], name_en=r["name_en"], province_code=r["province_code"],
                                url=r["url"]) for r in rows}
        return heldout_world(), reg
    from oitsim.generator import mukdahan_world

    return mukdahan_world(), {l.lao_id: l for l in load_laos(check_codes=False)}


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", dest="set_name", choices=("mukdahan", "heldout"), default="mukdahan",
                    help="which simulated world to measure on (default mukdahan)")
    ap.add_argument("--via", choices=("crawl", "walk"), default="walk")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--cache", help="directory to keep walked evidence in (pickle), to re-run the checker only")
    ap.add_argument("--style", help="only sites of this style")
    ap.add_argument("--out", help="also write the whole report (Markdown) to this file")
    ap.add_argument("--google-robots", choices=("real", "open"), default="real",
                    help="robots.txt of the simulated Google hosts: modelled on the real files (default; Drive "
                         "downloads disallowed) or open (what the checker could do if downloads were allowed)")
    ap.add_argument("--google-api-key", default="", metavar="KEY",
                    help="read public Drive files through the Drive API with this key (any non-empty string "
                         "works against the simulator), in both --via modes")
    args = ap.parse_args(argv)
    if args.out:
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = _run(args)
        Path(args.out).write_text(buf.getvalue(), encoding="utf-8")
        sys.stdout.write(buf.getvalue())
        return rc
    return _run(args)


def _run(args) -> int:

    from oitsim.generator import DEFAULT_AS_OF
    world, reg = _world_and_registry(args.set_name)
    if args.google_robots == "open" and getattr(world, "google", None) is not None:
        from oitsim.google import OPEN_ROBOTS
        world.google.robots = dict(OPEN_ROBOTS)
    labels = world.labels()
    as_of = date.fromisoformat(labels[0].get("as_of") or DEFAULT_AS_OF.isoformat())
    sites = {}
    for row in labels:
        s = sites.setdefault(row["host"], {"lao_id": row["lao_id"], "host": row["host"], "style": row["style"],
                                           "labels": {}})
        s["labels"][row["code"]] = row
        if row["lao_id"] in reg:
            s["name_th"], s["lao_type_th"] = reg[row["lao_id"]].name_th, reg[row["lao_id"]].lao_type_th
            url = reg[row["lao_id"]].url
            if url and (urlsplit(url).hostname or "").lower() == row["host"]:
                s["url"] = url
    todo = [s for s in sites.values() if not args.style or s["style"] == args.style][: args.limit or None]

    key = args.google_api_key.strip()
    walker = OffsiteWalker(world, api_key=key) if args.via == "walk" else None
    proxy = None
    if args.via == "crawl":
        import os

        from crawler.offsite import API_KEY_ENV
        if key:
            os.environ[API_KEY_ENV] = key      # crawl_one's spider (and a child process) reads it
        else:
            os.environ.pop(API_KEY_ENV, None)   # the measured run is the one asked for
        from oitsim.server import SimServer
        proxy, _ca = SimServer(world, latency_ms=args.latency_ms).start_in_thread()

    def one(s):
        t0 = time.perf_counter()
        cached = Path(args.cache) / f"{s['host']}.pickle" if args.cache else None
        try:
            if cached is not None and cached.exists():
                ev = pickle.loads(cached.read_bytes())
            else:
                ev = crawl_site(s, proxy) if args.via == "crawl" else walk_site(world, s, offsite=walker)
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_bytes(pickle.dumps(ev))
        except Exception as exc:  # a failed crawl is a measured failure, not a crash of the benchmark
            return s, None, time.perf_counter() - t0, repr(exc)
        t1 = time.perf_counter()
        rep = check_site(ev, 2565, as_of)
        return s, rep, (t1 - t0, time.perf_counter() - t1), None

    if args.via == "crawl" or args.workers <= 1:
        results = [one(s) for s in todo]          # Scrapy installs signal handlers: main thread only
    else:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            results = list(pool.map(one, todo))

    per_item = defaultdict(lambda: [0, 0, 0, 0])     # tp fp fn tn
    per_style = defaultdict(lambda: [0, 0, 0, 0])
    review = unknown = total = 0
    false_passes, check_times, crawl_times, errors = [], [], [], []
    for s, rep, t, err in results:
        if rep is None:
            errors.append((s["host"], err))
            continue
        crawl_times.append(t[0])
        check_times.append(t[1])
        for it in rep.items:
            lab = s["labels"].get(it.code)
            if lab is None:
                continue
            total += 1
            review += it.status == "needs_review"
            unknown += it.status == "unknown"
            pred, truth = it.status == "pass", lab["label"] == "pass"
            idx = 0 if pred and truth else 1 if pred else 2 if truth else 3
            per_item[it.code][idx] += 1
            per_style[s["style"]][idx] += 1
            if pred and not truth:
                false_passes.append((s["host"], s["style"], it.code, lab.get("problem"), it.reason, it.evidence_url))
            if args.show_errors and pred != truth:
                print(f"  {s['style']:12} {s['host']:28} {it.code:4} got {it.status:12} {it.reason:18} "
                      f"label {lab['label']}/{lab.get('problem')} {it.evidence_url}", file=sys.stderr)
    tp = sum(v[0] for v in per_item.values())
    fp = sum(v[1] for v in per_item.values())
    fn = sum(v[2] for v in per_item.values())
    p, r, f = prf(tp, fp, fn)
    title = {"mukdahan": "simulated Mukdahan set", "heldout": "held-out styles set"}[args.set_name]
    api = ", Drive API key set" if key else ""
    print(f"# OIT check accuracy on the {title} (via {args.via}{api}, as of {as_of})\n")
    print(f"sites checked: {len(results) - len(errors)} of {len(results)}; items judged: {total}")
    print(f"precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    print(f"false passes: {len(false_passes)}")
    print(f"needs_review: {review} ({100 * review / max(total, 1):.1f}%)  unknown: {unknown} ({100 * unknown / max(total, 1):.1f}%)")
    if crawl_times:
        print(f"median evidence time per site: {statistics.median(crawl_times):.2f} s; "
              f"median check (engine) time: {statistics.median(check_times) * 1000:.0f} ms; "
              f"median total: {statistics.median([a + b for a, b in zip(crawl_times, check_times)]):.2f} s")
    for host, err in errors:
        print(f"ERROR {host}: {err}")
    print("\n## Per style\n\n| style | sites | precision | recall | F1 | false passes |\n|---|---|---|---|---|---|")
    nsites = defaultdict(int)
    for s, rep, _, _ in results:
        nsites[s["style"]] += rep is not None
    for style, (a, b, c, d) in sorted(per_style.items()):
        sp, sr, sf = prf(a, b, c)
        print(f"| {style} | {nsites[style]} | {sp:.3f} | {sr:.3f} | {sf:.3f} | {b} |")
    print("\n## Per item\n\n| item | pass labels | precision | recall | F1 | false passes |\n|---|---|---|---|---|---|")
    for code in sorted(per_item, key=lambda c: int(c[1:])):
        a, b, c, d = per_item[code]
        ip, ir, i_f = prf(a, b, c)
        print(f"| {code} | {a + c} | {ip:.3f} | {ir:.3f} | {i_f:.3f} | {b} |")
    if false_passes:
        print("\n## False passes\n")
        for fpz in false_passes[:60]:
            print("- " + " | ".join(str(x) for x in fpz))
    return 0


if __name__ == "__main__":
    sys.exit(main())
