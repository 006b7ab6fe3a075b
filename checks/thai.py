"""Thai text mechanics for matching: normalisation, Thai digits, Buddhist-Era years and months.

The vocabulary (month names, fiscal-year words, LAO type variants...) lives in
config/oit/lexicon.yaml; this module only measures with it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from oitwatch.paths import CONFIG_DIR

LEXICON_PATH = CONFIG_DIR / "oit" / "lexicon.yaml"

_THAI_DIGITS = str.maketrans("".join(chr(0x0E50 + i) for i in range(10)), "0123456789")
# Private-use glyphs some PDF producers emit for Thai marks (U+F700..U+F71A) -> standard marks.
_PUA = {
    0xF700: 0x0E10, 0xF701: 0x0E34, 0xF702: 0x0E35, 0xF703: 0x0E36, 0xF704: 0x0E37,
    0xF705: 0x0E48, 0xF706: 0x0E49, 0xF707: 0x0E4A, 0xF708: 0x0E4B, 0xF709: 0x0E4C,
    0xF70A: 0x0E48, 0xF70B: 0x0E49, 0xF70C: 0x0E4A, 0xF70D: 0x0E4B, 0xF70E: 0x0E4C,
    0xF70F: 0x0E0D, 0xF710: 0x0E31, 0xF711: 0x0E4D, 0xF712: 0x0E47, 0xF713: 0x0E48,
    0xF714: 0x0E49, 0xF715: 0x0E4A, 0xF716: 0x0E4B, 0xF717: 0x0E4C, 0xF718: 0x0E38,
    0xF719: 0x0E39, 0xF71A: 0x0E3A,
}
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_WS = re.compile(r"\s+")
# "256o" (Thai digits then a Latin o): an o typed for zero at the end of a 25xx year.
_O_FOR_ZERO = re.compile(r"(?<=25\d)[oO](?![A-Za-z])")


@dataclass(frozen=True)
class Lexicon:
    """The Thai vocabulary from config/oit/lexicon.yaml, in matching-ready form."""

    raw: dict = field(hash=False, compare=False)

    def __getattr__(self, name):
        try:
            return self.raw[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    from checks.catalog import validate  # schema check (late import: catalog imports thai)
    validate(raw, "oit-lexicon.json", LEXICON_PATH)
    return Lexicon(raw)


def arabic_digits(text: str) -> str:
    """Thai digits to ASCII digits."""
    return (text or "").translate(_THAI_DIGITS)


# Quick tests: str.translate with a dict walks every character in Python-object space, which is
# slow on long Thai texts; each table is applied only when the text holds one of its characters
# (the result is the same: translate leaves a text without those characters unchanged).
_HAS_PUA = re.compile("[\uf700-\uf71a]").search
_HAS_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]").search
_HAS_THAI_DIGIT = re.compile("[\u0e50-\u0e59]").search
_HAS_DASH = re.compile("[\u2013\u2014\u2010\u2011\u2212]").search

# normalise()/squash() are pure functions of the string and the same link texts, contexts and page
# texts are normalised many times while one site is judged: memoised by the string (bounded), and
# emptied by forget_site_texts() when a site's judging starts, so that texts of other sites (which
# never come back) do not accumulate over a night's crawl.
_NORM_CACHE: dict[str, str] = {}
_SQUASH_CACHE: dict[str, str] = {}
_CACHE_MAX_ENTRIES = 50_000
_CACHE_MAX_CHARS = 20_000_000     # cached text held per cache, about; cleared when passed
_cache_chars = [0, 0]


def _normalise(text: str) -> str:
    t = unicodedata.normalize("NFC", text)
    if _HAS_PUA(t):
        t = t.translate(_PUA)
    if _HAS_ZERO_WIDTH(t):
        t = t.translate(_ZERO_WIDTH)
    t = t.replace("\u0e4d\u0e32", "\u0e33").replace("\u0e4d \u0e32", "\u0e33")
    if _HAS_THAI_DIGIT(t):
        t = t.translate(_THAI_DIGITS)
    if _HAS_DASH(t):
        t = t.translate(_DASHES)
    t = _O_FOR_ZERO.sub("0", t)
    return _WS.sub(" ", t).strip().lower()


def _remember(cache: dict, slot: int, text: str, value: str) -> str:
    n = len(text) + len(value)
    if len(cache) >= _CACHE_MAX_ENTRIES or _cache_chars[slot] + n > _CACHE_MAX_CHARS:
        cache.clear()
        _cache_chars[slot] = 0
    cache[text] = value
    _cache_chars[slot] += n
    return value


def forget_site_texts() -> None:
    """Empty the normalise()/squash() memo: a site's texts are not seen again once it is judged.
    Vocabulary forms (squash_term) stay."""
    _NORM_CACHE.clear()
    _SQUASH_CACHE.clear()
    _cache_chars[0] = _cache_chars[1] = 0


def normalise(text: str | None) -> str:
    """NFC, PUA marks fixed, nikhahit+aa -> sara am, zero-width removed, Thai digits to ASCII, dashes unified,
    whitespace collapsed, lower-case (Latin)."""
    if not text:
        return ""
    hit = _NORM_CACHE.get(text)
    if hit is None:
        hit = _remember(_NORM_CACHE, 0, text, _normalise(text))
    return hit


def squash(text: str | None) -> str:
    """Normalised text with every space removed: the form used for substring matching, so
    a label written with or without spaces matches, and "E - Service" matches "e-service"."""
    if not text:
        return ""
    hit = _SQUASH_CACHE.get(text)
    if hit is None:
        hit = _remember(_SQUASH_CACHE, 1, text, normalise(text).replace(" ", ""))
    return hit


@lru_cache(maxsize=200_000)
def squash_term(term: str) -> str:
    """squash() of a vocabulary term or a short repeated text, memoised."""
    return squash(term)


def _longest_term(haystack: str, terms, form) -> str | None:
    """The longest term (as given) whose form(term) occurs in the haystack."""
    best, best_len = None, 0
    for term in terms or ():
        f = form(term)
        if f and len(f) > best_len and f in haystack:
            best, best_len = term, len(f)
    return best


def contains_any(haystack_squashed: str, terms) -> str | None:
    """The longest term (as given) whose squashed form occurs in the squashed haystack."""
    return _longest_term(haystack_squashed, terms, squash_term)


# ---------------------------------------------------------------- years

@dataclass
class YearEvidence:
    """Years found in a text, by strength of the statement."""

    fiscal: set[int] = field(default_factory=set)      # "FY 2565" statements, ranges "2561-2565" (expanded)
    dated: set[int] = field(default_factory=set)       # fiscal years of dated mentions: 15 Nov 2564 -> 2565
    bare: set[int] = field(default_factory=set)        # any other plausible BE year

    def all(self) -> set[int]:
        return self.fiscal | self.dated | self.bare

    def strongest(self) -> set[int]:
        return self.fiscal or self.dated or self.bare

    def merge(self, other: "YearEvidence") -> "YearEvidence":
        return YearEvidence(self.fiscal | other.fiscal, self.dated | other.dated, self.bare | other.bare)


def _alt(words) -> str:
    return "|".join(re.escape(normalise(w)) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=4)
def _year_patterns(max_year: int):
    lex = lexicon()
    yr = r"(?<!\d)(2[5-6]\d\d)(?!\d|,\d|\.\d)"
    era = rf"(?:(?:{_alt(lex.era_words)})\s*)?"
    rng = rf"\s*(?:{_alt(lex.range_words)})\s*{era}"
    fy = rf"(?:{_alt(lex.fiscal_year_words)})\s*{era}{yr}(?:{rng}{yr})?"
    ranged = rf"{era}{yr}{rng}{yr}"
    month_alts = []
    for num, names in lex.months.items():
        for name in [names["full"], *names.get("abbr", [])]:
            month_alts.append((normalise(name), int(num)))
    month_alts.sort(key=lambda x: len(x[0]), reverse=True)
    mon = "|".join(re.escape(n) for n, _ in month_alts)
    dated = rf"(?:(?<!\d)\d{{1,2}}\s*)?({mon})\s*{era}(\d{{4}}|\d{{2}})(?!\d)"
    ce = rf"(?:{_alt(lex.ce_words)})\s*(20\d\d)(?!\d)"
    # a bare year right after "<digit>-" is the last group of a phone or ID number ("081-234-2558");
    # a range's second year is matched by `ranged` before bare years are read
    bare = rf"(?<!\d-){yr}"
    return (re.compile(fy), re.compile(ranged), re.compile(dated), re.compile(bare), re.compile(ce),
            dict(month_alts))


def _sane(y: int, max_year: int) -> bool:
    return lexicon().year_bounds["min"] <= y <= max_year


def _expand(a: int, b: int | None, max_year: int) -> set[int]:
    if b is None:
        return {a} if _sane(a, max_year) else set()
    if not (_sane(a, max_year) or _sane(b, max_year)) or not (0 < b - a <= 10):
        return {y for y in (a, b) if _sane(y, max_year)}
    return set(range(a, b + 1))


def fiscal_year_of(month: int, be_year: int) -> int:
    """Thai fiscal year of a calendar month in a BE year (FY starts in October)."""
    return be_year + 1 if month >= lexicon().fiscal_year_start_month else be_year


def full_year(y: str) -> int:
    """'64' -> 2564; '2564' -> 2564."""
    v = int(y)
    return v + 2500 if v < 100 else v


def year_evidence(text: str, max_year: int = 2700) -> YearEvidence:
    """Years a text states, graded: fiscal-year statements and ranges, dated mentions, bare years.
    Years beyond `max_year` (typos such as 3105) or before the lexicon minimum are ignored."""
    t = normalise(text)
    fy, ranged, dated, bare, ce, _months = _year_patterns(max_year)
    out = YearEvidence()
    spans = []
    for m in fy.finditer(t):
        out.fiscal |= _expand(int(m.group(1)), int(m.group(2)) if m.group(2) else None, max_year)
        spans.append(m.span())
    for m in ranged.finditer(t):
        out.fiscal |= _expand(int(m.group(1)), int(m.group(2)), max_year)
        spans.append(m.span())
    month_of = _months
    for m in dated.finditer(t):
        y = full_year(m.group(2))
        if _sane(y, max_year):
            out.dated.add(fiscal_year_of(month_of[m.group(1)], y))
        spans.append(m.span())
    for m in ce.finditer(t):
        y = int(m.group(1)) + 543
        if _sane(y, max_year):
            out.bare.add(y)
    for m in bare.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        y = int(m.group(1))
        if _sane(y, max_year):
            out.bare.add(y)
    return out


# ---------------------------------------------------------------- years read by OCR

_THAI_DIGIT = re.compile("[\u0e50-\u0e59]")
_OCR_MASK = "#"


@dataclass
class OcrYears:
    """Years an OCR text states, read with distrust: numbers in Thai digits are not read at all
    (OCR confuses the Thai digits 3/4/5 and 2/6: a one-digit misread turns one fiscal year into another),
    and a fiscal-year statement whose number is not a readable year is noted as unreadable."""

    evidence: YearEvidence
    unreadable_fiscal: bool = False     # a fiscal-year word (+ era) followed by a garbled or no number
    masked: str = ""                    # the normalised text with Thai digits masked
    statements: list[set[int]] = field(default_factory=list)   # years of each fiscal-year statement or range

    def names(self, year: int) -> bool:
        """The year's four digits appear anywhere in the text (any reading of it at all)."""
        return re.search(rf"(?<!\d){year}(?!\d)", self.masked) is not None


@lru_cache(maxsize=4)
def _statement_pattern():
    lex = lexicon()
    return re.compile(rf"(?:{_alt(lex.fiscal_year_words)})\s*((?:{_alt(lex.era_words)})\s*)?")


# Thai tone marks, mai taikhu and thanthakhat: the small marks OCR drops or swaps most often.
_MARKS = dict.fromkeys([0x0E47, 0x0E48, 0x0E49, 0x0E4A, 0x0E4B, 0x0E4C], None)


def unmarked(text: str | None) -> str:
    """squash() without Thai tone marks: the form OCR text is matched in."""
    return squash(text).translate(_MARKS)


@lru_cache(maxsize=50_000)
def _unmarked_term(term: str) -> str:
    return squash_term(term).translate(_MARKS)


def contains_any_unmarked(haystack_unmarked: str, terms) -> str | None:
    """contains_any on unmarked() forms: the longest term (as given) the haystack holds."""
    return _longest_term(haystack_unmarked, terms, _unmarked_term)


def mask_thai_digits(text: str) -> str:
    """OCR text with every Thai digit masked, so no number written in Thai digits is read."""
    return _THAI_DIGIT.sub(_OCR_MASK, text or "")


def ocr_years(text: str, max_year: int = 2700) -> OcrYears:
    """Years of an OCR text (see OcrYears): year_evidence of the text with Thai digits masked."""
    masked = normalise(mask_thai_digits(text))
    out = OcrYears(year_evidence(masked, max_year), masked=masked)
    fy, ranged, *_ = _year_patterns(max_year)
    for pattern in (fy, ranged):
        for m in pattern.finditer(masked):
            years = _expand(int(m.group(1)), int(m.group(2)) if m.group(2) else None, max_year)
            if years:
                out.statements.append(years)
    for m in _statement_pattern().finditer(masked):
        rest = masked[m.end():m.end() + 12]
        number = re.match(r"[#\d]+", rest)
        if number is None:
            if m.group(1):          # fiscal word + era word and no number after them
                out.unreadable_fiscal = True
            continue
        n = number.group(0)
        if not (re.fullmatch(r"2[5-6]\d\d", n) and _sane(int(n), max_year)):
            out.unreadable_fiscal = True
    return out


def month_mentions(text: str, max_year: int = 2700) -> set[tuple[int, int | None]]:
    """(month, BE year or None) pairs named in a text: full or abbreviated month names, 2- or 4-digit years."""
    t = normalise(text)
    *_, month_of = _year_patterns(max_year)
    mon = "|".join(re.escape(n) for n in sorted(month_of, key=len, reverse=True))
    era = rf"(?:(?:{_alt(lexicon().era_words)})\s*)?"
    found: set[tuple[int, int | None]] = set()
    for m in re.finditer(rf"({mon})(?:\s*{era}(\d{{4}}|\d{{2}})(?!\d))?", t):
        name = m.group(1)
        # a dot-less abbreviation must not be the tail of a longer Thai word
        if m.start() > 0 and "\u0e01" <= t[m.start() - 1] <= "\u0e4e" and "." not in name:
            continue
        y = full_year(m.group(2)) if m.group(2) else None
        if y is not None and not _sane(y, max_year):
            y = None
        found.add((month_of[name], y))
    return found


def lao_type_variants(type_label: str) -> list[str]:
    """Every way the LAO type is written, given the registry label (any variant)."""
    s = squash(type_label)
    for group in lexicon().lao_types:
        if s and any(squash(v) == s for v in group):
            return list(group)
    return [type_label] if type_label else []


def all_lao_type_words() -> list[str]:
    return [w for group in lexicon().lao_types for w in group]
