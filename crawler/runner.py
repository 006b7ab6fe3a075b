"""Run a crawl from Python: the broad crawl (``run_crawl``) and the self-check (``crawl_one``).

Both use the one spider (crawler/spiders/lao.py) and the store pipeline; a self-check is a
crawl of one site into a store (a temporary one when none is given). Scrapy's reactor runs once
per process: a second crawl in the same process runs in a child process (spawned) that writes
to the same store file.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scrapy.exceptions import NotConfigured as NotConfiguredError

from checks.evidence import SiteEvidence

logger = logging.getLogger(__name__)
_REACTOR_USED = False
#: The cycle collector's young-generation threshold during a crawl (Python's default is 700).
#: Scrapy and Twisted allocate many short-lived containers per request: at 700 the collector
#: ran every few responses, about 8% of the crawling process's CPU; at 10,000 it is under 2%,
#: and the peak memory of a crawl did not change measurably (benchmarks/crawl_speed.py).
GC_THRESHOLD_0 = 10_000


@dataclass
class Budget:
    max_pages: int = 150
    max_depth: int = 4
    max_doc_bytes: int = 15_000_000
    max_docs: int = 60


def build_settings(*, proxy: str | None = None, allow_private: bool = False, budget: Budget | None = None,
                   overrides: dict | None = None):
    """Project settings plus the run's options; Playwright handlers only when OIT_PLAYWRIGHT_ENABLED."""
    from scrapy.settings import Settings

    from crawler import settings as project_settings

    s = Settings()
    s.setmodule(project_settings, priority="project")
    budget = budget or Budget()
    s.setdict({"OIT_MAX_PAGES": budget.max_pages, "OIT_MAX_DEPTH": budget.max_depth,
               "OIT_MAX_DOC_BYTES": budget.max_doc_bytes, "OIT_MAX_DOCS": budget.max_docs,
               "DOWNLOAD_MAXSIZE": max(budget.max_doc_bytes, s.getint("OIT_PAGE_MAXSIZE")) + 1_000_000,
               "OIT_PROXY": proxy or "", "OIT_ALLOW_PRIVATE": bool(allow_private)}, priority="cmdline")
    for key, value in (overrides or {}).items():
        s.set(key, value, priority="cmdline")
    if s.getbool("OIT_PLAYWRIGHT_ENABLED"):
        s.set("DOWNLOAD_HANDLERS", s.getdict("OIT_PLAYWRIGHT_DOWNLOAD_HANDLERS"), priority="cmdline")
        # The browser and its context start lazily, on the first page that needs JavaScript.
        context = {"ignore_https_errors": True}
        if proxy:
            context["proxy"] = {"server": proxy}
        s.set("OIT_PLAYWRIGHT_CONTEXT", context, priority="cmdline")
    return s


class _ExpectedFailure(logging.Filter):
    """Scrapy logs a site that cannot be fetched (retries given up, robots.txt unreachable) as an
    ERROR with a traceback. Here that is an expected outcome with a named site status
    (crawler.faults), so the record is demoted to one INFO line: a self-check of a dead site prints
    its status, not 60 lines of Twisted internals, and a night's log stays readable."""

    LOGGERS = ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


def _demote_expected_failures() -> None:
    for name in _ExpectedFailure.LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedFailure) for f in logger.filters):
            logger.addFilter(_ExpectedFailure())


def run_crawl(laos, store, run_id: int, *, year: int | None, as_of: date | None, proxy: str | None = None,
              allow_private: bool = False, resume: bool = False, budget: Budget | None = None, check: bool = True,
              progress=None, settings: dict | None = None) -> dict:
    """Crawl `laos` into `store` under `run_id` (checking each site as it finishes when `check`).

    With `resume`, sites the run already finished are skipped; a site left half-done is
    restarted cleanly. Returns Scrapy's stats plus ``finish_reason`` and ``sites``.
    """
    global _REACTOR_USED
    from crawler.spiders.lao import LaoSpider, SiteRow

    laos = list(laos)
    for lao in laos:  # bad rows stop the run before anything is fetched
        LaoSpider.validate_row(SiteRow.of(lao))
    if resume:
        done = store.done_sites(run_id)
        laos = [l for l in laos if _lao_id(l) not in done]
    if _REACTOR_USED:
        return _run_in_child(laos, store.path, run_id, year=year, as_of=as_of, proxy=proxy,
                             allow_private=allow_private, budget=budget, check=check, settings=settings)
    _REACTOR_USED = True
    from scrapy.crawler import CrawlerProcess

    s = build_settings(proxy=proxy, allow_private=allow_private, budget=budget, overrides=settings)
    process = CrawlerProcess(s)
    _demote_expected_failures()
    crawler = process.create_crawler(LaoSpider)
    if progress is not None:
        progress.total = len(laos)
        progress.start()
    threshold = gc.get_threshold()
    try:
        process.crawl(crawler, sites=laos, store=store, run_id=run_id, year=year, as_of=as_of, check=check,
                      progress=progress)
        # What exists now (modules, settings, the catalog) lives as long as the crawl: frozen, the
        # collector's full passes no longer walk it.
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD_0, *threshold[1:])
        process.start()
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
        if progress is not None:
            progress.close()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}
    stats.setdefault("finish_reason", "unknown")
    stats["sites"] = len(laos)
    return stats


def _lao_id(lao) -> str:
    return lao["lao_id"] if isinstance(lao, dict) else lao.lao_id


def _child(laos, store_path, run_id, kwargs, queue) -> None:
    from oitwatch.store import Store

    store = Store(store_path)
    try:
        queue.put(run_crawl(laos, store, run_id, **kwargs))
    finally:
        store.close()


def _run_in_child(laos, store_path, run_id, **kwargs) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(laos, str(store_path), run_id, kwargs, queue))
    proc.start()
    stats = {"finish_reason": "child_failed"}
    while True:
        try:
            stats = queue.get(timeout=1.0)
            break
        except Exception:  # noqa: BLE001 - queue.Empty: still crawling, or the child died
            if not proc.is_alive():
                break
    proc.join()
    return stats


def self_check_lao(url: str, extra_urls=()):
    """The registry-like row of a self-check of one URL (no registry entry needed)."""
    from oitwatch.registry import Lao

    return Lao(lao_id="self-check", lao_type="", lao_type_th="", name_th="", name_en="", province_code="",
               url=url)


def crawl_one(url: str, *, lao=None, extra_urls=(), proxy: str | None = None, allow_private: bool = False,
              budget: Budget | None = None, progress=None, store=None, run_id: int | None = None,
              settings: dict | None = None) -> SiteEvidence:
    """Crawl one site (a self-check) and return its evidence as stored.

    `lao` (a registry row) gives the id, name and alternative URLs; without it the site is
    ``self-check``. `extra_urls` are fetched too (even off-site) but not followed. Without a
    `store`, a temporary one is used.
    """
    from oitwatch.store import Store

    tmp = None
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="oit-check-")
        store = Store(Path(tmp.name) / "check.sqlite")
    try:
        row = lao or self_check_lao(url)
        site = {"lao_id": row.lao_id, "urls": [url, *[u for u in getattr(row, "alt_urls", []) if u != url]],
                "name_th": getattr(row, "name_th", ""), "lao_type_th": getattr(row, "lao_type_th", ""),
                "platform": getattr(row, "platform", ""), "extra_urls": list(extra_urls)}
        own_run = run_id is None
        if own_run:
            run_id = store.start_run("check", {"url": url, "extra_urls": list(extra_urls)})
        if settings is None:
            from crawler.settings import SELF_CHECK_PROFILE
            settings = dict(SELF_CHECK_PROFILE)
        stats = run_crawl([site], store, run_id, year=None, as_of=None, proxy=proxy, allow_private=allow_private,
                          budget=budget, check=False, progress=progress, settings=settings)
        if not store.site_done(run_id, row.lao_id):
            raise RuntimeError(f"crawl of {url} did not finish ({stats.get('finish_reason')})")
        if own_run:
            store.finish_run(run_id, "finished")
        return store.load_evidence(run_id, row.lao_id)
    finally:
        if tmp is not None:
            store.close()
            tmp.cleanup()


__all__ = ["Budget", "NotConfiguredError", "build_settings", "run_crawl", "crawl_one"]
