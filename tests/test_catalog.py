"""Meta-tests of the catalogs, the checks they name and the messages of every reason code."""
import inspect
import re
from pathlib import Path

import pytest
import yaml

from checks import catalog, engine, primitives
from checks.catalog import load_catalog
from checks.outcome import messages
from checks_cases import load_cases
from oitwatch.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def test_years_and_latest_complete():
    assert 2565 in catalog.available_years()
    assert catalog.latest_complete_year() == 2565          # 2568 is provisional
    assert load_catalog(2568).provisional


def test_unknown_year_is_input_error():
    with pytest.raises(InputError, match="unknown ITA year 2599; available: 2565, 2568"):
        load_catalog(2599)


def test_2565_has_43_items_in_order_with_stable_keys():
    cat = load_catalog(2565)
    assert [i.code for i in cat.items] == [f"O{n}" for n in range(1, 44)]
    keys = [i.key for i in cat.items]
    assert len(set(keys)) == 43
    assert cat.item("o23").key == "monthly-procurement-summary"


@pytest.mark.parametrize("year", catalog.available_years())
def test_every_named_check_exists(year):
    for item in load_catalog(year).items:
        for name in item.checks:
            assert engine.get_check(name), f"{year} {item.code}: unknown check {name}"
        for name in item.params:
            assert name in item.checks, f"{year} {item.code}: params for a check not in its chain: {name}"


def _reason_codes_used() -> set[str]:
    src = "".join((ROOT / "checks" / f).read_text() for f in ("primitives.py", "engine.py"))
    used = set(re.findall(r'Outcome\.(?:ok|fail|review|unfetched)\(\s*"([a-z0-9_]+)"', src))
    used |= set(re.findall(r'return "([a-z_0-9]+)"\n', src))       # stub kinds
    return used


def test_every_reason_code_has_thai_and_english():
    reasons = messages()["reasons"]
    used = _reason_codes_used()
    assert len(used) > 20
    missing = sorted(r for r in used if r not in reasons)
    assert not missing, f"reason codes without messages: {missing}"
    for code, entry in reasons.items():
        assert entry["th"].strip() and entry["en"].strip(), code


def test_every_crawler_site_status_has_a_message():
    statuses = ["dns_error", "connection_refused", "connection_reset", "timeout", "tls_error", "blocked",
                "server_error", "redirect_loop", "too_many_redirects", "private_address_refused",
                "robots_disallowed", "no_url", "down"]
    reasons = messages()["reasons"]
    assert [s for s in statuses if s not in reasons] == []


def test_docstring_shape_of_every_check():
    for name, fn in primitives.REGISTRY.items():
        doc = inspect.getdoc(fn) or ""
        lines = doc.splitlines()
        assert lines and lines[0].strip(), f"{name}: no summary line"
        for part in ("Passes when:", "Fails when:", "Needs review when:"):
            assert part in doc, f"{name}: docstring lacks {part!r}"


@pytest.mark.parametrize("year", [2565])
def test_every_item_has_a_pass_and_a_fail_case(year):
    cases = load_cases(year)
    for code in load_catalog(year).codes:
        outcomes = {c.expect for c in cases if c.code == code}
        assert {"pass", "fail"} <= outcomes, f"{year} {code} lacks a pass or fail case"


def test_provisional_year_cases_name_real_codes():
    for year in catalog.available_years():
        codes = set(load_catalog(year).codes)
        for case in load_cases(year):
            assert case.code in codes, f"{year}: case for unknown code {case.code}"
    assert load_cases(2568), "the provisional 2568 catalog has cases too"


def test_schema_rejects_a_broken_year_file(tmp_path):
    bad = {"year": 2565, "items": {"O1": {"key": "org-structure"}}}      # no `all`
    with pytest.raises(InputError, match="items/O1"):
        catalog.validate(bad, "oit-year.json", tmp_path / "2565.yaml")


def test_config_files_validate():
    catalog.load_items()
    messages()
    from checks.thai import lexicon
    assert len(lexicon().months) == 12


def test_every_config_schema_is_a_valid_schema():
    """Loading config validates against a schema without checking the schema itself (once per
    process would still cost every check worker ~0.1 s per schema): the schemas are checked here."""
    import json

    import jsonschema

    schemas = sorted(catalog.SCHEMA_DIR.glob("*.json"))
    assert len(schemas) >= 5
    for path in schemas:
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validators.validator_for(schema).check_schema(schema)   # raises SchemaError


def test_no_thai_in_python():
    thai = re.compile(r"[\u0e00-\u0e7f]")
    for folder in ("checks", "oitwatch"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not thai.search(path.read_text(encoding="utf-8")), f"Thai literal in {path}"


def test_priority_terms_cover_items_and_hub_words():
    terms = catalog.priority_terms(2565)
    assert "ITA" in terms
    assert any("สขร" in t for t in terms)
    assert len(terms) == len({t.lower() for t in terms})


@pytest.mark.parametrize("title, about", [
    ("ประกาศผู้ชนะการเสนอราคา จัดซื้อวัสดุสำนักงาน โดยวิธีเฉพาะเจาะจง", True),
    ("ประกาศประกวดราคาจ้างก่อสร้างถนนคอนกรีตเสริมเหล็ก ด้วยวิธีประกวดราคาอิเล็กทรอนิกส์ (e-bidding)", True),
    ("ประกาศเชิญชวนซื้อวัสดุสำนักงาน", True),
    # notices that are ประกาศ but not procurement (real-lao-sites.md: "ประกาศ" is an ambiguous label)
    ("ประกาศรับสมัครบุคคลเพื่อสรรหาเป็นพนักงานจ้าง", False),
    ("ประกาศ เรื่อง การชำระภาษีที่ดินและสิ่งปลูกสร้าง ประจำปี 2565", False),
])
def test_procurement_content_words_are_not_just_the_word_announcement(title, about):
    from checks.thai import contains_any, squash
    item = next(i for i in load_catalog(2565).items if i.key == "procurement-announcements")
    assert bool(contains_any(squash(title), item.content)) is about
