"""Small things a steward sees in the browser: styled buttons, labels that fit their boxes."""

from __future__ import annotations

import pytest
from django.db.models.functions import Length
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUTTON_LOOK = """(el) => { const s = getComputedStyle(el);
  return [s.paddingLeft, s.paddingTop, s.borderTopLeftRadius, s.fontWeight, s.borderTopStyle].join(" "); }"""


def test_reject_button_is_styled_like_the_confirm_button(sample_project, logged_in_page):
    from catalog.models import Column

    column = Column.objects.filter(pii_type__isnull=False).order_by("urn").first()
    page = logged_in_page
    page.goto(column.get_absolute_url())
    confirm, reject = page.get_by_test_id("pii-confirm"), page.get_by_test_id("pii-reject")
    assert reject.evaluate(BUTTON_LOOK) == confirm.evaluate(BUTTON_LOOK)
    assert reject.evaluate("(el) => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"


def test_pii_trace_labels_stay_inside_their_boxes(sample_project, logged_in_page):
    from catalog.models import Column

    # The PII column with the longest capsule and column names: the hardest labels to fit.
    column = (
        Column.objects.filter(pii_type__isnull=False)
        .annotate(size=Length("capsule__name") + Length("name"))
        .order_by("-size", "urn")
        .first()
    )
    page = logged_in_page
    page.goto(reverse("pii:trace", kwargs={"urn": column.urn}))
    spills = page.evaluate(
        """() => {
      const out = [];
      document.querySelectorAll(".flow-node").forEach((node) => {
        const box = node.querySelector("rect").getBBox();
        node.querySelectorAll("text").forEach((text) => {
          const b = text.getBBox();
          const over = b.x + b.width - (box.x + box.width - 4);
          if (over > 0) out.push(`${text.textContent} spills ${over} px`);
        });
      });
      document.querySelectorAll(".flow-edge text").forEach((text) => {
        const width = text.getBBox().width;
        if (width > 90) out.push(`edge label ${text.textContent} is ${width} px`);
      });
      return out;
    }"""
    )
    assert page.locator(".flow-node").count() > 1
    assert spills == []
