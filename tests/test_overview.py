"""The province overview (index.html) built from real summaries of two municipalities of
the test region: a subset export keeps the other rows, the totals row is the sum of the
rows, failed and mistyped municipalities stay out of the table, every text is escaped,
and in headless Chromium (every non-file request blocked) the page has no console errors,
sorts, draws the province map and leads from a municipality to its map."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser

import pytest

from bereikbaar.config import slugify
from bereikbaar.overview import STATE_FILE, load_overview_rows, update_overview
from bereikbaar.pipeline import open_study_area, run_dorpshub, run_hartveilig

from .test_maps import CHROMIUM_ARGS, browser, screenshot  # noqa: F401 - browser is a fixture

NAMES = ("Aa en Hunze", "Assen")


@pytest.fixture(scope="module")
def study(cfg):
    area = open_study_area(cfg)
    summaries = {
        n: (run_hartveilig(n, cfg, area=area).summary, run_dorpshub(n, cfg, area=area).summary)
        for n in NAMES
    }
    return cfg, area.municipalities, summaries


def _row(name, hv, dh, *, status="ok", error=""):
    return {"gemeente": name, "slug": slugify(name), "status": status, "error": error,
            "hartveilig": hv, "dorpshub": dh,
            "outputs": ["hartveilig.html", "dorpshub.html", "tabellen.xlsx"]}  # fmt: skip


def _write(out, study, rows, **kw):
    cfg, municipalities, _ = study
    for r in rows:
        folder = out / r["slug"]
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("hartveilig.html", "dorpshub.html", "tabellen.xlsx"):
            (folder / name).write_text(f"<!doctype html><title>{r['gemeente']}</title>")
    return update_overview(out, rows, title="Bereikbaarheid Drenthe",
                           moments=cfg.hartveilig.moments, municipalities=municipalities, **kw)  # fmt: skip


class _Rows(HTMLParser):
    """The cells' attributes of the table's body and foot rows."""

    def __init__(self):
        super().__init__()
        self.part, self.body, self.foot = None, [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("tbody", "tfoot"):
            self.part = tag
        elif tag == "tr" and self.part:
            (self.body if self.part == "tbody" else self.foot).append([])
        elif tag in ("td", "th") and self.part:
            (self.body if self.part == "tbody" else self.foot)[-1].append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in ("tbody", "tfoot"):
            self.part = None


def _parse(path):
    p = _Rows()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_subset_export_keeps_the_other_rows(study, tmp_path):
    _, municipalities, summaries = study
    (hv_a, dh_a), (hv_b, dh_b) = summaries[NAMES[0]], summaries[NAMES[1]]
    _write(tmp_path, study, [_row(NAMES[0], hv_a, dh_a), _row(NAMES[1], hv_b, dh_b)])
    changed = copy.deepcopy(hv_b)
    changed["residents"] = hv_b["residents"] + 1000
    page = _write(tmp_path, study, [_row(NAMES[1], changed, None, status="ok")])
    stored = load_overview_rows(tmp_path)
    by_name = {r["gemeente"]: r for r in stored.values()}
    assert set(by_name) == set(NAMES)
    assert by_name[NAMES[0]]["hartveilig"]["residents"] == hv_a["residents"]
    assert by_name[NAMES[1]]["hartveilig"]["residents"] == changed["residents"]
    assert by_name[NAMES[1]]["dorpshub"] == json.loads(json.dumps(dh_b))  # kept, not None
    codes = dict(zip(municipalities["statnaam"], municipalities["statcode"], strict=True))
    assert set(stored) == {codes[n] for n in NAMES}
    text = page.read_text(encoding="utf-8")
    assert text.count("<tr data-statcode=") == 2
    for n in NAMES:
        assert f"href='{slugify(n)}/hartveilig.html'" in text
        assert f"href='{slugify(n)}/tabellen.xlsx'" in text


def test_totals_equal_the_sum_of_the_rows(study, tmp_path):
    cfg, _, summaries = study
    page = _write(tmp_path, study, [_row(n, *summaries[n]) for n in NAMES])
    rows = _parse(page)
    assert len(rows.body) == 2 and len(rows.foot) == 1
    foot = rows.foot[0]
    residents = [float(r[1]["data-value"]) for r in rows.body]
    assert float(foot[1]["data-value"]) == pytest.approx(sum(residents))
    assert sum(residents) == pytest.approx(sum(summaries[n][0]["residents"] for n in NAMES))
    for k, m in enumerate(cfg.hartveilig.moments, start=2):
        covered = sum(float(r[k]["data-covered"]) for r in rows.body)
        want = sum(summaries[n][0]["moments"][m.name]["residents_covered"] for n in NAMES)
        assert covered == pytest.approx(want)
        assert float(foot[k]["data-covered"]) == pytest.approx(covered)
        assert float(foot[k]["data-value"]) == pytest.approx(covered / sum(residents))
    k = 2 + len(cfg.hartveilig.moments)
    spots = [max(s["residents"] for s in summaries[n][0]["white_spots"].values()) for n in NAMES]
    assert [float(r[k]["data-value"]) for r in rows.body] == pytest.approx(spots)
    assert float(foot[k]["data-value"]) == pytest.approx(sum(spots))


def test_failed_and_mistyped_municipalities(study, tmp_path):
    _, _, summaries = study
    rows = [
        _row(NAMES[0], *summaries[NAMES[0]]),
        _row("Coevorden", None, None, status="failed", error="InputError: <script>x</script>"),
        _row("Asen", None, None, status="failed", error="InputError: unknown municipality"),
    ]
    text = _write(tmp_path, study, rows).read_text(encoding="utf-8")
    stored = {r["gemeente"]: r for r in load_overview_rows(tmp_path).values()}
    assert set(stored) == {NAMES[0], "Coevorden"}  # a mistyped name is never a row
    assert text.count("<tr data-statcode=") == 1
    failed = text.split("<h2 id='mislukt'>", 1)[1]
    assert "Coevorden" in failed and "&lt;script&gt;x&lt;/script&gt;" in failed
    assert "Asen" in failed and "controleer de naam" in failed
    assert "<script>x" not in text
    # the next export without them: the mistyped name is gone, the failure is remembered
    text = _write(tmp_path, study, [_row(NAMES[0], *summaries[NAMES[0]])]).read_text()
    assert "Asen" not in text and "Coevorden" in text.split("<h2 id='mislukt'>", 1)[1]


def test_no_osm_ids_and_safe_json(study, tmp_path):
    _, _, summaries = study
    hv, dh = summaries[NAMES[0]]
    dh = copy.deepcopy(dh)
    dh["worst_villages"][0]["village"] = "Middendorp (osm:n206946)"
    text = _write(tmp_path, study, [_row(NAMES[0], hv, dh)]).read_text(encoding="utf-8")
    assert "Middendorp (" in text and "osm:n" not in text
    data = text.split('id="bb-data">', 1)[1].split("</script>", 1)[0]
    assert "</" not in data
    assert json.loads(data.replace("<\\/", "</"))["palette"]["unknown"]
    assert not list(tmp_path.glob(".bereikbaar-tmp-*"))
    assert (tmp_path / STATE_FILE).is_file()


@pytest.mark.browser
def test_overview_in_chromium(study, tmp_path, browser):  # noqa: F811
    _, municipalities, summaries = study
    page_path = _write(tmp_path, study, [_row(n, *summaries[n]) for n in NAMES])
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    problems, blocked = [], []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        paths = page.locator("#province path.muni")
        assert paths.count() == len(municipalities)
        box = page.locator("#province").bounding_box()
        assert box["width"] > 200 and box["height"] > 200
        fills = page.evaluate("Array.from(document.querySelectorAll('#province path.muni'))"
                              ".map(p => getComputedStyle(p).fill)")  # fmt: skip
        assert len(set(fills)) >= 2  # coloured municipalities and grey ones
        page.select_option("#colour-by", "fpv")
        assert "4 of meer" in page.locator("#map-legend").inner_text()
        assert page.locator("#chart circle.dot").count() == 2 * len(
            summaries[NAMES[0]][0]["moments"]
        )
        screenshot(page, "overview.png")
        names = "Array.from(document.querySelectorAll('#overview tbody tr')).map(r => r.cells[0].textContent)"
        residents = {n: summaries[n][0]["residents"] for n in NAMES}
        page.locator("#overview thead th", has_text="Inwoners").first.click()
        assert page.evaluate(names) == sorted(NAMES, key=residents.get)
        page.locator("#overview thead th", has_text="Inwoners").first.click()
        assert page.evaluate(names) == sorted(NAMES, key=residents.get, reverse=True)
        code = municipalities.loc[municipalities["statnaam"] == "Assen", "statcode"].iloc[0]
        with page.expect_navigation():
            page.locator(f"#province path[data-statcode='{code}']").click()
        assert page.url.endswith("/assen/hartveilig.html")
        assert problems == [] and blocked == []
    finally:
        page.close()
