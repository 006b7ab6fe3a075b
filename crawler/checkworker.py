"""The per-site check run in a check worker process, kept lean on purpose.

`crawler.pipelines` runs `check_stored_site` in spawned worker processes; a spawned worker imports
the module of the function it runs. This module imports neither Scrapy, Twisted nor pandas (the
store imports pandas only inside its DataFrame functions), so a worker starts with the check
engine and the SQLite store alone. Keep it that way: no crawler.* imports here, and the imports
below stay inside the functions.
"""
from __future__ import annotations

_WORKER_STORES: dict = {}


def site_evidence(store, run_id: int, item):
    """The stored evidence of a site whose crawl just ended, with the site fields of `item`
    (a SiteFinished item, or a dict with lao_id, status, final_url, platform, flags)."""
    fields = item if isinstance(item, dict) else {"status": item.status, "final_url": item.final_url,
                                                  "platform": item.platform, "flags": list(item.flags)}
    ev = store.load_evidence(run_id, fields.get("lao_id") or item.lao_id)
    ev.status, ev.final_url, ev.platform, ev.flags = (fields["status"], fields["final_url"], fields["platform"],
                                                      list(fields["flags"]))
    return ev


def check_stored_site(store_path: str, run_id: int, fields: dict, year: int, as_of):
    """Load a finished site's evidence from the store and judge it (runs in a check worker process)."""
    from checks.engine import check_site
    from oitwatch.store import Store

    store = _WORKER_STORES.get(store_path)
    if store is None:
        store = _WORKER_STORES[store_path] = Store(store_path)
    return check_site(site_evidence(store, run_id, fields), year, as_of)
