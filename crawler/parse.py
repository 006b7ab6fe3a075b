"""Turn one HTML page into evidence: visible text and every link-like thing, with context.

Collects, judges nothing. HTML comments are dropped before anything is read, so vendor
leftovers inside comments (another LAO's EIT link, old menus) never become evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urldefrag, urlsplit

from lxml import etree

from checks.evidence import Link

_WS = re.compile(r"\s+")
_DROP = {"script", "style", "noscript", "template"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "legend", "caption", "dt"}
_HEADING_CLASS = re.compile(r"(^|[\s_-])(title|heading|header|card-header|panel-heading|panel-title|accordion-button)($|[\s_-])", re.I)
_NAV_CLASS = re.compile(r"(nav|menu|dropdown|sidebar)", re.I)
_ONCLICK_URL = re.compile(r"""(?:location(?:\.href)?\s*=|window\.open\(|location\.assign\()\s*['"]([^'"]+)['"]""")
_ROW_TAGS = {"tr", "li", "dd", "p"}
MAX_CONTEXT = 400
#: lxml's HTML parser with plain elements: lxml.html's parser is the same libxml2 parser plus a
#: Python class lookup for every element the code touches (a measurable share of the crawl's CPU);
#: the two lxml.html methods used here are written out below (_text, _drop_tree).
_PARSER = etree.HTMLParser()
#: An element's text content, as lxml.html's HtmlElement.text_content() computes it.
_text = etree.XPath("string()", smart_strings=False)


def clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def spaced_text(el) -> str:
    """Text of an element with a space between text nodes, so table cells do not run together."""
    return clean(" ".join(el.itertext()))


@dataclass
class ParsedPage:
    title: str = ""
    text: str = ""
    links: list[Link] = field(default_factory=list)
    script_count: int = 0
    body_text_len: int = 0
    meta_refresh: str | None = None
    generator: str = ""


def resolve_href(base_url: str, href: str | None, origin: str | None = None) -> str | None:
    """Absolute http(s) URL for an href, or None for placeholders, javascript: and mail/tel links.

    `origin` (scheme://host of `base_url`, see _origin) lets a page's menu links, repeated on every
    page of a site, be resolved once per site instead of once per page."""
    if href is None:
        return None
    h = href.strip()
    if not h or h.startswith("#") or h.lower().startswith(("javascript:", "mailto:", "tel:", "data:", "about:")):
        return None
    if origin is not None:
        # urljoin reads only the base's scheme for an absolute href, and only its scheme and host
        # for a root-relative one ("/path"): those are cached under the origin, not the page URL
        if h.startswith("/") and not h.startswith("//"):
            return _resolve(origin, h)
        head = h[:9].lower()
        n = 7 if head.startswith("http://") else 8 if head.startswith("https://") else 0
        if n and h[n:n + 1].isalnum():   # a host follows (urljoin would take the base's host if none did)
            return _resolve(origin.split(":", 1)[0] + ":", h)
    return _resolve(base_url, h)


@lru_cache(maxsize=8192)
def _resolve(base_url: str, h: str) -> str | None:
    url = urldefrag(urljoin(base_url, h))[0]
    return url if url.startswith(("http://", "https://")) else None


def _origin(url: str) -> str | None:
    """scheme://netloc of an http(s) URL (what urljoin takes from a base for a root-relative href)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _link_text(el) -> str:
    text = clean(_text(el)) if el.tag not in ("iframe", "embed", "object") else ""
    if not text:
        for attr in ("title", "aria-label", "alt", "data-original-title", "name"):
            if el.get(attr):
                return clean(el.get(attr))
        imgs = el.xpath(".//img[@alt]") if el.tag not in ("iframe", "embed", "object") else []
        if imgs:
            return clean(imgs[0].get("alt"))
    return text


def _is_heading(el) -> bool:
    if el.tag in _HEADINGS:
        return True
    cls = el.get("class") or ""
    return bool(cls and _HEADING_CLASS.search(cls)) and len(clean(_text(el))) < 200


def _row_text(el, memo: dict | None = None) -> str:
    node = el.getparent()
    hops = 0
    while node is not None and hops < 6:
        if node.tag in _ROW_TAGS:
            if memo is None:
                return spaced_text(node)[:MAX_CONTEXT]
            text = memo.get(node)
            if text is None:   # a row with many links (a table of documents) is read once
                text = memo[node] = spaced_text(node)[:MAX_CONTEXT]
            return text
        node = node.getparent()
        hops += 1
    return ""


def _in_nav(el, memo: dict | None = None) -> bool:
    """Whether an ancestor of `el` is a nav/header element or has a menu-like class or id."""
    node = el.getparent()
    path = []
    found = False
    while node is not None:
        if memo is not None and node in memo:
            found = memo[node]
            break
        path.append(node)
        if node.tag in ("nav", "header"):
            found = True
            break
        marker = f"{node.get('class') or ''} {node.get('id') or ''}"
        if marker.strip() and _NAV_CLASS.search(marker):
            found = True
            break
        node = node.getparent()
    if memo is not None:
        # every node on the way up has the answer of the node where the walk stopped: a node that
        # is itself a nav marker is "in nav" for its descendants, and "in nav" is inherited
        for n in path:
            memo[n] = found
    return found


def parse_page(url: str, html: str) -> ParsedPage:
    """Parse decoded HTML from `url` into title, visible text and links (document order)."""
    out = ParsedPage()
    if not html or not html.strip():
        return out
    try:
        root = etree.fromstring(html, _PARSER)
    except (etree.ParserError, ValueError):
        return out
    if root is None:   # nothing but whitespace or comments
        return out
    base = url
    base_el = root.find(".//base[@href]")
    if base_el is not None:
        base = urljoin(url, base_el.get("href"))
    gen = root.xpath("//meta[translate(@name,'GENRATO','genrato')='generator']/@content")
    out.generator = clean(gen[0]) if gen else ""
    refresh = root.xpath("//meta[translate(@http-equiv,'REFSH','refsh')='refresh']/@content")
    if refresh:
        m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", refresh[0], re.I)
        out.meta_refresh = resolve_href(base, m.group(1)) if m else None
    out.script_count = len(root.xpath("//script"))
    title_el = root.find(".//title")
    out.title = clean(_text(title_el)) if title_el is not None else ""

    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        parent = el.getparent()
        if parent is not None:
            tail = el.tail
            if tail:
                prev = el.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            parent.remove(el)
    for el in list(root.iter(*_DROP)):
        _drop_tree(el)

    heading = ""
    origin = _origin(base)
    memo: tuple[dict, dict] = ({}, {})   # per page: row texts and nav answers by element
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:
            continue
        if _is_heading(el) and tag not in ("a",):
            heading = clean(_text(el))[:200]
        link = _link_from(el, tag, base, heading, memo, origin)
        if link is not None:
            out.links.append(link)

    body = root.find(".//body")
    out.text = spaced_text(body if body is not None else root)
    out.body_text_len = len(out.text)
    return out


def _drop_tree(el) -> None:
    """Remove `el` and its subtree; its tail text joins the previous sibling or the parent
    (lxml.html's HtmlElement.drop_tree)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _link_from(el, tag: str, base: str, heading: str, memo: tuple[dict, dict] | None = None,
               origin: str | None = None) -> Link | None:
    kind, href = None, None
    if tag in ("a", "area") and el.get("href") is not None:
        kind, href = ("area" if tag == "area" else "a"), el.get("href")
        toggle = (el.get("data-toggle") or el.get("data-bs-toggle") or "").lower()
        if toggle == "modal":
            kind = "modal"
            href = el.get("data-target") or el.get("data-bs-target") or href
    elif tag in ("iframe", "embed") and el.get("src"):
        kind, href = tag, el.get("src")
    elif tag == "object" and el.get("data"):
        kind, href = "embed", el.get("data")
    elif tag == "form" and el.get("action") is not None:
        kind, href = "form", el.get("action")
    elif (el.get("data-toggle") or el.get("data-bs-toggle") or "").lower() == "modal":
        kind, href = "modal", el.get("data-target") or el.get("data-bs-target") or ""
    elif el.get("onclick"):
        m = _ONCLICK_URL.search(el.get("onclick"))
        if not m:
            return None
        kind, href = "onclick", m.group(1)
    if kind is None:
        return None
    rows, navs = memo if memo is not None else (None, None)
    text = _link_text(el)
    row = _row_text(el, rows)
    context = clean(f"{heading} | {row}") if heading and row and heading not in row else (row or heading)
    return Link(
        source_url=base,
        href=href or "",
        url=resolve_href(base, href, origin),
        text=text[:300],
        context=context[:MAX_CONTEXT],
        kind=kind,
        in_nav=_in_nav(el, navs),
    )
