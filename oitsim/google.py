"""Google Drive and Google Forms as the simulated LAO sites link to them.

Real LAO sites often publish an OIT item as a Google Drive file or a Google Form. These hosts
answer the way the real services answer an anonymous visitor (see oitsim/README.md, "Google
hosts", for the sources):

* ``https://drive.google.com/file/d/<ID>/view?usp=sharing`` - the viewer: an HTML page titled
  ``<file name> - Google Drive`` with an ``og:title`` meta and a JavaScript application; the
  document's text is NOT in the HTML;
* ``https://drive.google.com/uc?export=download&id=<ID>`` - 303 to
  ``https://drive.usercontent.google.com/download?id=<ID>&export=download``, which answers the
  bytes with ``Content-Disposition: attachment`` (ETag, 304 and HEAD as for site documents);
* a file that is not shared publicly: every one of those URLs answers 302 to the Google sign-in
  page on ``accounts.google.com``;
* ``https://docs.google.com/forms/d/e/<ID>/viewform`` - the form's title, description and
  questions; a closed form answers 302 to ``.../closedform``, which says the form no longer
  accepts responses (English, or Thai when the request's Accept-Language asks for Thai);
* ``https://www.googleapis.com/drive/v3/files/<ID>?alt=media&key=<KEY>`` - the Drive API
  (``files.get``): the bytes of a public file (same bytes and Content-Type as the download; ETag,
  304 and HEAD likewise); without ``alt=media`` its metadata as JSON (``fields=name,mimeType``
  narrows it). A file that is not public, or an unknown ID, answers the API's JSON error 404
  ``File not found: <ID>.``; a request without a key (or with an empty one) answers 403
  PERMISSION_DENIED (unregistered callers). Any non-empty key is accepted;
* ``robots.txt`` of each host, modelled on the real files: drive.google.com and docs.google.com
  allow the viewer and form paths (``/file``, ``/forms``) and disallow everything else (so
  ``/uc`` is disallowed), drive.usercontent.google.com disallows everything; www.googleapis.com
  has no robots.txt (404, like the real host), so nothing there is disallowed.

IDs are deterministic and carry the (site host, item code) they belong to, so any World that
holds the site can answer for the file without a table of every file.
"""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import parse_qs, quote, urlsplit

from .content import item_map, stable_hash, vocab
from .world import SimResponse, request_header

DRIVE = "drive.google.com"
USERCONTENT = "drive.usercontent.google.com"
DOCS = "docs.google.com"
ACCOUNTS = "accounts.google.com"
APIS = "www.googleapis.com"
HOSTS = frozenset({DRIVE, USERCONTENT, DOCS, ACCOUNTS, APIS})
#: Path prefix of the Drive API v3 files resource.
DRIVE_API_FILES = "/drive/v3/files/"

#: Modelled on the real files (README "Google hosts"): viewer and form paths allowed, the rest
#: (including /uc, the download path) disallowed; the usercontent host disallows everything.
ROBOTS = {
    DRIVE: "User-agent: *\nCrawl-delay: 1\nAllow: /$\nAllow: /file\nAllow: /open\nAllow: /drive/\n"
           "Allow: /forms\nAllow: /document\nAllow: /spreadsheet\nAllow: /presentation\nAllow: /viewer\n"
           "Allow: /static\nDisallow: /\n",
    DOCS: "User-agent: *\nCrawl-delay: 1\nAllow: /$\nAllow: /file\nAllow: /open\nAllow: /drive/\n"
          "Allow: /forms\nAllow: /document\nAllow: /spreadsheet\nAllow: /presentation\nAllow: /viewer\n"
          "Allow: /static\nDisallow: /\n",
    USERCONTENT: "User-agent: *\nDisallow: /\n",
    ACCOUNTS: "User-agent: *\nAllow: /$\nDisallow: /\n",
}
#: Robots files that let a crawler download Drive bytes (for tests of the download mechanics).
OPEN_ROBOTS = {h: "User-agent: *\nDisallow:\n" for h in HOSTS if h != APIS}

_SERVER = [("Server", "ESF"), ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")]


def drive_id(host: str, code: str) -> str:
    """The Drive file ID planted for item ``code`` of the site at ``host``."""
    return "1" + _pack(host, code)


def form_id(host: str, code: str) -> str:
    """The Google Form ID planted for item ``code`` of the site at ``host``."""
    return "1FAIpQLS" + _pack(host, code)


def _pack(host: str, code: str) -> str:
    payload = base64.urlsafe_b64encode(f"{host}|{code}".encode()).decode().rstrip("=")
    return payload + stable_hash("gid", host, code, n=6)


def unpack(file_id: str, prefix: str) -> tuple[str, str] | None:
    """(site host, item code) of an ID made by ``drive_id``/``form_id``; None for any other ID."""
    if not file_id.startswith(prefix) or len(file_id) < len(prefix) + 8:
        return None
    body, check = file_id[len(prefix):-6], file_id[-6:]
    try:
        host, code = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError):
        return None
    return (host, code) if stable_hash("gid", host, code, n=6) == check else None


def drive_view_url(host: str, code: str) -> str:
    return f"https://{DRIVE}/file/d/{drive_id(host, code)}/view?usp=sharing"


def form_url(host: str, code: str) -> str:
    return f"https://{DOCS}/forms/d/e/{form_id(host, code)}/viewform"


def _html(body: str, status: int = 200) -> SimResponse:
    return SimResponse(status, [("Content-Type", "text/html; charset=utf-8"), *_SERVER], body.encode("utf-8"))


def _not_found() -> SimResponse:
    return _html("<!DOCTYPE html><html><head><title>Google Drive - Page Not Found</title></head><body>"
                 "<p>Sorry, the file you have requested does not exist.</p></body></html>", 404)


def signin_redirect(url: str) -> SimResponse:
    """Where Google sends an anonymous visitor of a file that is not shared publicly."""
    target = (f"https://{ACCOUNTS}/ServiceLogin?service=wise&passive=1209600&continue={quote(url, safe='')}"
              f"&followup={quote(url, safe='')}")
    return SimResponse(302, [("Location", target), ("Content-Type", "text/html; charset=UTF-8"), *_SERVER], b"")


class GoogleServices:
    """Drive, Drive usercontent, Forms and the sign-in page for the sites of one World.

    ``site_of(host)`` returns the built site object (``oitsim.styles.base.BaseSite``) or None.
    """

    def __init__(self, site_of, robots: dict[str, str] | None = None):
        self.site_of = site_of
        self.robots = dict(ROBOTS if robots is None else robots)

    def respond(self, method: str, url: str, headers: dict[str, str]) -> SimResponse:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        q = parse_qs(parts.query)
        if path == "/robots.txt":
            if host not in self.robots:      # www.googleapis.com: no robots.txt (404), nothing disallowed
                return _not_found()
            return SimResponse(200, [("Content-Type", "text/plain"), *_SERVER], self.robots.get(host, "").encode())
        if host == APIS:
            return self._api(method, url, path, q)
        if host == DRIVE:
            if path.startswith("/file/d/"):
                segs = path.split("/")
                return self._viewer(url, segs[3] if len(segs) > 3 else "")
            if path in ("/uc", "/open"):
                fid = (q.get("id") or [""])[0]
                if path == "/open":
                    return self._viewer(url, fid)
                _, refused = self._readable_file(fid, url)
                if refused is not None:
                    return refused
                return SimResponse(303, [("Location", f"https://{USERCONTENT}/download?id={fid}&export=download"),
                                         *_SERVER], b"")
        if host == USERCONTENT and path == "/download":
            return self._download(method, url, (q.get("id") or [""])[0])
        if host == DOCS and path.startswith("/forms/d/e/"):
            segs = path.split("/")
            if len(segs) >= 6:
                return self._form(url, segs[4], segs[5], headers)
        if host == ACCOUNTS and path.startswith("/ServiceLogin"):
            return self._signin()
        return _not_found()

    # ------------------------------------------------------------------ Drive
    def _readable_file(self, fid: str, url: str):
        """((site, plan), None) of a planted Drive file shared publicly; otherwise (None, the answer an
        anonymous visitor of ``url`` gets instead): the 404 page for an ID that names no planted
        Drive file, the sign-in redirect for a file that is not shared publicly."""
        found = unpack(fid, "1")
        site = self.site_of(found[0]) if found else None
        plan = site.spec.plans.get(found[1]) if site is not None else None
        if plan is None or plan.form != "drive":
            return None, _not_found()
        if plan.state == "private":
            return None, signin_redirect(url)
        return (site, plan), None

    @staticmethod
    def file_ext(plan) -> str:
        return "docx" if plan.variant % 6 == 0 else "pdf"

    def file_name(self, site, plan) -> str:
        return f"{site.doc_title(plan.code)}.{self.file_ext(plan)}"

    def _viewer(self, url: str, fid: str) -> SimResponse:
        found, refused = self._readable_file(fid, url)
        if refused is not None:
            return refused
        site, plan = found
        name = html.escape(self.file_name(site, plan))
        data = json.dumps({"id": fid, "title": self.file_name(site, plan), "mimeType": "application/pdf"},
                          ensure_ascii=False).replace("</", "<\\/")
        body = (
            '<!DOCTYPE html><html><head><meta name="google" content="notranslate">'
            f'<meta property="og:title" content="{name}"><meta property="og:type" content="article">'
            f'<meta property="og:site_name" content="Google Docs"><meta property="og:url" content="{html.escape(url)}">'
            f'<meta property="og:image" content="https://lh7-us.googleusercontent.com/docs/{fid}=w1200-h630-p">'
            f"<title>{name} - Google Drive</title>"
            '<script nonce="sim">window.WIZ_global_data={"Qzxixc":"S-1","qwAQke":"DriveViewerUi"};'
            "(function(){var s=document.createElement('script');s.src='/static/viewer/app.js';document.head.appendChild(s)})();</script>"
            f'</head><body><div id="drive-viewer" class="ndfHFb-c4YZDc"></div><script nonce="sim">window.viewerData={{"config":{data}}};'
            "window.DRIVE_VIEWER_BOOTSTRAP&&DRIVE_VIEWER_BOOTSTRAP();</script>"
            '<noscript>JavaScript is not enabled.</noscript></body></html>'
        )
        return _html(body)

    def _download(self, method: str, url: str, fid: str) -> SimResponse:
        found, refused = self._readable_file(fid, url)
        if refused is not None:
            return refused
        site, plan = found
        from . import docs as docbuild

        ext = self.file_ext(plan)
        name = self.file_name(site, plan)
        disposition = (f'attachment; filename="{stable_hash(name, n=10)}.{ext}"; '
                       f"filename*=UTF-8''{quote(name, safe='')}")
        return self._file_bytes(method, site, plan, fid, ext, docbuild.MIME[ext], disposition)

    @staticmethod
    def _file_bytes(method: str, site, plan, fid: str, ext: str, mime: str, disposition: str) -> SimResponse:
        """A Drive file's bytes (or HEAD), as the download and the API both answer them: the site's
        document under the file's own Content-Type and disposition, marked cacheable (the world's
        LRU adds ETag/Last-Modified and answers 304)."""
        head = [("Content-Type", mime), ("Content-Disposition", disposition)]
        if method.upper() == "HEAD":
            return SimResponse(200, head + _SERVER, b"")
        resp = site.doc_response(plan.code, ext, f"drive/{fid}.{ext}")
        out = SimResponse(200, head + [h for h in resp.headers if h[0].lower() != "content-type"] + _SERVER, resp.body)
        out._cacheable = True  # noqa: SLF001 - read by GeneratedWorld's LRU
        return out

    # ------------------------------------------------------------------ Drive API
    def _api(self, method: str, url: str, path: str, q: dict) -> SimResponse:
        """Drive API v3 ``files.get`` for an anonymous caller with an API key."""
        if not path.startswith(DRIVE_API_FILES) or "/" in path[len(DRIVE_API_FILES):]:
            return _api_error(404, "Not Found", "NOT_FOUND", "notFound")
        if not (q.get("key") or [""])[0].strip():
            return _api_error(403, "Method doesn't allow unregistered callers (callers without established identity). "
                                   "Please use API Key or other form of API consumer identity to call this API.",
                              "PERMISSION_DENIED", "forbidden")
        fid = path[len(DRIVE_API_FILES):]
        found, refused = self._readable_file(fid, url)
        if refused is not None:       # unknown and not-shared files alike: the API does not tell them apart
            return _api_error(404, f"File not found: {fid}.", None, "notFound", location="fileId")
        site, plan = found
        from . import docs as docbuild

        ext = self.file_ext(plan)
        mime = docbuild.MIME[ext]
        if (q.get("alt") or ["json"])[0] != "media":
            meta = {"kind": "drive#file", "id": fid, "name": self.file_name(site, plan), "mimeType": mime}
            fields = [f.strip() for f in (q.get("fields") or [""])[0].split(",") if f.strip()]
            if fields:
                meta = {k: v for k, v in meta.items() if k in fields}
            return SimResponse(200, [("Content-Type", "application/json; charset=UTF-8"), *_SERVER],
                               json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
        return self._file_bytes(method, site, plan, fid, ext, mime, "attachment")

    # ------------------------------------------------------------------ Forms
    def _form(self, url: str, fid: str, action: str, headers: dict[str, str]) -> SimResponse:
        found = unpack(fid, "1FAIpQLS")
        site = self.site_of(found[0]) if found else None
        plan = site.spec.plans.get(found[1]) if site is not None else None
        if plan is None or plan.form != "offsite_channel":
            return _not_found()
        item = item_map()[plan.code]
        g = vocab()["google"]
        title = html.escape(site.links_text(plan.code))
        closed = plan.state == "closed"
        if action == "viewform" and closed:
            return SimResponse(302, [("Location", url.rsplit("/", 1)[0] + "/closedform"), *_SERVER], b"")
        if action == "closedform":
            if not closed:
                return SimResponse(302, [("Location", url.rsplit("/", 1)[0] + "/viewform"), *_SERVER], b"")
            thai = "th" in (request_header(headers, "Accept-Language") or "").lower()
            msg = (g["form_closed"].format(title=title) + f"</div><div>{g['form_closed_hint']}") if thai else (
                f"The form {title} is no longer accepting responses.</div>"
                "<div>Try contacting the owner of the form if you think that this is a mistake.")
            return _html(f'<!DOCTYPE html><html><head><meta property="og:title" content="{title}"><title>{title}</title>'
                         f'</head><body><div class="freebirdFormviewerViewResponseConfirmationMessage">{msg}</div></body></html>')
        if action != "viewform":
            return _not_found()
        intro = html.escape(g["form_intro"].format(lao=site.lao.full_name, title=site.links_text(plan.code)))
        questions = "".join(
            f'<div role="listitem"><div role="heading">{html.escape(q)} *</div><input type="text" aria-label="{html.escape(q)}"></div>'
            for q in item["body"][:-1])
        body = (
            f'<!DOCTYPE html><html lang="th"><head><meta property="og:title" content="{title}">'
            f'<meta property="og:description" content="{intro}"><title>{title}</title>'
            '<script nonce="sim">var FB_PUBLIC_LOAD_DATA_ = [null,[null,[]]];</script></head><body>'
            f'<form action="https://{DOCS}/forms/u/0/d/e/{fid}/formResponse" method="POST">'
            f'<div role="heading" aria-level="1">{title}</div><div class="description">{intro}</div>'
            f'<div>{g["form_required"]}</div><div role="list">{questions}</div>'
            f'<div role="button">{html.escape(item["body"][-1])}</div><div role="button">{g["form_clear"]}</div>'
            "</form></body></html>"
        )
        return _html(body)

    def _signin(self) -> SimResponse:
        g = vocab()["google"]
        return _html(f'<!DOCTYPE html><html><head><title>{g["signin_title"]}</title></head><body>'
                     f'<div id="initialView"><h1>{g["signin_body"]}</h1><input type="email" name="identifier"></div>'
                     "</body></html>")


def _api_error(code: int, message: str, status: str | None, reason: str, location: str | None = None) -> SimResponse:
    """A Google API JSON error, shaped like the real Drive API's."""
    err = {"message": message, "domain": "global", "reason": reason}
    if location:
        err.update(location=location, locationType="parameter")
    body = {"error": {"code": code, "message": message, "errors": [err]}}
    if status:
        body["error"]["status"] = status
    return SimResponse(code, [("Content-Type", "application/json; charset=UTF-8"), ("Vary", "Origin, X-Origin, Referer"),
                              *_SERVER], json.dumps(body, indent=2).encode("utf-8"))
