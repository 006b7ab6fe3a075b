"""Unit tests of checks/thai.py: normalisation, Thai digits, BE years, fiscal ranges, months."""
from checks.thai import (fiscal_year_of, lao_type_variants, month_mentions, normalise, squash,
                         year_evidence)


def test_thai_digits_and_latin_o_for_zero():
    assert year_evidence("ประจำปีงบประมาณ พ.ศ.๒๕๖o").fiscal == {2560}
    assert normalise("ปี ๒๕๖๕") == "ปี 2565"


def test_squash_ignores_spaces_and_unifies_dashes():
    assert squash("รอบ 6 เดือน") == squash("รอบ6เดือน")
    assert squash("E–Service") == "e-service"


def test_sara_am_decomposed_and_zero_width():
    assert normalise("ตํ\u0e32บล") == normalise("ตำบล") or "\u0e33" in normalise("ต\u0e4d\u0e32บล")
    assert normalise("ต\u200bำบล") == "ตำบล"


def test_fiscal_year_range_covers_every_year_inside():
    ev = year_evidence("แผนพัฒนาท้องถิ่น (พ.ศ. 2561 – 2565)")
    assert {2561, 2563, 2565} <= ev.fiscal and 2566 not in ev.fiscal


def test_dates_map_to_fiscal_years():
    assert year_evidence("ลงวันที่ 21 พ.ย. 2564").dated == {2565}
    assert year_evidence("27 มิถุนายน 2566").dated == {2566}


def test_insane_years_are_ignored():
    ev = year_evidence("8 พฤศจิกายน 3105 และปี 2563", max_year=2570)
    assert ev.all() == {2563}


def test_amounts_are_not_years():
    assert year_evidence("งบประมาณ 2,565 บาท 125650 บาท").all() == set()


def test_phone_number_groups_are_not_years():
    assert year_evidence("โทร 081-234-2558 โทรสาร 042-611-2560").all() == set()
    assert year_evidence("แผนพัฒนา พ.ศ. 2561-2565 โทร 042-611-2560").all() == {2561, 2562, 2563, 2564, 2565}


def test_month_mentions_full_abbreviated_and_two_digit_years():
    got = month_mentions("ประจำเดือน ตุลาคม 2564 / ต.ค. 64 / ม.ค.2565 / มีนาคม")
    assert (10, 2564) in got and (1, 2565) in got and (3, None) in got


def test_fiscal_year_of_october_is_next_year():
    assert fiscal_year_of(10, 2564) == 2565
    assert fiscal_year_of(3, 2565) == 2565


def test_lao_type_variants():
    assert "อบต." in lao_type_variants("องค์การบริหารส่วนตำบล")
    assert "เทศบาลตำบล" in lao_type_variants("ทต.")


def test_text_memo_holds_one_site_at_a_time():
    """normalise()/squash() and code_in() memoise texts while a site is judged; check_site()
    empties the memos first, so a national crawl's check worker does not keep every site's texts."""
    from checks import thai
    from checks.engine import check_site
    from checks_cases import DEFAULT_AS_OF, build_evidence

    from checks import locate
    from checks.catalog import load_catalog

    earlier = "ข้อความของเว็บไซต์อื่น ปี 2560 ที่ตรวจไปแล้ว O1"
    assert squash(earlier) == normalise(earlier).replace(" ", "")
    assert locate.code_in(earlier, load_catalog(2565)) == ["O1"]
    assert earlier in thai._NORM_CACHE and earlier in thai._SQUASH_CACHE and (2565, earlier) in locate._CODE_CACHE
    report = check_site(build_evidence({"site": "ita_table"}), 2565, DEFAULT_AS_OF)
    assert report.items                                   # the site was judged, its texts memoised ...
    assert earlier not in thai._NORM_CACHE and earlier not in thai._SQUASH_CACHE   # ... not the other's
    assert (2565, earlier) not in locate._CODE_CACHE
    assert thai._NORM_CACHE and locate._CODE_CACHE
    thai.forget_site_texts()
    assert not thai._NORM_CACHE and not thai._SQUASH_CACHE and thai._cache_chars == [0, 0]
    assert normalise(earlier) == normalise(earlier.replace("2560", "๒๕๖๐"))   # same answers after forgetting
