"""Write evidence to the results store as it arrives, and check each site when it finishes.

A page and its links are committed right away (one transaction), so a crash loses at most the
page in flight.
When a site finishes, its evidence is read back from the store (the same path a re-check uses)
and ``checks.engine.check_site`` judges it; the results are saved at once, site by site.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from scrapy.exceptions import NotConfigured

from crawler.items import DocumentEvidence, LinkEvidence, PageEvidence, SiteFinished, SiteStarted
# the worker side lives in a module that imports neither Scrapy, Twisted nor pandas (fast worker start)
from crawler.checkworker import check_stored_site, site_evidence  # noqa: F401 - site_evidence re-exported

logger = logging.getLogger(__name__)


def load_check_site():
    """checks.engine.check_site, or None while the check engine is not installed."""
    try:
        from checks.engine import check_site
    except ImportError:
        return None
    return check_site


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.check_seconds = 0.0
        self.seen: dict[str, int] = {}      # items written per site
        self.parked: dict[str, SiteFinished] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("OIT_STORE_PIPELINE_ENABLED", True):
            raise NotConfigured("OIT_STORE_PIPELINE_ENABLED is False")
        o = cls(crawler)
        o.workers = crawler.settings.getint("OIT_CHECK_WORKERS")
        return o

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.spider = spider
        self.store = getattr(spider, "store", None)
        if self.store is None:
            raise NotConfigured("the spider has no results store")
        self.run_id = spider.run_id
        self.progress = getattr(spider, "progress", None)
        self.check = bool(getattr(spider, "check", False))
        self.year = getattr(spider, "year", None)
        self.as_of = getattr(spider, "as_of", None)
        self.check_site = load_check_site() if self.check else None
        if self.check and self.check_site is None:
            logger.warning("checks.engine is not available: evidence is stored, results are not")
        self.pool = None
        if self.check_site is not None and self.workers > 0:
            # Checks run in worker processes: the crawl keeps fetching on this core meanwhile.
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def close_spider(self, spider=None):
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        for lao_id, item in self.parked.items():
            logger.warning("site %s: finish parked, %d of %d items seen", lao_id, self.seen.get(lao_id, 0),
                           item.items)

    async def process_item(self, item, spider=None):
        if isinstance(item, SiteFinished):
            item.validate()
            if self.seen.get(item.lao_id, 0) < item.items:
                self.parked[item.lao_id] = item      # items of this site are still on their way
            else:
                await self._finish(item)
            return item
        ready = None
        try:
            self._write(item)
        finally:
            lao_id = getattr(item, "lao_id", None)
            self.seen[lao_id] = self.seen.get(lao_id, 0) + 1
            parked = self.parked.get(lao_id)
            if parked is not None and self.seen[lao_id] >= parked.items:
                ready = self.parked.pop(lao_id)
        if ready is not None:
            await self._finish(ready)
        return item

    def _write(self, item) -> None:
        item.validate()
        store, run_id = self.store, self.run_id
        if isinstance(item, PageEvidence):
            store.add_page_with_links(run_id, item.lao_id, item.page, item.links)
            if self.progress:
                self.progress.page(item.lao_id, item.page)
        elif isinstance(item, LinkEvidence):
            store.add_links(run_id, item.lao_id, item.links)
        elif isinstance(item, DocumentEvidence):
            store.add_document(run_id, item.lao_id, item.document, reused=item.reused)
            self.stats.inc_value("oit/documents_reused" if item.reused else "oit/documents_fetched")
        elif isinstance(item, SiteStarted):
            store.begin_site(run_id, item.lao_id, item.start_url, name_th=item.name_th,
                             lao_type_th=item.lao_type_th)
            if self.progress:
                self.progress.site_started(item.lao_id, item.start_url)

    async def _finish(self, item: SiteFinished) -> None:
        store, run_id = self.store, self.run_id
        self.seen.pop(item.lao_id, None)
        if self.check_site is not None:
            # Read back what was stored: the checks see exactly what a re-check will see. The site
            # is marked finished together with its results, so a crash in between re-crawls it.
            t0 = time.perf_counter()
            fields = {"lao_id": item.lao_id, "status": item.status, "final_url": item.final_url,
                      "platform": item.platform, "flags": list(item.flags)}
            try:
                if self.pool is not None:
                    report = await asyncio.get_running_loop().run_in_executor(
                        self.pool, check_stored_site, str(store.path), run_id, fields, self.year, self.as_of)
                else:
                    report = self.check_site(site_evidence(store, run_id, fields), self.year, self.as_of)
                with store.tx():
                    store.finish_site(run_id, item.lao_id, item.status, item.final_url, item.platform, item.flags)
                    store.save_results(run_id, item.lao_id, self.year, self.as_of, report)
            except Exception:  # noqa: BLE001 - one site's check bug must not stop the night
                logger.exception("check failed for %s", item.lao_id)
                self.stats.inc_value("oit/check_errors")
                store.finish_site(run_id, item.lao_id, item.status, item.final_url, item.platform, item.flags)
                # the evidence is complete and stays; `oit recheck` can judge it once the bug is fixed
            self.check_seconds += time.perf_counter() - t0
            self.stats.set_value("oit/check_seconds", round(self.check_seconds, 3))
        else:
            store.finish_site(run_id, item.lao_id, item.status, item.final_url, item.platform, item.flags)
        self.stats.inc_value("oit/sites_finished")
        self.stats.inc_value(f"oit/site_status/{item.status}")
        if self.progress:
            self.progress.site_finished(item.lao_id, item.status, item.pages)
