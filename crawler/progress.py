"""Crawl progress: a live rich bar on a terminal, plain log lines otherwise.

The store pipeline calls ``site_started`` / ``page`` / ``site_finished``; ``make_progress``
picks the display. Errors are sites that ended with a status other than ``ok``.
"""
from __future__ import annotations

import sys
import time


class CrawlProgress:
    """Counts sites, pages and errors; subclasses display them."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.pages = 0
        self.errors = 0
        self.started = time.monotonic()

    def start(self) -> None: ...

    def close(self) -> None: ...

    def site_started(self, lao_id: str, url: str) -> None: ...

    def page(self, lao_id: str, page) -> None:
        self.pages += 1

    def site_finished(self, lao_id: str, status: str, pages: int = 0) -> None:
        self.done += 1
        if status != "ok":
            self.errors += 1

    def eta_seconds(self) -> float | None:
        if not self.done:
            return None
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        return (self.total - self.done) / rate


class NullProgress(CrawlProgress):
    """Counts only."""


class LineProgress(CrawlProgress):
    """One plain line per finished site (for logs, cron and pipes)."""

    def __init__(self, total: int, stream=None):
        super().__init__(total)
        self.stream = stream or sys.stderr

    def site_finished(self, lao_id: str, status: str, pages: int = 0) -> None:
        super().site_finished(lao_id, status, pages)
        eta = self.eta_seconds()
        eta_s = f"{eta:.0f}s" if eta is not None else "?"
        print(f"[crawl] {self.done}/{self.total} sites  {lao_id}: {status}, {pages} pages  "
              f"(pages {self.pages}, errors {self.errors}, eta {eta_s})", file=self.stream, flush=True)


class RichProgress(CrawlProgress):
    """A live bar: sites done/total, pages, errors, ETA."""

    def __init__(self, total: int, stream=None):
        super().__init__(total)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("crawl"), BarColumn(), MofNCompleteColumn(), TextColumn("sites"),
                             TextColumn("pages {task.fields[pages]}  errors {task.fields[errors]}"),
                             TimeRemainingColumn(), console=Console(file=stream or sys.stderr), transient=False)
        self._task = self._bar.add_task("crawl", total=total, pages=0, errors=0)
        self._last = 0.0

    def start(self) -> None:
        self._bar.start()

    def close(self) -> None:
        self._bar.update(self._task, completed=self.done, pages=self.pages, errors=self.errors)
        self._bar.stop()

    def page(self, lao_id: str, page) -> None:
        super().page(lao_id, page)
        now = time.monotonic()
        if now - self._last > 0.2:
            self._last = now
            self._bar.update(self._task, pages=self.pages)

    def site_finished(self, lao_id: str, status: str, pages: int = 0) -> None:
        super().site_finished(lao_id, status, pages)
        self._bar.update(self._task, completed=self.done, pages=self.pages, errors=self.errors)


def make_progress(total: int, *, stream=None, tty: bool | None = None) -> CrawlProgress:
    """RichProgress on a terminal, LineProgress otherwise."""
    stream = stream or sys.stderr
    if tty is None:
        tty = bool(getattr(stream, "isatty", lambda: False)())
    return RichProgress(total, stream) if tty else LineProgress(total, stream)
