"""Hand-written pages for checker weaknesses found on the held-out simulated styles
(benchmarks.accuracy --set heldout) that real sites trigger too."""
from __future__ import annotations

from datetime import date

from checks.engine import check_site
from checks.evidence import Page, SiteEvidence
from crawler.parse import parse_page

ROOT = "http://www.example-sao.go.th"
NAV = ('<nav class="navbar"><a href="/">หน้าแรก</a><div class="dropdown"><a href="javascript:void(0)">ติดต่อเรา</a>'
       '<div class="menu"><a href="/sitemap.php">ผังเว็บไซต์</a></div></div></nav>')


def page(title: str, main: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><header><h1>องค์การบริหารส่วนตำบลตัวอย่าง</h1>"
            f"</header>{NAV}<main>{main}</main><footer>องค์การบริหารส่วนตำบลตัวอย่าง</footer></body></html>")


def evidence(pages: dict[str, str]) -> SiteEvidence:
    ev = SiteEvidence(lao_id="t", start_url=ROOT + "/", final_url=ROOT + "/", name_th="ตัวอย่าง", lao_type_th="อบต.")
    for i, (path, html) in enumerate(pages.items()):
        parsed = parse_page(ROOT + path, html)
        ev.pages.append(Page(url=ROOT + path, status=200, title=parsed.title, text=parsed.text, depth=0 if path == "/" else 1))
        ev.links.extend(parsed.links)
    return ev


def test_a_navbar_placeholder_on_every_page_does_not_hide_the_item_row():
    """AS System navbars have a javascript:void(0) dropdown parent per menu on every page; named
    like an item ("ติดต่อเรา"), one per page must not fill the candidate list before the ITA row."""
    pages = {"/": page("อบต.ตัวอย่าง", "<p>ข่าวล่าสุด</p><a href='/ita.php'>ITA</a>")}
    for i in range(12):
        pages[f"/news.php?id={i}"] = page(f"ข่าว {i}", f"<p>ข่าวกิจกรรมที่ {i}</p>")
    # a year-detail page of the AS System kind: headings and rows, no year named on it
    pages["/ita.php"] = page("ข้อมูลพื้นฐาน", "<h2>ข้อมูลพื้นฐาน</h2><h4>O5 ข้อมูลการติดต่อ</h4><ul><li>ลิงค์ - /c.php "
                                         "<a href='/c.php'>เปิด</a></li></ul>")
    pages["/c.php"] = page("รายละเอียด", "<h2>รายละเอียด</h2><p>ที่ทำการ หมู่ที่ 4 ตำบลตัวอย่าง อำเภอเมือง 49000</p>"
                                         "<p>โทรศัพท์ 042-611-234 อีเมล saraban@example-sao.go.th</p>")
    report = check_site(evidence(pages), 2565, date(2022, 4, 30), codes={"O5"})
    item = report.items[0]
    assert (item.status, item.evidence_url) == ("pass", ROOT + "/c.php"), (item.status, item.reason, item.evidence_url)
