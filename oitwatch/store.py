"""The results store: one SQLite file (WAL) holding runs, per-site status, evidence and check results.

Written incrementally by the crawl pipeline (one commit per page with its links / document), so a
crash loses at most the page in flight. Documents are stored once per content hash, with their
extracted text; page texts are stored once per content hash too, so unchanged pages cost nothing
night after night. Conditional-request validators (ETag / Last-Modified) are kept per URL.

The schema is versioned: ``schema_version`` holds the applied version and ``MIGRATIONS`` is the
ordered list of functions that bring an older file up to date.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from checks.evidence import Document, Link, Page, SiteEvidence

if TYPE_CHECKING:      # pandas is imported by the DataFrame functions only: a check worker never needs it
    import pandas as pd

DB_NAME = "oitwatch.sqlite"
RUN_KINDS = ("crawl", "check", "recheck", "nightly")
RUN_STATUSES = ("running", "finished", "failed", "interrupted")

RESULT_COLUMNS = ["run_id", "year", "as_of", "lao_id", "code", "item_key", "item_order", "status", "problem",
                  "reason", "evidence_url", "matched_text", "found_year", "confidence", "reason_th", "reason_en",
                  "checked_at"]
SITE_COLUMNS = ["lao_id", "status", "final_url", "platform", "flags", "pages", "documents", "finished_at"]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _pack(text: str | None) -> bytes | None:
    return None if text is None else zlib.compress(text.encode("utf-8"), 6)


def _unpack(blob: bytes | None) -> str | None:
    return None if blob is None else zlib.decompress(blob).decode("utf-8")


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- migrations

def _script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (executescript would commit)."""
    for stmt in sql.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _m1_initial(db: sqlite3.Connection) -> None:
    _script(db, """
    CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL, name TEXT, params TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'running', started_at TEXT NOT NULL, finished_at TEXT,
        source_run INTEGER
    );
    CREATE TABLE sites (
        run_id INTEGER NOT NULL, lao_id TEXT NOT NULL, start_url TEXT,
        status TEXT, final_url TEXT, platform TEXT, flags TEXT NOT NULL DEFAULT '[]',
        name_th TEXT NOT NULL DEFAULT '', lao_type_th TEXT NOT NULL DEFAULT '',
        started_at TEXT, finished_at TEXT,
        PRIMARY KEY (run_id, lao_id)
    );
    CREATE TABLE texts (hash TEXT PRIMARY KEY, body BLOB NOT NULL);
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, lao_id TEXT NOT NULL,
        url TEXT NOT NULL, status INTEGER NOT NULL, title TEXT NOT NULL DEFAULT '', text_hash TEXT,
        depth INTEGER NOT NULL DEFAULT 0, content_type TEXT, rendered INTEGER NOT NULL DEFAULT 0,
        fetch_error TEXT, requested_url TEXT, size INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX pages_site ON pages(run_id, lao_id);
    CREATE TABLE links (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, lao_id TEXT NOT NULL,
        source_url TEXT NOT NULL, href TEXT NOT NULL, url TEXT, text TEXT NOT NULL DEFAULT '',
        context TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT 'a', in_nav INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX links_site ON links(run_id, lao_id);
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY, kind TEXT, size INTEGER, text BLOB, extract_status TEXT, pages INTEGER,
        created_at TEXT
    );
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, lao_id TEXT NOT NULL,
        url TEXT NOT NULL, status INTEGER NOT NULL, kind TEXT, size INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT, extract_status TEXT, pages INTEGER, fetch_error TEXT, reused INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX documents_site ON documents(run_id, lao_id);
    CREATE TABLE validators (
        url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, sha256 TEXT, kind TEXT, size INTEGER,
        status INTEGER, updated_at TEXT
    );
    CREATE TABLE results (
        run_id INTEGER NOT NULL, lao_id TEXT NOT NULL, year INTEGER NOT NULL, as_of TEXT NOT NULL,
        code TEXT NOT NULL, item_key TEXT, item_order INTEGER, status TEXT NOT NULL, problem TEXT,
        reason TEXT, evidence_url TEXT, matched_text TEXT, found_year INTEGER, confidence REAL,
        reason_th TEXT, reason_en TEXT, host TEXT, checked_at TEXT NOT NULL,
        PRIMARY KEY (run_id, lao_id, year, code)
    );
    CREATE TABLE site_scores (
        run_id INTEGER NOT NULL, lao_id TEXT NOT NULL, year INTEGER NOT NULL, score REAL,
        PRIMARY KEY (run_id, lao_id, year)
    );
    """)


def _m2_document_source_url(db: sqlite3.Connection) -> None:
    """Off-site evidence: a document is recorded under the link the site shows (a Drive viewer URL)
    and ``source_url`` keeps the URL its bytes were fetched from (the public download URL)."""
    db.execute("ALTER TABLE documents ADD COLUMN source_url TEXT")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m1_initial, _m2_document_source_url]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The store file is unusable (e.g. written by a newer version)."""


class Store:
    """SQLite results store. One connection per Store; use it from one thread."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if path.is_dir() or (not path.suffix and not path.exists()):
            path = path / DB_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    # ----------------------------------------------------------------- plumbing
    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        if current > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {current} is newer than this program ({SCHEMA_VERSION})")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.tx():
                MIGRATIONS[version - 1](self.db)
                self.db.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))

    @property
    def schema_version(self) -> int:
        return self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    def tx(self):
        return _Tx(self.db)

    def close(self) -> None:
        self.db.close()

    # ----------------------------------------------------------------- runs
    def start_run(self, kind: str, params: dict | None = None, *, name: str | None = None,
                  source_run: int | None = None) -> int:
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {RUN_KINDS}, not {kind!r}")
        params = dict(params or {})
        cur = self.db.execute(
            "INSERT INTO runs(kind, name, params, status, started_at, source_run) VALUES (?,?,?,?,?,?)",
            (kind, name or params.get("name"), json.dumps(params, ensure_ascii=False, default=str), "running",
             now_iso(), source_run))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {RUN_STATUSES}, not {status!r}")
        self.db.execute("UPDATE runs SET status=?, finished_at=? WHERE run_id=?", (status, now_iso(), run_id))

    def run_info(self, run_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["params"] = json.loads(out["params"] or "{}")
        return out

    def runs_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query("SELECT run_id, kind, name, params, status, started_at, finished_at, source_run "
                                 "FROM runs ORDER BY run_id", self.db)

    def latest_run(self, kind: str | None = None, status: str | None = None) -> int | None:
        sql, args = "SELECT MAX(run_id) FROM runs WHERE 1=1", []
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        if status:
            sql += " AND status=?"
            args.append(status)
        return self.db.execute(sql, args).fetchone()[0]

    def previous_run(self, run_id: int) -> int | None:
        """The latest earlier run that has check results (the baseline for a diff)."""
        row = self.db.execute(
            "SELECT MAX(run_id) FROM runs WHERE run_id < ? AND run_id IN (SELECT DISTINCT run_id FROM results)",
            (run_id,)).fetchone()
        return row[0]

    def interrupted_run(self, kind: str = "crawl") -> int | None:
        """The latest run of `kind` that did not finish (status running or interrupted)."""
        row = self.db.execute(
            "SELECT MAX(run_id) FROM runs WHERE kind=? AND status IN ('running','interrupted')", (kind,)).fetchone()
        return row[0]

    # ----------------------------------------------------------------- sites
    def site_done(self, run_id: int, lao_id: str) -> bool:
        row = self.db.execute("SELECT finished_at FROM sites WHERE run_id=? AND lao_id=?", (run_id, lao_id)).fetchone()
        return bool(row and row[0])

    def done_sites(self, run_id: int) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT lao_id FROM sites WHERE run_id=? AND finished_at IS NOT NULL", (run_id,))}

    def begin_site(self, run_id: int, lao_id: str, start_url: str, *, name_th: str = "",
                   lao_type_th: str = "") -> None:
        """Start (or restart) a site in a run: any partial evidence and results of it are cleared."""
        with self.tx():
            for table in ("pages", "links", "documents", "results", "site_scores"):
                self.db.execute(f"DELETE FROM {table} WHERE run_id=? AND lao_id=?", (run_id, lao_id))
            self.db.execute(
                "INSERT OR REPLACE INTO sites(run_id, lao_id, start_url, status, final_url, platform, flags, name_th,"
                " lao_type_th, started_at, finished_at) VALUES (?,?,?,NULL,NULL,NULL,'[]',?,?,?,NULL)",
                (run_id, lao_id, start_url, name_th, lao_type_th, now_iso()))

    def _put_text(self, text: str) -> str:
        h = _text_hash(text)
        self.db.execute("INSERT OR IGNORE INTO texts(hash, body) VALUES (?,?)", (h, _pack(text)))
        return h

    def add_page(self, run_id: int, lao_id: str, page: Page) -> None:
        with self.tx():
            h = self._put_text(page.text) if page.text else None
            self.db.execute(
                "INSERT INTO pages(run_id, lao_id, url, status, title, text_hash, depth, content_type, rendered,"
                " fetch_error, requested_url, size) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, lao_id, page.url, page.status, page.title, h, page.depth, page.content_type,
                 int(page.rendered), page.fetch_error, page.requested_url, page.size))

    def add_links(self, run_id: int, lao_id: str, links: Iterable[Link]) -> None:
        rows = [(run_id, lao_id, l.source_url, l.href, l.url, l.text, l.context, l.kind, int(l.in_nav))
                for l in links]
        if not rows:
            return
        with self.tx():
            self.db.executemany(
                "INSERT INTO links(run_id, lao_id, source_url, href, url, text, context, kind, in_nav)"
                " VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def add_page_with_links(self, run_id: int, lao_id: str, page: Page, links: Iterable[Link]) -> None:
        """A page and its links in one transaction (the crawl pipeline's unit of work)."""
        with self.tx():
            self.add_page(run_id, lao_id, page)
            self.add_links(run_id, lao_id, links)

    def has_blob(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM blobs WHERE sha256=?", (sha256,)).fetchone() is not None

    def blob(self, sha256: str) -> dict | None:
        row = self.db.execute("SELECT * FROM blobs WHERE sha256=?", (sha256,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["text"] = _unpack(out["text"])
        return out

    def blob_meta(self, sha256: str) -> dict | None:
        """A stored document's kind, size, extract_status and pages, without its text."""
        row = self.db.execute("SELECT sha256, kind, size, extract_status, pages FROM blobs WHERE sha256=?",
                              (sha256,)).fetchone()
        return dict(row) if row is not None else None

    def add_document(self, run_id: int, lao_id: str, doc: Document, *, reused: bool = False) -> None:
        """Record a document of a run; its content (text) is stored once per sha256. A stored scan
        without text (``no_text``) is upgraded when a later crawl OCR'd it (``ocr``); nothing else
        ever replaces stored content."""
        with self.tx():
            if doc.sha256:
                self.db.execute(
                    "INSERT INTO blobs(sha256, kind, size, text, extract_status, pages, created_at)"
                    " VALUES (?,?,?,?,?,?,?) ON CONFLICT(sha256) DO UPDATE SET text=excluded.text,"
                    " extract_status=excluded.extract_status, pages=COALESCE(excluded.pages, blobs.pages)"
                    " WHERE blobs.extract_status='no_text' AND excluded.extract_status='ocr'",
                    (doc.sha256, doc.kind, doc.size, _pack(doc.text), doc.extract_status, doc.pages, now_iso()))
            self.db.execute(
                "INSERT INTO documents(run_id, lao_id, url, status, kind, size, sha256, extract_status, pages,"
                " fetch_error, reused, source_url) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, lao_id, doc.url, doc.status, doc.kind, doc.size, doc.sha256 or None, doc.extract_status,
                 doc.pages, doc.fetch_error, int(reused), doc.source_url))

    def finish_site(self, run_id: int, lao_id: str, status: str, final_url: str | None, platform: str | None,
                    flags: Iterable[str]) -> None:
        self.db.execute(
            "UPDATE sites SET status=?, final_url=?, platform=?, flags=?, finished_at=? WHERE run_id=? AND lao_id=?",
            (status, final_url, platform, json.dumps(sorted(set(flags))), now_iso(), run_id, lao_id))

    def site_ids(self, run_id: int) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT lao_id FROM sites WHERE run_id=? ORDER BY lao_id", (run_id,))]

    def load_evidence(self, run_id: int, lao_id: str) -> SiteEvidence:
        site = self.db.execute("SELECT * FROM sites WHERE run_id=? AND lao_id=?", (run_id, lao_id)).fetchone()
        if site is None:
            raise KeyError(f"run {run_id} has no site {lao_id!r}")
        ev = SiteEvidence(
            lao_id=lao_id, start_url=site["start_url"] or "", status=site["status"] or "down",
            final_url=site["final_url"], platform=site["platform"] or "generic",
            flags=json.loads(site["flags"] or "[]"), name_th=site["name_th"] or "",
            lao_type_th=site["lao_type_th"] or "", fetched_at=site["started_at"] or "")
        texts: dict[str, str] = {}
        for r in self.db.execute(
                "SELECT p.*, t.body FROM pages p LEFT JOIN texts t ON t.hash = p.text_hash"
                " WHERE p.run_id=? AND p.lao_id=? ORDER BY p.id", (run_id, lao_id)):
            text = texts.get(r["text_hash"]) if r["text_hash"] else ""
            if text is None:
                text = texts[r["text_hash"]] = _unpack(r["body"]) or ""
            ev.pages.append(Page(url=r["url"], status=r["status"], title=r["title"], text=text, depth=r["depth"],
                                 content_type=r["content_type"] or "text/html", rendered=bool(r["rendered"]),
                                 fetch_error=r["fetch_error"], requested_url=r["requested_url"], size=r["size"]))
        for r in self.db.execute("SELECT * FROM links WHERE run_id=? AND lao_id=? ORDER BY id", (run_id, lao_id)):
            ev.links.append(Link(source_url=r["source_url"], href=r["href"], url=r["url"], text=r["text"],
                                 context=r["context"], kind=r["kind"], in_nav=bool(r["in_nav"])))
        # a scan stored as no_text by this run and OCR'd by a later one reads as OCR text (status ocr)
        for r in self.db.execute(
                "SELECT d.*, b.text AS btext, b.extract_status AS bstatus FROM documents d"
                " LEFT JOIN blobs b ON b.sha256 = d.sha256 WHERE d.run_id=? AND d.lao_id=? ORDER BY d.id",
                (run_id, lao_id)):
            status = "ocr" if r["bstatus"] == "ocr" else r["extract_status"] or "ok"
            ev.documents.append(Document(url=r["url"], status=r["status"], kind=r["kind"] or "other",
                                         size=r["size"], sha256=r["sha256"] or "", text=_unpack(r["btext"]),
                                         extract_status=status, pages=r["pages"],
                                         fetch_error=r["fetch_error"], source_url=r["source_url"]))
        return ev

    # ----------------------------------------------------------------- conditional requests
    def validators(self, url: str) -> dict | None:
        row = self.db.execute("SELECT * FROM validators WHERE url=?", (url,)).fetchone()
        return dict(row) if row else None

    def save_validators(self, url: str, *, etag: str | None, last_modified: str | None, sha256: str,
                        kind: str, size: int, status: int = 200) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO validators(url, etag, last_modified, sha256, kind, size, status, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?)", (url, etag, last_modified, sha256, kind, size, status, now_iso()))

    # ----------------------------------------------------------------- results
    def save_results(self, run_id: int, lao_id: str, year: int, as_of: date | str, site_report) -> None:
        """Replace this site's results for (run, year) with the items of `site_report`, atomically."""
        as_of = as_of.isoformat() if isinstance(as_of, date) else str(as_of)
        checked = now_iso()
        rows = []
        for it in site_report.items:
            g = lambda name, default=None: getattr(it, name, default)  # noqa: E731
            rows.append((run_id, lao_id, int(year), as_of, g("code"), g("key"), g("order"), g("status"),
                         g("problem"), g("reason"), g("evidence_url"), g("matched_text"), g("found_year"),
                         g("confidence"), g("reason_th"), g("reason_en"), g("host"), checked))
        with self.tx():
            self.db.execute("DELETE FROM results WHERE run_id=? AND lao_id=? AND year=?", (run_id, lao_id, year))
            self.db.executemany(
                "INSERT INTO results(run_id, lao_id, year, as_of, code, item_key, item_order, status, problem,"
                " reason, evidence_url, matched_text, found_year, confidence, reason_th, reason_en, host, checked_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            self.db.execute("INSERT OR REPLACE INTO site_scores(run_id, lao_id, year, score) VALUES (?,?,?,?)",
                            (run_id, lao_id, year, getattr(site_report, "score", None)))

    def copy_sites(self, source_run: int, target_run: int) -> None:
        """Make `target_run` list the sites of `source_run` (for a recheck, which reads the source's evidence)."""
        with self.tx():
            self.db.execute(
                "INSERT OR REPLACE INTO sites(run_id, lao_id, start_url, status, final_url, platform, flags, name_th,"
                " lao_type_th, started_at, finished_at) SELECT ?, lao_id, start_url, status, final_url, platform,"
                " flags, name_th, lao_type_th, started_at, finished_at FROM sites WHERE run_id=?",
                (target_run, source_run))

    def results_frame(self, run_id: int) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query(
            f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE run_id=? ORDER BY lao_id, year, item_order, code",
            self.db, params=(run_id,))

    def sites_frame(self, run_id: int) -> pd.DataFrame:
        """One row per site of the run; page/document counts come from the run holding the evidence."""
        import pandas as pd

        ev_run = self.evidence_run(run_id)
        df = pd.read_sql_query(
            "SELECT s.lao_id, s.status, s.final_url, s.platform, s.flags,"
            " (SELECT COUNT(*) FROM pages p WHERE p.run_id=? AND p.lao_id=s.lao_id) AS pages,"
            " (SELECT COUNT(*) FROM documents d WHERE d.run_id=? AND d.lao_id=s.lao_id) AS documents,"
            " s.finished_at FROM sites s WHERE s.run_id=? ORDER BY s.lao_id", self.db,
            params=(ev_run, ev_run, run_id))
        df["flags"] = df["flags"].map(lambda v: json.loads(v or "[]"))
        return df[SITE_COLUMNS]

    def evidence_run(self, run_id: int) -> int:
        """The run whose evidence `run_id` reads (a recheck reads its source crawl's evidence)."""
        info = self.run_info(run_id)
        seen = {run_id}
        while info and info.get("kind") == "recheck" and info.get("source_run") and info["source_run"] not in seen:
            seen.add(info["source_run"])
            run_id = info["source_run"]
            info = self.run_info(run_id)
        return run_id


class _Tx:
    """Nested-safe transaction: only the outermost level issues BEGIN/COMMIT/ROLLBACK."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.outer = False

    def __enter__(self):
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
