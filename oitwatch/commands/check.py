"""`oit check URL`: crawl one website now and judge every OIT item of an ITA year.

    oit check https://example.go.th/ [--year 2565] [--as-of 2022-04-30] [--format table|json|itas]
              [--out PATH] [--answers answers.csv] [--allow-private] [--proxy URL] [--max-pages N]

Exit code 0 whenever the check ran (whatever the compliance result); 2 for bad input.
"""
from __future__ import annotations

import json
import re
import sys
from datetime import date
from urllib.parse import urlsplit

from checks.catalog import latest_complete_year, load_catalog
from oitwatch.errors import InputError


def add_arguments(p) -> None:
    p.add_argument("url", help="website to check (http or https)")
    p.add_argument("--year", help="ITA year in BE (default: the latest complete catalog)")
    p.add_argument("--as-of", dest="as_of", help="judge year rules as of this date, YYYY-MM-DD (CE or BE; default today)")
    p.add_argument("--format", choices=("table", "json", "itas"), default="table", help="output format")
    p.add_argument("--out", help="write the output here (itas: CSV and XLSX with this base name)")
    p.add_argument("--answers", help="CSV of code,url: verify the URL planned for each item")
    p.add_argument("--allow-private", action="store_true", help="allow loopback/private targets (local testing)")
    p.add_argument("--proxy", help="HTTP proxy for every request (e.g. the simulated web)")
    p.add_argument("--max-pages", type=int, default=None, help="page budget of the crawl")


_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")


def parse_url(raw: str) -> str:
    u = (raw or "").strip()
    bad = InputError(f"URL: not a website address: {raw!r} (expected http(s)://host/...)")
    if u and "://" not in u:
        if _OTHER_SCHEME.match(u):     # javascript:, mailto:, data: ... (host:port stays allowed)
            raise bad
        u = "http://" + u
    parts = urlsplit(u)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in u:
        raise bad
    try:
        parts.port
    except ValueError:
        raise InputError(f"URL: bad port in {raw!r}") from None
    return u


def parse_as_of(raw: str | None) -> date:
    if not raw:
        return date.today()
    try:
        d = date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(f"--as-of: not a date YYYY-MM-DD: {raw!r}") from None
    if d.year > 2400:             # a Buddhist-Era date
        d = d.replace(year=d.year - 543)
    return d


def run(args) -> int:
    url = parse_url(args.url)
    year = int(args.year) if args.year and str(args.year).isdigit() else (args.year or latest_complete_year())
    catalog = load_catalog(year)
    as_of = parse_as_of(args.as_of)
    if args.max_pages is not None and args.max_pages < 1:
        raise InputError(f"--max-pages: must be at least 1, got {args.max_pages}")
    answers = None
    if args.answers:
        from oitwatch.selfcheck import read_answers
        answers = read_answers(args.answers, catalog.codes)
    if args.format == "itas" and not args.out:
        host = urlsplit(url).hostname or "site"
        args.out = f"itas_{host}_{catalog.year}"

    from crawler.runner import Budget, crawl_one   # lazy: Scrapy is heavy
    from crawler.progress import make_progress
    from checks.engine import check_site

    budget = Budget(max_pages=args.max_pages) if args.max_pages else None
    progress = make_progress(1, stream=sys.stderr)
    ev = crawl_one(url, extra_urls=tuple(answers.values()) if answers else (), proxy=args.proxy,
                   allow_private=args.allow_private, budget=budget, progress=progress)
    report = check_site(ev, catalog.year, as_of, only=answers)
    return emit(report, url, args.format, args.out)


def emit(report, url: str, fmt: str, out: str | None) -> int:
    from oitwatch.selfcheck import render_table, write_itas
    from checks.outcome import messages

    if fmt == "json":
        text = json.dumps(report.to_json(url), ensure_ascii=False, indent=2)
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        else:
            print(text)
        return 0
    if fmt == "itas":
        csv_path, xlsx_path = write_itas(report, out)
        print(messages()["ui"]["itas_written"].format(csv=csv_path, xlsx=xlsx_path))
        return 0
    text = render_table(report, url)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    sys.stdout.write(text)
    return 0
