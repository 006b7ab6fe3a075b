"""Locating items: candidate ranking and de-duplication."""
from checks.catalog import load_catalog
from checks.evidence import Link, Page, SiteEvidence
from checks.locate import Candidate, SiteIndex, find_candidates

HOST = "https://www.example-sao.go.th"
NAV = "<a href='javascript:void(0)'>ติดต่อเรา ▾</a>"


def _page(path: str, text: str) -> Page:
    return Page(url=HOST + path, requested_url=HOST + path, status=200, content_type="text/html",
                title="องค์การบริหารส่วนตำบลตัวอย่าง", text=text, depth=1, size=len(text), rendered=False,
                fetch_error=None)


def test_a_menu_placeholder_repeated_on_every_page_is_one_candidate():
    a = Link(HOST + "/a", "javascript:void(0)", None, "ติดต่อเรา ▾", "", "a", True)
    b = Link(HOST + "/b", "javascript:void(0)", None, "ติดต่อเรา ▾", "", "a", True)
    assert Candidate("label", 0.85, [a]).key() == Candidate("label", 0.85, [b]).key()
    # outside the menu, a '#' slot on one page is not the same place as one on another page
    c = Link(HOST + "/a", "#", None, "ข้อมูลการติดต่อ", "O5", "a", False)
    d = Link(HOST + "/b", "#", None, "ข้อมูลการติดต่อ", "O5", "a", False)
    assert Candidate("code", 0.8, [c]).key() != Candidate("code", 0.8, [d]).key()


def test_an_o_code_row_is_not_crowded_out_by_menu_placeholders():
    """30 pages each with a dropdown parent labelled like the item must not push the ITA table's
    O5 row out of the candidates (AS System navbars have 13-14 javascript:void(0) parents)."""
    pages, links = [], []
    for i in range(30):
        p = _page(f"/Pages/page_{i}", f"เมนู ติดต่อเรา หน้า {i}")
        pages.append(p)
        links.append(Link(p.url, "javascript:void(0)", None, "ติดต่อเรา ▾", "องค์การบริหารส่วนตำบลตัวอย่าง", "a", True))
    ita = _page("/Pages/ita_year_detail/11", "ข้อมูลพื้นฐาน O5 ข้อมูลการติดต่อ เปิด")
    pages.append(ita)
    links.append(Link(ita.url, "/Pages/page_detail/335", HOST + "/Pages/page_detail/335", "เปิด",
                      "O5 ข้อมูลการติดต่อ | ลิงค์ - เปิด", "a", False))
    ev = SiteEvidence(lao_id="x", name_th="ตัวอย่าง", lao_type_th="อบต.", start_url=HOST + "/",
                      final_url=HOST + "/", status="ok", pages=pages, links=links, documents=[])
    catalog = load_catalog(2565)
    item = next(i for i in catalog.items if i.code == "O5")
    cands = find_candidates(SiteIndex(ev, catalog, 2570), item, 2565)
    urls = [l.url for c in cands for l in c.links]
    assert HOST + "/Pages/page_detail/335" in urls
    assert sum(1 for c in cands if all(l.url is None for l in c.links)) == 1
