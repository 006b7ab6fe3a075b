"""Build the whole report for one run: static HTML site, officer PDFs, Excel, CSV and JSON.

    build_report(store, run_id, out_dir, lang="th") -> Path of index.html

The nightly job and the demo call exactly this. `build_from_data` does the same from frames
(tests and the benchmark use it). Layout of out_dir:

    index.html            top page (the province page when the run covers one province)
    p/<code>.html         province pages        a/<code>.html   district pages
    t/<code>.html         tambon gap lists      l/<lao_id>.html LAO pages (every item)
    md/t/<code>.md        tambon gap lists as Markdown
    heatmap/<code>.html   LAO x item heat maps  items.html      items most often missing
    progress.html         district progress per reporting round
    pdf/officer-*.pdf     one PDF per officer (per tambon when nobody is assigned)
    pdf/progress-<p>.pdf  district progress per round
    excel/report-<p>.xlsx workbook per province   excel/progress-<p>.xlsx
    data/results.csv, data/lao_scores.csv, data/areas.csv, data/report.json
    static/               CSS and the small table-sorting script (no CDN)
"""
from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from oitwatch.errors import InputError
from oitwatch.paths import CONFIG_DIR, DEFAULT_COVERAGE, DEFAULT_LAOS, DEFAULT_OFFICERS
from reports import aggregate as agg
from reports.contexts import (AreaPageContext, AreaRow, AreaStats, ChangeBlock, Crumb, HeatmapContext, HeatRow,
                              ItemRow, ItemsPageContext, ItemStat, LaoGaps, LaoPageContext, LaoRow, OfficerInfo,
                              OfficerReportContext, PageMeta, ProgressContext, ProgressRow, RoundInfo,
                              TambonGaps, TambonPageContext)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
REPORTS_CONFIG = CONFIG_DIR / "reports.yaml"
MESSAGES = CONFIG_DIR / "messages" / "report.yaml"
CHANGE_ROWS_MAX = 200          # changed items listed on an area page (counts are always complete)


# --------------------------------------------------------------------------- config

def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_report_config(path: Path | str = REPORTS_CONFIG) -> dict:
    """config/reports.yaml, checked against the shape in config/schema/reports.json."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh) or {}
    try:
        import jsonschema
        schema = json.loads((CONFIG_DIR / "schema" / "reports.json").read_text(encoding="utf-8"))
        as_text = json.loads(json.dumps(cfg, default=str))   # YAML dates -> ISO strings
        as_text["years"] = {str(k): v for k, v in (as_text.get("years") or {}).items()}
        jsonschema.validate(as_text, schema)
    except ImportError:
        pass
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.absolute_path) or "(top)"
        raise InputError(f"{path}, key {where}: {exc.message}") from None
    for key in ("target", "grade_bands", "reachable_site_statuses", "years"):
        if key not in cfg:
            raise InputError(f"{path}: missing key {key!r}")
    if not 0 <= float(cfg["target"]) <= 100:
        raise InputError(f"{path}, key target: must be 0-100")
    for i, band in enumerate(cfg["grade_bands"]):
        if not {"grade", "min", "passes"} <= set(band):
            raise InputError(f"{path}, grade_bands[{i}]: needs grade, min and passes")
    years = {}
    for year, spec in (cfg.get("years") or {}).items():
        try:
            years[int(year)] = {
                "monitoring_start": _as_date(spec["monitoring_start"]) if spec.get("monitoring_start") else None,
                "rounds": sorted(_as_date(d) for d in spec.get("rounds") or []),
            }
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{path}, years.{year}: bad date ({exc})") from None
    cfg["years"] = years
    cfg.setdefault("top_missing_items", 10)
    cfg.setdefault("heatmap_max_laos", 400)
    return cfg


@lru_cache(maxsize=2)
def load_messages(path: Path | str = MESSAGES) -> dict:
    with Path(path).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def item_titles(year: int, results: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """code -> (title_th, title_en) from the check catalogue; falls back to the item key."""
    titles: dict[str, tuple[str, str]] = {}
    try:
        from checks.catalog import load_catalog  # another layer's module: imported lazily
        for it in load_catalog(year).items:
            titles[it.code] = (getattr(it, "title_th", "") or it.key, getattr(it, "title_en", "") or it.key)
    except Exception:  # noqa: BLE001 - catalogue missing or year unknown: fall back to keys
        pass
    for code, key in results[["code", "item_key"]].drop_duplicates().itertuples(index=False):
        titles.setdefault(code, (key or code, key or code))
    return titles


_HTTP_URL = re.compile(r"^https?://[^\s/?#@\\]+(?:[/?#][^\s]*)?$", re.IGNORECASE)


def http_url(value) -> str | None:
    """The URL when it is an absolute http(s) URL, else None (no link is rendered)."""
    if not isinstance(value, str) or not value:
        return None
    value = value.strip()
    return value if _HTTP_URL.match(value) else None


# --------------------------------------------------------------------------- inputs

@dataclass
class ReportData:
    """Everything a report is built from (frames as the store returns them, plus the registry)."""
    run_id: int
    year: int
    as_of: str
    results: pd.DataFrame
    sites: pd.DataFrame
    laos: list
    coverage: list[dict]
    officers: list
    run_dates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["run_id", "run_date"]))
    history: dict = field(default_factory=dict)      # run_id -> (results, sites) of earlier runs
    previous_run: int | None = None


def _run_dates(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in runs.itertuples(index=False):
        if getattr(r, "status", "finished") not in ("finished", "running"):
            continue
        params = r.params if isinstance(r.params, dict) else json.loads(r.params or "{}")
        day = params.get("as_of") or (str(r.started_at)[:10] if r.started_at else None)
        try:
            rows.append({"run_id": int(r.run_id), "run_date": _as_date(str(day)[:10])})
        except (TypeError, ValueError):
            continue
    return pd.DataFrame(rows, columns=["run_id", "run_date"])


def collect(store, run_id: int, *, laos_path=DEFAULT_LAOS, coverage_path=DEFAULT_COVERAGE,
            officers_path=DEFAULT_OFFICERS, config: dict | None = None, year: int | None = None) -> ReportData:
    """Read the run, its history (previous run, monitoring baseline, round runs) and the registry."""
    from oitwatch.registry import load_coverage, load_laos, load_officers
    config = config or load_report_config()
    results = store.results_frame(run_id)
    if results.empty:
        raise InputError(f"run {run_id}: no check results stored")
    year = int(year or results["year"].max())
    results = results[results["year"] == year].reset_index(drop=True)
    laos = load_laos(laos_path)
    coverage = load_coverage(coverage_path, laos=laos)
    officers = load_officers(officers_path) if officers_path and Path(officers_path).exists() else []
    run_dates = _run_dates(store.runs_frame())
    as_of = str(results["as_of"].iloc[0])[:10]
    cur = run_dates["run_id"] == run_id
    if cur.any():
        run_dates.loc[cur, "run_date"] = _as_date(as_of)
    else:
        run_dates = pd.concat([run_dates, pd.DataFrame([{"run_id": run_id, "run_date": _as_date(as_of)}])])
    run_dates = run_dates[run_dates["run_id"] <= run_id]
    data = ReportData(run_id=run_id, year=year, as_of=as_of, results=results, sites=store.sites_frame(run_id),
                      laos=laos, coverage=coverage, officers=officers, run_dates=run_dates,
                      previous_run=store.previous_run(run_id))
    wanted = {data.previous_run}
    ycfg = config["years"].get(year, {})
    wanted.add(agg.baseline_run(run_dates, ycfg.get("monitoring_start"), run_id))
    if ycfg.get("rounds"):
        wanted |= set(agg.runs_for_rounds(run_dates, ycfg["rounds"])["run_id"].dropna().astype(int))
    for rid in sorted(r for r in wanted if r is not None and r != run_id):
        res = store.results_frame(rid)
        res = res[res["year"] == year].reset_index(drop=True)
        if not res.empty:
            data.history[rid] = (res, store.sites_frame(rid))
    # runs without results for this year cannot stand for a round
    keep = set(data.history) | {run_id}
    data.run_dates = run_dates[run_dates["run_id"].isin(keep)].reset_index(drop=True)
    if data.previous_run not in data.history:
        data.previous_run = None
    return data


# --------------------------------------------------------------------------- analysis

class Analysis:
    """All aggregate frames of one report, computed once (pure pandas from reports.aggregate)."""

    def __init__(self, data: ReportData, config: dict, lang: str):
        from oitwatch.registry import laos_frame, officers_frame, placement_frame, places_frame
        self.data, self.config, self.lang = data, config, lang
        self.target = float(config["target"])
        kw = dict(target=self.target, bands=config["grade_bands"],
                  reachable_statuses=config["reachable_site_statuses"])
        res = data.results
        ids = set(res["lao_id"])
        self.laos = laos_frame([l for l in data.laos if l.lao_id in ids]).set_index("lao_id", drop=False)
        place = placement_frame(data.laos, data.coverage)
        place = place[place["lao_id"].isin(ids)]
        missing = sorted(ids - set(place["lao_id"]))   # results for LAOs the registry does not place
        if missing:
            place = pd.concat([place, pd.DataFrame({"lao_id": missing, "tambon_code": "", "amphoe_code": "",
                                                    "province_code": "", "coverage": ""})])
        self.placement = place.reset_index(drop=True)
        self.officers = officers_frame(data.officers)
        self.scores = agg.lao_scores(res, data.sites, **kw)
        self.scores_by_id = self.scores.set_index("lao_id", drop=False)
        self.titles = item_titles(data.year, res)
        names = places_frame(sorted(set(self.placement["tambon_code"]) | set(self.placement["amphoe_code"])
                                    | set(self.placement["province_code"]) - {""}))
        col = "name_th" if lang == "th" else "name_en"
        self.place_names = dict(zip(names["code"], names[col]))
        self.provinces = sorted(set(self.placement["province_code"]) - {""})
        self.item_cov = agg.item_coverage(res)
        self.item_cov_prov = agg.item_coverage_by_area(res, self.placement, "province")
        self.item_cov_amph = agg.item_coverage_by_area(res, self.placement, "amphoe")
        self.items_in = {"province": dict(tuple(self.item_cov_prov.groupby("province_code", sort=False))),
                         "amphoe": dict(tuple(self.item_cov_amph.groupby("amphoe_code", sort=False)))}
        self.area = {lvl: agg.area_summary(self.scores, self.placement, lvl).set_index(f"{lvl}_code")
                     for lvl in ("tambon", "amphoe", "province")}
        self.area_rows = {lvl: frame.to_dict("index") for lvl, frame in self.area.items()}
        self.groups = agg.officer_groups(self.placement, self.officers)
        self.group_of_tambon = self.groups.set_index("tambon_code").to_dict("index")
        self._index_places()
        self.group_summary = agg.officer_summary(self.scores, self.placement, self.officers).set_index("group_id")
        self.group_stats = self.group_summary.to_dict("index")
        # history
        self.previous = data.previous_run
        self.changes_prev = self.score_prev = None
        if self.previous is not None:
            prev_res, prev_sites = data.history[self.previous]
            self.changes_prev = agg.compare_runs(res, prev_res)
            self.score_prev = agg.score_changes(self.scores, agg.lao_scores(prev_res, prev_sites, **kw))
        ycfg = config["years"].get(data.year, {})
        self.baseline = agg.baseline_run(data.run_dates, ycfg.get("monitoring_start"), data.run_id)
        if self.baseline not in data.history:
            self.baseline = None
        self.changes_start = self.score_start = None
        if self.baseline is not None and self.baseline != self.previous:
            base_res, base_sites = data.history[self.baseline]
            self.changes_start = agg.compare_runs(res, base_res)
            self.score_start = agg.score_changes(self.scores, agg.lao_scores(base_res, base_sites, **kw))
        self.rounds = ycfg.get("rounds", [])
        self.round_runs = agg.runs_for_rounds(data.run_dates, self.rounds) if self.rounds else None
        self.progress = None
        if self.round_runs is not None:
            stacked = []
            for rid in self.round_runs["run_id"].dropna().astype(int).unique():
                if rid == data.run_id:
                    stacked.append(self.scores.assign(run_id=rid))
                elif rid in data.history:
                    stacked.append(agg.lao_scores(*data.history[rid], **kw).assign(run_id=rid))
            if stacked:
                st = pd.concat(stacked, ignore_index=True)
                self.progress = {lvl: agg.round_progress(self.round_runs, st, self.placement, lvl)
                                 for lvl in ("amphoe", "province")}

    def _index_places(self) -> None:
        """Dictionaries so that page builders never filter whole frames per page."""
        p = self.placement.sort_values(["lao_id", "tambon_code"], kind="stable")
        self.by_tambon: dict[str, list[tuple[str, str]]] = {}
        self.by_lao: dict[str, list[dict]] = {}
        self.laos_in = {"province": {}, "amphoe": {}}
        self.tambons_in = {"province": {}, "amphoe": {}}
        self.amphoes_in: dict[str, set] = {}
        for lid, t, a, pr, cov in p[["lao_id", "tambon_code", "amphoe_code", "province_code", "coverage"]].itertuples(
                index=False, name=None):
            self.by_lao.setdefault(lid, []).append({"tambon_code": t, "amphoe_code": a, "province_code": pr})
            if t:
                self.by_tambon.setdefault(t, []).append((lid, cov))
                self.tambons_in["amphoe"].setdefault(a, set()).add(t)
                self.tambons_in["province"].setdefault(pr, set()).add(t)
            if a:
                self.laos_in["amphoe"].setdefault(a, set()).add(lid)
                self.amphoes_in.setdefault(pr, set()).add(a)
            if pr:
                self.laos_in["province"].setdefault(pr, set()).add(lid)
        self.sites_by_id = self.data.sites.set_index("lao_id").to_dict("index") if len(self.data.sites) else {}
        self.lao_names = {}
        for r in self.laos.to_dict("records"):
            self.lao_names[r["lao_id"]] = (f"{r['lao_type_th']}{r['name_th']}" if self.lang == "th"
                                           else f"{r['name_en'] or r['name_th']} ({r['lao_type']})")

    # ---- small lookups used by the page builders
    def lao_name(self, lao_id: str) -> str:
        return self.lao_names.get(lao_id, lao_id)

    def title(self, code: str) -> str:
        th, en = self.titles.get(code, (code, code))
        return th if self.lang == "th" else en

    def name(self, code: str) -> str:
        return self.place_names.get(code, code)


# --------------------------------------------------------------------------- context builders

def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return v


def _stats(row) -> AreaStats:
    if row is None:
        return AreaStats()
    return AreaStats(n_laos=int(row["n_laos"]), n_scored=int(row["n_scored"]), n_unreachable=int(row["n_unreachable"]),
                     mean_score=_num(row["mean_score"]), min_score=_num(row["min_score"]),
                     n_meet_target=int(row["n_meet_target"]), share_meet_target=_num(row["share_meet_target"]),
                     n_fail=int(row["n_fail"]), n_review=int(row["n_review"]), n_unknown=int(row["n_unknown"]))


class Builder:
    """Turns the Analysis into page contexts and writes the pages."""

    def __init__(self, an: Analysis, out: Path, env: Environment):
        self.an, self.out, self.env = an, out, env
        d = an.data
        self.generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.meta_base = dict(lang=an.lang, run_id=int(d.run_id), year=int(d.year), as_of=d.as_of,
                              generated_at=self.generated, target=an.target)
        self.single = len(an.provinces) == 1
        self.prov_href = {p: ("index.html" if self.single else f"p/{p}.html") for p in an.provinces}
        delta = an.score_prev.set_index("lao_id")["delta"] if an.score_prev is not None else pd.Series(dtype=float)
        self.lao_rows: dict[str, LaoRow] = {}
        urls = an.laos["url"] if len(an.laos) else pd.Series(dtype=object)
        final = d.sites.set_index("lao_id")["final_url"] if len(d.sites) else pd.Series(dtype=object)
        for s in an.scores.to_dict("records"):
            lid = s["lao_id"]
            url = urls.get(lid) or final.get(lid) or ""
            url = url if isinstance(url, str) else ""
            self.lao_rows[lid] = LaoRow(
                lao_id=lid, name=an.lao_name(lid), href=f"l/{lid}.html", url=url, url_href=http_url(url),
                site_status=s["site_status"], reachable=bool(s["reachable"]), score=_num(s["score"]),
                score_if_reviewed=_num(s["score_if_reviewed"]), grade=s["grade"],
                meets_target=None if s["meets_target"] is pd.NA else bool(s["meets_target"]),
                n_items=s["n_items"], n_pass=s["n_pass"], n_fail=s["n_fail"], n_review=s["n_review"],
                n_unknown=s["n_unknown"], delta=_num(delta.get(lid)))
        self.items_by_lao = self._item_rows()
        self._split_cache: dict = {}
        self._progress_cells = None
        self.run_date_of = dict(zip(d.run_dates["run_id"], d.run_dates["run_date"]))

    # ---- helpers
    def meta(self, title: str, root: str, crumbs: list[Crumb], css: str = "") -> PageMeta:
        return PageMeta(title=title, root=root, breadcrumbs=crumbs, css=css, **self.meta_base)

    def _item_rows(self) -> dict[str, list[ItemRow]]:
        an = self.an
        res = an.data.results
        reason_col = "reason_th" if an.lang == "th" else "reason_en"
        prev = {}
        if an.previous is not None:
            p = an.data.history[an.previous][0]
            prev = dict(zip(zip(p["lao_id"], p["item_key"]), p["status"]))
        out: dict[str, list[ItemRow]] = {}
        # vectorised clean-up first; the loop below only builds objects
        text = lambda c: res[c].astype(object).where(res[c].notna(), "").astype(str)  # noqa: E731
        reason = text(reason_col)
        reason = reason.where(reason != "", text("reason"))
        ev = text("evidence_url").str.strip()
        ev_ok = ev.str.match(_HTTP_URL.pattern, case=False).fillna(False).tolist()
        href = [e if ok else None for e, ok in zip(ev.tolist(), ev_ok)]
        fy = [str(int(v)) if v == v else "" for v in
              pd.to_numeric(res["found_year"], errors="coerce").astype(float).tolist()]
        checked = text("checked_at").str[:10]
        titles = {c: an.title(c) for c in res["code"].unique()}
        before = [prev.get(k, "") for k in zip(res["lao_id"].tolist(), res["item_key"].tolist())] if prev \
            else [""] * len(res)
        for lid, code, status, rtext, evt, evh, mt, fyr, ck, sb in zip(
                res["lao_id"].tolist(), res["code"].tolist(), res["status"].tolist(), reason.tolist(), ev.tolist(),
                href, text("matched_text").tolist(), fy, checked.tolist(), before):
            out.setdefault(lid, []).append(ItemRow(code, titles[code], status, rtext, evh, evt, mt, fyr, ck, sb))
        return out

    def write(self, template: str, ctx, rel: str) -> Path:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.env.get_template(template).render(ctx=ctx), encoding="utf-8")
        return path

    def lao_row(self, lid: str, root: str, coverage: str = "") -> LaoRow:
        r = self.lao_rows[lid]
        return LaoRow(**{**r.__dict__, "href": root + r.href, "coverage": coverage})

    def crumbs_for(self, prov: str = "", amph: str = "", tambon: str = "", root: str = "../") -> list[Crumb]:
        an = self.an
        t = load_messages()["labels"]
        c = [Crumb(t["back_to_top"][an.lang], root + "index.html")]
        if prov and not self.single:
            c.append(Crumb(an.name(prov), root + self.prov_href[prov]))
        if amph:
            c.append(Crumb(an.name(amph), root + f"a/{amph}.html"))
        if tambon:
            c.append(Crumb(an.name(tambon), root + f"t/{tambon}.html"))
        return c

    def _split(self, name: str, frame: pd.DataFrame, level: str) -> dict:
        """Rows of `frame` per area of `level` as plain records, computed once per (frame, level).

        Change frames: {code: (counts, rows)} with rows sorted regressions first, at most
        CHANGE_ROWS_MAX; score frames: {code: [(lao_id, delta)]} with non-zero deltas, worst first.
        """
        cache_key = (name, level)
        if cache_key in self._split_cache:
            return self._split_cache[cache_key]
        if level == "country":
            merged = frame.assign(_area="")
        else:
            key = f"{level}_code"
            place = self.an.placement[self.an.placement[key] != ""][[key, "lao_id"]].drop_duplicates()
            merged = frame.merge(place, on="lao_id").rename(columns={key: "_area"})
        out: dict = {}
        if "change" in merged.columns:
            kinds = ["improved", "regressed", "now_unreachable", "reachable_again"]
            counts = merged.groupby(["_area", "change"]).size().unstack("change", fill_value=0)
            counts = counts.reindex(columns=kinds, fill_value=0)
            merged = merged.assign(_rank=merged["change"].map({"regressed": 0, "improved": 1}).fillna(2))
            merged = merged.sort_values(["_area", "_rank", "lao_id", "item_order"], kind="stable")
            merged = merged.groupby("_area", sort=False).head(CHANGE_ROWS_MAX)
            recs: dict = {}
            for area, lid, code, st, sb in zip(merged["_area"].tolist(), merged["lao_id"].tolist(),
                                               merged["code"].tolist(), merged["status"].tolist(),
                                               merged["status_before"].tolist()):
                recs.setdefault(area, []).append((lid, code, st, sb))
            for area, row in counts.iterrows():
                out[area] = ({f"n_{k}": int(row[k]) for k in kinds}, recs.get(area, []))
        else:
            merged = merged[merged["delta"].fillna(0) != 0].sort_values(["_area", "delta"], kind="stable")
            for area, lid, delta in zip(merged["_area"].tolist(), merged["lao_id"].tolist(), merged["delta"].tolist()):
                out.setdefault(area, []).append((lid, float(delta)))
        self._split_cache[cache_key] = out
        return out

    def _changes(self, level: str, code: str, root: str) -> list[ChangeBlock]:
        an = self.an
        blocks = []
        empty = {"n_improved": 0, "n_regressed": 0, "n_now_unreachable": 0, "n_reachable_again": 0}
        for key, rid, ch, sc in (("since_previous", an.previous, an.changes_prev, an.score_prev),
                                 ("since_start", an.baseline, an.changes_start, an.score_start)):
            if rid is None or ch is None:
                if key == "since_previous":
                    blocks.append(ChangeBlock(label_key=key, run_id=None))
                continue
            counts, recs = self._split(f"{key}:changes", ch, level).get(code, (dict(empty), []))
            rows = [ItemRow(code=c, title=an.title(c), status=st, status_before=sb,
                            lao_name=an.lao_name(lid), lao_href=f"{root}l/{lid}.html")
                    for lid, c, st, sb in recs]
            scores = []
            for lid, delta in self._split(f"{key}:scores", sc, level).get(code, []):
                row = self.lao_row(lid, root)
                row.delta = delta
                scores.append(row)
            run_date = self.run_date_of.get(rid)
            blocks.append(ChangeBlock(label_key=key, run_id=int(rid), as_of=str(run_date or ""),
                                      counts=counts, rows=rows, scores=scores))
        return blocks

    def _item_stats(self, frame: pd.DataFrame, limit: int | None = None) -> list[ItemStat]:
        rows = frame.head(limit) if limit else frame
        cols = [rows[c].tolist() for c in ("code", "n_pass", "n_fail", "n_review", "n_unknown", "fail_share")]
        return [ItemStat(code=c, title=self.an.title(c), n_pass=int(p), n_fail=int(f), n_review=int(r),
                         n_unknown=int(u), fail_share=_num(fs)) for c, p, f, r, u, fs in zip(*cols)]

    def _group_rows(self, tambons: set[str], root: str) -> list[AreaRow]:
        an = self.an
        by_group: dict[str, list[str]] = {}
        for tcode in sorted(tambons):
            by_group.setdefault(an.group_of_tambon[tcode]["group_id"], []).append(tcode)
        rows = []
        for gid in sorted(by_group):
            first = an.group_of_tambon[by_group[gid][0]]
            label = first["officer_name"] or an.name(by_group[gid][0])
            rows.append(AreaRow(code=gid, name=label, href=root + self.pdf_name(gid),
                                stats=_stats(an.group_stats.get(gid)), n_tambons=len(by_group[gid]),
                                officer=first["officer_name"]))
        return rows

    @staticmethod
    def pdf_name(group_id: str) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in group_id)
        return f"pdf/officer-{safe}.pdf"

    # ---- pages
    def area_page(self, level: str, code: str, rel: str, root: str, downloads: list[Crumb]) -> None:
        an = self.an
        cfg = an.config
        place = an.placement
        t = load_messages()["labels"]
        if level == "country":
            lao_ids = set(place["lao_id"])
            tot = an.scores
            stats = AreaStats(n_laos=len(tot), n_scored=int(tot["score"].count()),
                              n_unreachable=int((~tot["reachable"]).sum()),
                              mean_score=_num(round(tot["score"].mean(), 2)) if tot["score"].count() else None,
                              min_score=_num(tot["score"].min()),
                              n_meet_target=int(tot["meets_target"].fillna(False).sum()),
                              share_meet_target=_num(round(100 * tot["meets_target"].fillna(False).sum()
                                                           / tot["score"].count(), 1)) if tot["score"].count() else None,
                              n_fail=int(tot["n_fail"].sum()), n_review=int(tot["n_review"].sum()),
                              n_unknown=int(tot["n_unknown"].sum()))
            child_level, children_codes = "province", an.provinces
            name = t["country"][an.lang]
            items = an.item_cov
            crumbs = [Crumb(t["back_to_top"][an.lang], "")]
            tambons = set()
        else:
            key = f"{level}_code"
            lao_ids = an.laos_in[level].get(code, set())
            stats = _stats(an.area_rows[level].get(code))
            if level == "province":
                child_level = "amphoe"
                children_codes = sorted(an.amphoes_in.get(code, set()))
                items = an.items_in["province"].get(code, an.item_cov.iloc[0:0])
                crumbs = self.crumbs_for(root=root) + ([Crumb(an.name(code), "")] if not self.single else [])
            else:
                child_level = "tambon"
                children_codes = sorted(an.tambons_in["amphoe"].get(code, set()))
                items = an.items_in["amphoe"].get(code, an.item_cov.iloc[0:0])
                crumbs = self.crumbs_for(prov=code[:2], root=root) + [Crumb(an.name(code), "")]
            name = an.name(code)
            tambons = an.tambons_in[level].get(code, set())
        children = []
        child_area = an.area_rows[child_level]
        for c in children_codes:
            href = {"province": self.prov_href.get(c, ""), "amphoe": f"a/{c}.html", "tambon": f"t/{c}.html"}[child_level]
            children.append(AreaRow(code=c, name=an.name(c), href=root + href,
                                    stats=_stats(child_area.get(c)),
                                    officer=an.group_of_tambon.get(c, {}).get("officer_name", "")
                                    if child_level == "tambon" else ""))
        many = len(lao_ids) > cfg["heatmap_max_laos"]
        laos = [] if level == "country" else [self.lao_row(l, root) for l in sorted(lao_ids)]
        laos.sort(key=lambda r: (r.score is None, -(r.score or 0), r.name))
        unreachable = [self.lao_row(l, root) for l in sorted(lao_ids) if not self.lao_rows[l].reachable]
        heat = "" if many else f"heatmap/{code or 'all'}.html"
        if heat:
            self.heatmap_page(code or "all", name, lao_ids, heat)
        ctx = AreaPageContext(
            meta=self.meta(name, root, crumbs), level=level, code=code, name=name, stats=stats,
            child_level=child_level, children=children,
            officers=self._group_rows(tambons, root) if level != "country" else [],
            laos=laos, top_missing=self._item_stats(items, cfg["top_missing_items"]), unreachable=unreachable,
            changes=self._changes(level, code, root),
            heatmap_href=(root + heat) if heat else "",
            downloads=[Crumb(d.label, root + d.href) for d in downloads])
        self.write("area.html.j2", ctx, rel)

    def heatmap_page(self, code: str, name: str, lao_ids: set[str], rel: str) -> None:
        an = self.an
        order = an.item_cov.sort_values("item_order")
        cols = self._item_stats(order)
        rows = []
        for lid in sorted(lao_ids, key=lambda l: (self.lao_rows[l].name, l)):
            by_code = {it.code: it.status for it in self.items_by_lao.get(lid, [])}
            rows.append(HeatRow(lao=self.lao_row(lid, "../"), cells=[by_code.get(c.code, "") for c in cols]))
        crumbs = self.crumbs_for(prov=code[:2] if len(code) >= 2 and code != "all" else "",
                                 amph=code if len(code) == 4 else "")
        t = load_messages()["labels"]
        ctx = HeatmapContext(meta=self.meta(f"{t['heatmap'][an.lang]}: {name}", "../", crumbs),
                             area_name=name, columns=cols, rows=rows)
        self.write("heatmap.html.j2", ctx, rel)

    def tambon_context(self, code: str, root: str, css: str = "") -> TambonPageContext:
        an = self.an
        o = an.group_of_tambon.get(code)
        officer = None
        if o and o["officer_name"]:
            officer = OfficerInfo(name=o["officer_name"], position=o["position"], phone=o["phone"],
                                  email=o["email"], line_id=o["line_id"])
        laos = [self.lao_gaps(lid, root, cov) for lid, cov in an.by_tambon.get(code, [])]
        gid = o["group_id"] if o else f"tambon-{code}"
        return TambonPageContext(
            meta=self.meta(an.name(code), root, self.crumbs_for(code[:2], code[:4], root=root) + [Crumb(an.name(code), "")], css),
            code=code, name=an.name(code), amphoe_name=an.name(code[:4]), officer=officer, laos=laos,
            pdf_href=root + self.pdf_name(gid))

    def lao_gaps(self, lid: str, root: str, coverage: str = "") -> LaoGaps:
        items = self.items_by_lao.get(lid, [])
        return LaoGaps(lao=self.lao_row(lid, root, coverage),
                       gaps=[i for i in items if i.status == "fail"],
                       reviews=[i for i in items if i.status == "needs_review"],
                       unknowns=[i for i in items if i.status == "unknown"])

    def lao_page(self, lid: str) -> None:
        an = self.an
        site = an.sites_by_id.get(lid)
        places = an.by_lao.get(lid, [{"tambon_code": "", "amphoe_code": "", "province_code": ""}])
        tambons = sorted({p["tambon_code"] for p in places} - {""})
        first = places[0]
        crumbs = self.crumbs_for(first["province_code"], first["amphoe_code"], tambons[0] if tambons else "")
        row = self.lao_row(lid, "../")
        crumbs.append(Crumb(row.name, ""))
        items = self.items_by_lao.get(lid, [])
        final = site["final_url"] if site is not None and isinstance(site["final_url"], str) else ""
        flags = site["flags"] if site is not None and isinstance(site["flags"], list) else []
        ctx = LaoPageContext(
            meta=self.meta(row.name, "../", crumbs), lao=row, final_url=final, final_href=http_url(final),
            platform=(site["platform"] or "") if site is not None and isinstance(site["platform"], str) else "",
            flags=[str(f) for f in flags], tambons=[Crumb(an.name(t), f"../t/{t}.html") for t in tambons],
            items=items, changes=[i for i in items if i.status_before and i.status_before != i.status])
        self.write("lao.html.j2", ctx, f"l/{lid}.html")

    def officer_contexts(self, css: str) -> list[OfficerReportContext]:
        an = self.an
        out = []
        t = load_messages()["labels"]
        for gid, part in an.groups.groupby("group_id", sort=True):
            first = part.iloc[0]
            officer = None
            if first["officer_name"]:
                officer = OfficerInfo(name=first["officer_name"], position=first["position"], phone=first["phone"],
                                      email=first["email"], line_id=first["line_id"])
            seen: set[str] = set()
            tambons = []
            for code in sorted(part["tambon_code"]):
                laos, above = [], []
                for lid, cov in an.by_tambon.get(code, []):
                    if lid in seen:
                        above.append(an.lao_name(lid))  # split LAO: listed once per officer
                        continue
                    seen.add(lid)
                    laos.append(self.lao_gaps(lid, "", cov))
                tambons.append(TambonGaps(code=code, name=an.name(code), amphoe_name=an.name(code[:4]), laos=laos,
                                          listed_above=above))
            title = officer.name if officer else t["tambon_named"][an.lang].format(name=an.name(first["tambon_code"]))
            stats = an.group_stats.get(gid)
            out.append(OfficerReportContext(meta=self.meta(title, "", [], css), group_id=gid, officer=officer,
                                            stats=_stats(stats), tambons=tambons))
        return out

    def progress_context(self, prov: str | None, root: str, css: str = "") -> ProgressContext:
        an = self.an
        t = load_messages()["labels"]
        rounds = []
        if an.round_runs is not None:
            for r in an.round_runs.itertuples():
                rounds.append(RoundInfo(no=int(r.round_no), date=str(r.round_date),
                                        run_id=None if pd.isna(r.run_id) else int(r.run_id),
                                        run_date=str(r.run_date or "")))
        rows, total = [], None
        if an.progress is not None:
            if self._progress_cells is None:   # {(level, code): {round_no: row dict}}, built once
                cells: dict = {}
                for level, key in (("amphoe", "amphoe_code"), ("province", "province_code")):
                    for rec in an.progress[level].to_dict("records"):
                        cells.setdefault((level, rec[key]), {})[rec["round_no"]] = rec
                self._progress_cells = cells
            cells = self._progress_cells
            amphoes = sorted(a for (lvl, a) in cells if lvl == "amphoe" and (not prov or a[:2] == prov))
            for code in amphoes:
                part = cells[("amphoe", code)]
                rows.append(ProgressRow(code=code, name=an.name(code),
                                        cells=[_stats(part[r.no]) if r.no in part else None for r in rounds]))
            if prov:
                part = cells.get(("province", prov), {})
                total = ProgressRow(code="", name=an.name(prov),
                                    cells=[_stats(part[r.no]) if r.no in part else None for r in rounds])
        name = an.name(prov) if prov else t["country"][an.lang]
        return ProgressContext(meta=self.meta(f"{t['progress'][an.lang]}: {name}", root,
                                              self.crumbs_for(root=root) + [Crumb(t["progress"][an.lang], "")], css),
                               area_name=name, rounds=rounds, rows=rows, total=total)


# --------------------------------------------------------------------------- environment

def _fmt_score(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{float(v):.1f}"


def make_env(lang: str) -> Environment:
    msgs = load_messages()
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, auto_reload=False,
                      autoescape=lambda name: name is not None and ".html" in name,
                      trim_blocks=True, lstrip_blocks=True)
    labels, statuses, sites = msgs["labels"], msgs["status"], msgs["site_status"]
    months = msgs["months_th"] if lang == "th" else msgs["months_en"]

    def t(key: str, **kw) -> str:
        text = labels[key][lang]
        return text.format(**kw) if kw else text

    def status_label(s: str) -> str:
        return statuses.get(s, {}).get(lang, s)

    def symbol(s: str) -> str:
        return statuses.get(s, {}).get("symbol", "")

    def site_label(s) -> str:
        s = s if isinstance(s, str) else ""
        return sites.get(s, {}).get(lang, s)

    @lru_cache(maxsize=4096)
    def _fmt_date(v: str) -> str:
        try:
            d = _as_date(v[:10])
        except ValueError:
            return v
        year = d.year + 543 if lang == "th" else d.year
        return f"{d.day} {months[d.month - 1]} {year}"

    def fmt_date(v) -> str:
        return _fmt_date(str(v)) if v else ""

    def md(v) -> str:
        """Markdown-safe text: escape markup characters and angle brackets."""
        s = "" if v is None else str(v)
        for ch in "\\`*_[]()#|<>!":
            s = s.replace(ch, "\\" + ch)
        return s.replace("\n", " ")

    env.globals.update(t=t, status_label=status_label, symbol=symbol, site_label=site_label,
                       SL={k: v.get(lang, k) for k, v in statuses.items()},
                       SY={k: v.get("symbol", "") for k, v in statuses.items()})
    env.filters.update(score=_fmt_score, thai_date=fmt_date, md=md)
    return env


# --------------------------------------------------------------------------- parallel page writing

_FORKED = None   # (Builder, downloads, labels, lang) inherited by forked workers


def _do_task(kind: str, key: str) -> None:
    b, downloads, labels, lang = _FORKED
    if kind == "amphoe":
        b.area_page("amphoe", key, f"a/{key}.html", "../", downloads)
    elif kind == "tambon":
        ctx = b.tambon_context(key, "../")
        b.write("tambon.html.j2", ctx, f"t/{key}.html")
        b.write("tambon.md.j2", ctx, f"md/t/{key}.md")
    elif kind == "lao":
        b.lao_page(key)
    elif kind == "excel":
        from reports import excel as xl
        xl.write_province_workbook(b.an, key, b.out / "excel" / f"report-{key}.xlsx", labels, lang)


def _do_chunk(chunk: list[tuple[str, str]]) -> int:
    for kind, key in chunk:
        _do_task(kind, key)
    return len(chunk)


def _run_tasks(tasks: list[tuple[str, str]], workers: int | None) -> None:
    """Run tasks in `workers` forked processes (round-robin chunks); in-process when 1 or no fork."""
    import multiprocessing
    import os
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(tasks) < 200 or "fork" not in multiprocessing.get_all_start_methods():
        _do_chunk(tasks)
        return
    from concurrent.futures import ProcessPoolExecutor
    # Excel workbooks are the largest tasks: start them first, then spread the rest
    tasks = sorted(tasks, key=lambda t: t[0] != "excel")
    chunks = [tasks[i::workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        done = sum(f.result() for f in [pool.submit(_do_chunk, c) for c in chunks])
    assert done == len(tasks)


# --------------------------------------------------------------------------- entry points

def build_report(store, run_id: int, out_dir, lang: str = "th", *, laos_path=DEFAULT_LAOS,
                 coverage_path=DEFAULT_COVERAGE, officers_path=DEFAULT_OFFICERS, pdf: bool = True,
                 excel: bool = True, year: int | None = None) -> Path:
    """Build every output for `run_id` into out_dir; return the path of index.html."""
    config = load_report_config()
    data = collect(store, run_id, laos_path=laos_path, coverage_path=coverage_path,
                   officers_path=officers_path, config=config, year=year)
    return build_from_data(data, out_dir, lang, config=config, pdf=pdf, excel=excel)


def build_from_data(data: ReportData, out_dir, lang: str = "th", *, config: dict | None = None,
                    pdf: bool = True, excel: bool = True, pdf_limit: int | None = None,
                    lao_pages: bool = True, timings: dict | None = None, workers: int | None = None) -> Path:
    """Build the report from frames. pdf_limit renders only the first N officer PDFs (benchmarks);
    workers: processes for the page/workbook writing (default: CPU count, at most 4)."""
    import time
    if lang not in ("th", "en"):
        raise InputError(f"--lang must be th or en, not {lang!r}")
    config = config or load_report_config()
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    an = Analysis(data, config, lang)
    env = make_env(lang)
    b = Builder(an, out, env)
    timings["aggregate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    shutil.copytree(STATIC, out / "static", dirs_exist_ok=True)
    print_css = (STATIC / "report.css").read_text(encoding="utf-8") + (STATIC / "print.css").read_text(encoding="utf-8")
    labels = load_messages()["labels"]

    def dl(key: str, href: str) -> Crumb:
        return Crumb(labels[key][lang], href)

    downloads = [dl("csv", "data/results.csv"), dl("json", "data/report.json")]
    for p in an.provinces:
        downloads.insert(0, Crumb(f"{labels['excel'][lang]} ({an.name(p)})", f"excel/report-{p}.xlsx"))
    if an.rounds:
        for p in an.provinces:
            downloads.append(Crumb(f"{labels['pdf_progress'][lang]} ({an.name(p)})", f"pdf/progress-{p}.pdf"))
            downloads.append(Crumb(f"{labels['excel'][lang]}: {labels['progress'][lang]} ({an.name(p)})",
                                   f"excel/progress-{p}.xlsx"))

    # pages
    if b.single:
        b.area_page("province", an.provinces[0], "index.html", "", downloads)
    else:
        b.area_page("country", "", "index.html", "", downloads)
        for p in an.provinces:
            b.area_page("province", p, f"p/{p}.html", "../", downloads)
    # the many small pages (and the workbooks) are written by forked workers sharing the analysis
    tasks = [("amphoe", a) for a in sorted(set(an.placement["amphoe_code"]) - {""})]
    tasks += [("tambon", tc) for tc in sorted(set(an.placement["tambon_code"]) - {""})]
    if lao_pages:
        tasks += [("lao", lid) for lid in an.scores["lao_id"]]
    if excel:
        tasks += [("excel", p) for p in an.provinces]
    global _FORKED
    _FORKED = (b, downloads, labels, lang)
    try:
        _run_tasks(tasks, workers)
    finally:
        _FORKED = None
    timings["pages_and_excel"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    b.write("items.html.j2", ItemsPageContext(
        meta=b.meta(labels["top_missing"][lang], "", [Crumb(labels["back_to_top"][lang], "index.html"),
                                                     Crumb(labels["top_missing"][lang], "")]),
        area_name=an.name(an.provinces[0]) if b.single else labels["country"][lang],
        items=b._item_stats(an.item_cov)), "items.html")
    b.write("progress.html.j2", b.progress_context(an.provinces[0] if b.single else None, ""), "progress.html")

    # exports
    from reports import exports
    exports.write_exports(an, out / "data")
    if excel and an.rounds:
        from reports import excel as xl
        for p in an.provinces:
            xl.write_progress_workbook(b.progress_context(p, ""), out / "excel" / f"progress-{p}.xlsx", labels, lang)
    timings["exports"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if pdf:
        from reports import pdf as pdfmod
        jobs = []
        officer_ctxs = b.officer_contexts(print_css)
        if pdf_limit is not None:
            officer_ctxs = officer_ctxs[:pdf_limit]
        tmpl = env.get_template("officer.html.j2")
        for ctx in officer_ctxs:
            jobs.append((tmpl.render(ctx=ctx), out / b.pdf_name(ctx.group_id)))
            b.write("officer.md.j2", ctx, f"md/officer-{Path(b.pdf_name(ctx.group_id)).stem[8:]}.md")
        if an.rounds:
            ptmpl = env.get_template("progress.html.j2")
            for p in an.provinces:
                jobs.append((ptmpl.render(ctx=b.progress_context(p, "", print_css)), out / "pdf" / f"progress-{p}.pdf"))
        pdfmod.render_pdfs(jobs, landscape_for=lambda path: path.name.startswith("progress-"))
        timings["pdf_count"] = len(jobs)
    timings["pdf"] = time.perf_counter() - t0
    return out / "index.html"
