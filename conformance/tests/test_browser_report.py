"""The `dab report conformance` HTML file in a real Chromium: its tables fit their places at a laptop's width."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every table of the Breakdowns grid against its cell and its neighbours (rectangles in CSS pixels).
LAYOUT = """() => {
  const heading = [...document.querySelectorAll("h2")].find((h) => h.textContent === "Breakdowns");
  const cells = [...heading.nextElementSibling.children];
  const boxes = cells.map((cell) => ({
    cell: cell.getBoundingClientRect(),
    table: cell.querySelector("table").getBoundingClientRect(),
    name: cell.querySelector("h3").textContent,
  }));
  const problems = [];
  boxes.forEach((b, i) => {
    const past = b.table.right - b.cell.right;
    if (past > 0.5) problems.push(`${b.name}: table ends ${past}px past its cell`);
    boxes.slice(i + 1).forEach((o) => {
      const [p, q] = [b.table, o.table];
      const apart = p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top;
      if (!apart) problems.push(`${b.name} overlaps ${o.name}`);
    });
  });
  const root = document.documentElement;
  return {count: boxes.length, problems, scroll: root.scrollWidth - root.clientWidth};
}"""


@pytest.mark.parametrize("width", [1400, 1024, 390])
def test_report_breakdown_tables_do_not_overlap(sample_project, browser, tmp_path, width):
    from conformance.report import report_render

    path = tmp_path / "report.html"
    path.write_text(report_render())
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    layout = page.evaluate(LAYOUT)
    context.close()
    assert layout["count"] >= 3
    assert layout["problems"] == []
    if width >= 1024:  # on a phone the wide "Fix first" table may scroll; the breakdowns must still fit
        assert layout["scroll"] <= 0, "the page scrolls sideways"
