"""Outcomes of checks and of whole items, and the Thai/English messages for their reason codes.

A check returns an `Outcome` (pass / fail / needs_review, or `unfetched` when the evidence it
needs was never fetched - the engine turns that into `unknown`). Messages come from
config/messages/checks.yaml; every reason code used anywhere must have `th` and `en` there.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import yaml

from oitwatch.paths import CONFIG_DIR

MESSAGES_PATH = CONFIG_DIR / "messages" / "checks.yaml"
STATUSES = ("pass", "fail", "needs_review", "unknown")


@dataclass
class Outcome:
    """What one check found. `data` fills the message placeholders."""

    status: str                      # pass | fail | needs_review | unfetched
    reason: str
    problem: str | None = None       # None: the reason's default problem from config
    data: dict = field(default_factory=dict)
    evidence_url: str | None = None
    matched_text: str | None = None
    found_year: int | None = None
    host: str | None = None
    confidence: float | None = None

    @classmethod
    def ok(cls, reason: str, **kw) -> "Outcome":
        return cls("pass", reason, **_split(kw))

    @classmethod
    def fail(cls, reason: str, **kw) -> "Outcome":
        return cls("fail", reason, **_split(kw))

    @classmethod
    def review(cls, reason: str, **kw) -> "Outcome":
        return cls("needs_review", reason, **_split(kw))

    @classmethod
    def unfetched(cls, reason: str, **kw) -> "Outcome":
        """The evidence this check needs could not be fetched; the engine reports `unknown`."""
        return cls("unfetched", reason, **_split(kw))

    @property
    def passed(self) -> bool:
        return self.status == "pass"


_FIELDS = {"problem", "evidence_url", "matched_text", "found_year", "host", "confidence"}


def _split(kw: dict) -> dict:
    out = {k: kw[k] for k in kw if k in _FIELDS}
    out["data"] = dict(kw)
    return out


@lru_cache(maxsize=1)
def messages() -> dict:
    with MESSAGES_PATH.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    from checks.catalog import validate
    validate(data, "oit-messages.json", MESSAGES_PATH)
    return data


class _Blank(dict):
    def __missing__(self, key):
        return ""


def default_problem(reason: str) -> str | None:
    return messages()["reasons"].get(reason, {}).get("problem")


def render(reason: str, lang: str, data: dict) -> str:
    """The message of a reason code in `lang` (th/en) with placeholders filled."""
    entry = messages()["reasons"].get(reason)
    if entry is None:
        return reason
    return entry[lang].format_map(_Blank({k: ("" if v is None else v) for k, v in data.items()})).strip()


@dataclass
class ItemResult:
    """The verdict on one catalog item for one site (one row of the tidy results table)."""

    code: str
    key: str
    order: int
    status: str
    problem: str | None
    reason: str
    evidence_url: str | None = None
    matched_text: str | None = None
    found_year: int | None = None
    confidence: float = 0.0
    host: str | None = None
    reason_th: str = ""
    reason_en: str = ""
    title_th: str = ""
    title_en: str = ""
    where_th: str = ""               # where an assessor finds it (ITAS explanation column)
    submitted_url: str | None = None  # --answers: the URL the LAO plans to submit

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SiteReport:
    """All item results of one site for one ITA year, in catalog order."""

    year: int
    as_of: str
    lao_id: str
    site_status: str
    items: list[ItemResult]
    final_url: str | None = None
    platform: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        """Share of items passed (0-100); None when no item could be judged (every item unknown:
        the site was not reached), since 0 would say the LAO scored nothing. `site_status` and
        `counts()` say why."""
        if all(i.status == "unknown" for i in self.items):
            return None
        return round(100.0 * sum(1 for i in self.items if i.status == "pass") / len(self.items), 2)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for i in self.items if i.status == s) for s in STATUSES}

    def to_json(self, site: str) -> dict:
        """The fixed JSON contract of `oit check --format json` (more fields may be added)."""
        return {
            "site": site,
            "year": self.year,
            "as_of": self.as_of,
            "lao_id": self.lao_id,
            "site_status": self.site_status,
            "final_url": self.final_url,
            "platform": self.platform,
            "flags": list(self.flags),
            "items": [{
                "code": i.code, "key": i.key, "status": i.status, "problem": i.problem,
                "evidence_url": i.evidence_url, "confidence": round(float(i.confidence), 2),
                "reason_th": i.reason_th, "reason_en": i.reason_en,
                "reason": i.reason, "title_th": i.title_th, "title_en": i.title_en,
                "matched_text": i.matched_text, "found_year": i.found_year, "host": i.host,
                "where_th": i.where_th, **({"submitted_url": i.submitted_url} if i.submitted_url else {}),
            } for i in self.items],
            "counts": self.counts(),
            "score": self.score,
        }
