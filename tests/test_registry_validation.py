"""Registry, coverage and officer files: the shipped Mukdahan data loads; bad rows are named precisely."""
import pytest

from oitwatch.errors import InputError
from oitwatch.registry import (load_coverage, load_laos, load_officers, placement_frame, places_frame,
                               validate_registry)

LAO_HEADER = "lao_id,lao_type,lao_type_th,name_th,name_en,province_code,amphoe_code,tambon_code,url\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_mukdahan_registry_is_valid():
    counts, problems = validate_registry()
    assert problems == []
    assert counts == {"laos": 55, "coverage": 59, "officers": 53, "officers_assigned": 0}


def test_shipped_coverage_has_the_six_split_tambons():
    laos = load_laos()
    cov = load_coverage(laos=laos)
    per_tambon = {}
    for r in cov:
        per_tambon.setdefault(r["tambon_code"], []).append(r["lao_id"])
    split = sorted(t for t, ids in per_tambon.items() if len(ids) > 1)
    assert split == ["490101", "490201", "490202", "490206", "490301", "490514"]
    assert len(per_tambon) == 53


def test_placement_puts_pao_at_province_level_only():
    laos = load_laos()
    place = placement_frame(laos, load_coverage(laos=laos))
    pao = place[place["lao_id"] == "AH-PAO-49"]
    assert pao[["tambon_code", "amphoe_code", "province_code"]].values.tolist() == [["", "", "49"]]
    assert set(place["amphoe_code"]) - {""} == {"4901", "4902", "4903", "4904", "4905", "4906", "4907"}


@pytest.mark.parametrize("row, column, words", [
    ("X1,TAO,อบต.,ก,,49,4901,999999,http://a.go.th/", "tambon_code", "not a DOPA subdistrict code"),
    ("X1,TAO,อบต.,ก,,49,4902,490101,http://a.go.th/", "tambon_code", "not in district 4902"),
    ("X1,TAO,อบต.,ก,,49,1001,,http://a.go.th/", "amphoe_code", "not in province 49"),
    ("X1,TAO,อบต.,ก,,98,,,http://a.go.th/", "province_code", "not a DOPA province code"),
    ("X1,Village,อบต.,ก,,49,,,http://a.go.th/", "lao_type", "not one of"),
    ("X1,TAO,อบต.,,,49,,,http://a.go.th/", "name_th", "empty"),
    ("X1,TAO,อบต.,ก,,49,,,ftp://a.go.th/", "url", "wrong form"),
])
def test_bad_lao_row_names_file_row_and_column(tmp_path, row, column, words):
    p = write(tmp_path, "laos.csv", LAO_HEADER + "X0,TAO,อบต.,ข,,49,4901,490103,http://b.go.th/\n" + row + "\n")
    with pytest.raises(InputError) as exc:
        load_laos(p)
    msg = str(exc.value)
    assert str(p) in msg and "row 3" in msg and f"column {column}" in msg and words in msg


def test_missing_column_is_named(tmp_path):
    p = write(tmp_path, "laos.csv", "lao_id,lao_type,name_th\nX,TAO,ก\n")
    with pytest.raises(InputError, match="missing column.*province_code"):
        load_laos(p)


def test_excel_bom_and_blank_lines_are_accepted(tmp_path):
    p = tmp_path / "laos.csv"
    p.write_bytes(("\ufeff" + LAO_HEADER + "X0,TAO,อบต.,ข,,49,4901,490103,http://b.go.th/\n,,,,,,,,\n").encode("utf-8"))
    assert [l.lao_id for l in load_laos(p)] == ["X0"]


def test_coverage_rejects_unknown_lao_and_bad_coverage_value(tmp_path):
    laos = load_laos()
    p = write(tmp_path, "coverage.csv", "tambon_code,lao_id,coverage\n490103,AH-TAO-490103,half\n")
    with pytest.raises(InputError, match=r"row 2, column coverage: 'half' is not one of"):
        load_coverage(p, laos=laos)
    p = write(tmp_path, "coverage.csv", "tambon_code,lao_id,coverage\n490103,NOPE,completely\n")
    with pytest.raises(InputError, match=r"row 2, column lao_id: 'NOPE' is not in the LAO registry"):
        load_coverage(p, laos=laos)


def test_officers_need_a_contact_and_a_valid_email(tmp_path):
    head = "tambon_code,officer_name,position,phone,email,line_id\n"
    p = write(tmp_path, "officers.csv", head + "490101,สมชาย ใจดี,ปลัดอำเภอ,,,\n")
    with pytest.raises(InputError, match="row 2, columns phone/email/line_id"):
        load_officers(p)
    p = write(tmp_path, "officers.csv", head + "490101,สมชาย ใจดี,ปลัดอำเภอ,,somchai.example,\n")
    with pytest.raises(InputError, match="row 2, column email: 'somchai.example' is not an e-mail"):
        load_officers(p)
    p = write(tmp_path, "officers.csv", head + "490101,สมชาย,ปลัดอำเภอ,042-611-111,,\n490101,สมหญิง,,,,x\n")
    with pytest.raises(InputError, match="row 3, column tambon_code: tambon 490101 is assigned twice"):
        load_officers(p)
    p = write(tmp_path, "officers.csv", head + "490101,สมชาย,ปลัดอำเภอ,042-611-111,,\n490102,สมชาย,,,,somchai\n")
    offs = load_officers(p)
    assert [(o.tambon_code, o.officer_id) for o in offs] == [("490101", "สมชาย"), ("490102", "somchai")]


def test_validate_collects_every_problem(tmp_path):
    laos = write(tmp_path, "laos.csv", LAO_HEADER + "X0,TAO,อบต.,ข,,49,4901,490103,http://b.go.th/\n"
                 "X1,TAO,อบต.,,,49,,,\nX2,TAO,อบต.,ค,,49,4901,999999,\nX3,TAO,อบต.,ง,,49,4901,,\n")
    cov = write(tmp_path, "coverage.csv", "tambon_code,lao_id,coverage\n490103,X0,completely\n490104,ZZ,partially\n")
    counts, problems = validate_registry(laos, cov, None)
    assert counts == {"laos": 3, "coverage": 1}
    assert any("row 3, column name_th" in p for p in problems)
    assert any("row 4, column tambon_code" in p for p in problems)
    assert any("row 3, column lao_id: 'ZZ'" in p for p in problems)
    assert any("LAO X3 covers no tambon" in p for p in problems)


def test_places_frame_names_every_level():
    got = places_frame(["490101"]).set_index("code")
    assert got.loc["490101", "level"] == "tambon" and got.loc["4901", "parent_code"] == "49"
    assert got.loc["49", "name_en"] == "Mukdahan"
