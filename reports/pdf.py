"""Printable PDFs through headless Chromium's page.pdf (one browser for all PDFs).

Chromium keeps Thai text searchable (pdftotext round-trips it, SARA AM included), which
WeasyPrint does not. The HTML comes from the templates with the CSS inlined, so pages need
no file access; fonts: Laksaman (fonts-thai-tlwg), falling back to Garuda.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FOOTER = ('<div style="font-family: Laksaman, Garuda, sans-serif; font-size: 9px; width: 100%; '
          'text-align: right; padding-right: 12mm; color: #555;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def render_pdfs(jobs: Iterable[tuple[str, Path]], *, landscape_for: Callable[[Path], bool] = lambda p: False) -> list[Path]:
    """Print each (html, path) to A4 PDF with page numbers; returns the paths written."""
    from playwright.sync_api import sync_playwright
    jobs = list(jobs)
    if not jobs:
        return []
    written = []
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page()
            # offline: refuse every network request a template might make by mistake
            page.route("**/*", lambda route: route.abort() if route.request.url.startswith(("http:", "https:"))
                       else route.continue_())
            for html, path in jobs:
                path = Path(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                page.set_content(html, wait_until="load")
                page.pdf(path=str(path), format="A4", landscape=landscape_for(path), print_background=True,
                         display_header_footer=True, header_template="<span></span>", footer_template=FOOTER,
                         margin={"top": "12mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
                written.append(path)
        finally:
            browser.close()
    return written
