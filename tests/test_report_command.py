"""`oit report` on a real results store, and `oit registry validate|import`."""
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from oitwatch.cli import main
from oitwatch.registry import load_laos
from oitwatch.store import Store
from reports.synthetic import synthetic_run


def fill_store(root: Path) -> Store:
    store = Store(root)
    laos = load_laos()
    for run_no, (as_of, shift) in enumerate([(date(2022, 3, 28), 0.0), (date(2022, 4, 27), 0.1)], start=1):
        rid = store.start_run("check", {"as_of": as_of.isoformat(), "year": 2565})
        res, sites = synthetic_run(laos, rid, as_of=as_of, seed=run_no, quality_shift=shift)
        for site in sites.itertuples():
            store.begin_site(rid, site.lao_id, site.final_url or "")
            store.finish_site(rid, site.lao_id, site.status, site.final_url, site.platform, [])
        for lao_id, rows in res.groupby("lao_id"):
            items = [SimpleNamespace(code=r.code, key=r.item_key, order=r.item_order, status=r.status, problem="",
                                     reason=r.reason, evidence_url=r.evidence_url, matched_text=r.matched_text,
                                     found_year=r.found_year, confidence=r.confidence, reason_th=r.reason_th,
                                     reason_en=r.reason_en, host="")
                     for r in rows.itertuples()]
            store.save_results(rid, lao_id, 2565, as_of, SimpleNamespace(items=items, score=None))
        store.finish_run(rid, "finished")
    return store


def test_oit_report_latest_prints_the_index_path(tmp_path, capsys):
    fill_store(tmp_path / "data").close()
    out = tmp_path / "report"
    rc = main(["report", "--run", "latest", "--out", str(out), "--data-dir", str(tmp_path / "data"),
               "--no-pdf", "--no-excel"])
    assert rc == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed == str(out / "index.html") and Path(printed).exists()
    html = Path(printed).read_text(encoding="utf-8")
    assert "<h1>จังหวัดมุกดาหาร</h1>" in html
    assert "รอบการตรวจที่ 2" in html            # the latest run
    assert (out / "a/4901.html").exists() and (out / "data/report.json").exists()
    # the previous run is compared: the changes section names run 1
    assert "เทียบกับรอบก่อน (รอบการตรวจที่ 1" in html


def test_oit_report_unknown_run_is_an_input_error(tmp_path, capsys):
    fill_store(tmp_path / "data").close()
    rc = main(["report", "--run", "99", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path / "data")])
    assert rc == 2 and "--run 99: no check results" in capsys.readouterr().err


def test_registry_validate_lists_every_problem_and_fails(tmp_path, capsys):
    bad = tmp_path / "officers.csv"
    bad.write_text("tambon_code,officer_name,position,phone,email,line_id\n"
                   "490101,สมชาย,ปลัดอำเภอ,,not-an-email,\n999999,,,,,\n", encoding="utf-8")
    rc = main(["registry", "validate", "--officers", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{bad}, row 2, column email" in err and f"{bad}, row 3, column tambon_code" in err


def test_registry_import_copies_only_valid_files(tmp_path, capsys):
    src = Path(__file__).resolve().parent.parent / "config"
    good = tmp_path / "officers.csv"
    good.write_text("tambon_code,officer_name,position,phone,email,line_id\n"
                    "490101,สมชาย ใจดี,ปลัดอำเภอ,042-611-111,somchai@example.org,\n", encoding="utf-8")
    target = tmp_path / "cfg"
    rc = main(["registry", "import", "--laos", str(src / "registry/laos.csv"), "--officers", str(good),
               "--to", str(target)])
    assert rc == 0
    assert (target / "registry/laos.csv").read_bytes() == (src / "registry/laos.csv").read_bytes()
    assert (target / "assignments/officers.csv").read_text(encoding="utf-8") == good.read_text(encoding="utf-8")
    bad_laos = tmp_path / "laos.csv"
    bad_laos.write_text((src / "registry/laos.csv").read_text(encoding="utf-8").replace(",49,4901,490103,", ",49,4901,490299,"),
                        encoding="utf-8")
    target2 = tmp_path / "cfg2"
    rc = main(["registry", "import", "--laos", str(bad_laos), "--to", str(target2)])
    assert rc == 2 and not (target2 / "registry/laos.csv").exists()
    assert "nothing copied" in capsys.readouterr().err
