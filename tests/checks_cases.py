"""Build SiteEvidence from fixture sites (tests/sites/<platform>/site.yml + HTML files) and the
named cases in tests/cases/<year>/<code>.yml. Used by the parametrised case runner."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from checks.evidence import Document, Page, SiteEvidence
from crawler.parse import parse_page

TESTS = Path(__file__).resolve().parent
SITES = TESTS / "sites"
CASES = TESTS / "cases"
DEFAULT_AS_OF = date(2022, 4, 30)      # end of the ITA 2565 answering window (CE)


@dataclass
class Case:
    year: int
    code: str
    name: str
    spec: dict

    @property
    def expect(self) -> str:
        return self.spec["expect"]

    @property
    def id(self) -> str:
        return f"{self.year}-{self.code}-{self.name}"


def load_cases(year: int | None = None) -> list[Case]:
    out = []
    for path in sorted(CASES.glob("*/*.yml")):
        y = int(path.parent.name)
        if year is not None and y != year:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, spec in data["cases"].items():
            out.append(Case(y, data["code"], name, spec))
    return out


def build_evidence(spec: dict) -> SiteEvidence:
    """Evidence of a fixture site with a case's changes: replaced HTML, documents (null = scan;
    `ocr_documents` = scans with the text OCR read from them),
    per-path HTTP status / fetch errors, the site status and the LAO's name."""
    site_dir = SITES / spec["site"]
    site = yaml.safe_load((site_dir / "site.yml").read_text(encoding="utf-8"))
    root = site["host"].rstrip("/")
    lao = {**site.get("lao", {}), **spec.get("lao", {})}
    ev = SiteEvidence(lao_id="test", start_url=root + "/", final_url=root + "/", status=spec.get("site_status", "ok"),
                      name_th=lao.get("name_th", ""), lao_type_th=lao.get("lao_type_th", ""))
    pages = {**site.get("pages", {}), **spec.get("pages", {})}
    statuses = spec.get("status", {})
    errors = spec.get("errors", {})
    for path, source in pages.items():
        if source is None:
            continue
        html = source if source.lstrip().startswith("<") else (site_dir / source).read_text(encoding="utf-8")
        for old, new in spec.get("replace_all", []):
            html = html.replace(old, new)
        for old, new in spec.get("replace", {}).get(path, []):
            assert old in html, f"replace target {old!r} not in {path}"
            html = html.replace(old, new)
        url = root + path
        status = statuses.get(path, 200)
        parsed = parse_page(url, html if status < 400 else "")
        ev.pages.append(Page(url=url, status=status, title=parsed.title, text=parsed.text,
                             depth=0 if path == "/" else 1, fetch_error=errors.get(path)))
        ev.links.extend(parsed.links)
    docs = {**site.get("documents", {}), **spec.get("documents", {})}
    ocr = spec.get("ocr_documents", {})      # scans whose text was read by OCR (extract status "ocr")
    for path, text in {**docs, **ocr}.items():
        if path in spec.get("drop", []):
            continue
        status = "ocr" if path in ocr else "ok" if text else "no_text"
        ev.documents = [d for d in ev.documents if d.url != root + path]
        ev.documents.append(Document(url=root + path, status=statuses.get(path, 200), text=text,
                                     extract_status=status, fetch_error=errors.get(path)))
    for path in spec.get("drop", []):
        ev.pages = [p for p in ev.pages if p.url != root + path]
    return ev


def as_of(spec: dict) -> date:
    return date.fromisoformat(spec["as_of"]) if spec.get("as_of") else DEFAULT_AS_OF
