"""dbt descriptions are Markdown written by anyone with repository access: render them, never trust them.

Pure tests (no database): run with ``pytest -p no:django`` too.
"""

from catalog.templatetags.catalog_tags import markdown_filter, percent, render_markdown


def test_markdown_renders_commonmark_with_tables():
    html = render_markdown("Orders **placed** online.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two")
    assert "<strong>placed</strong>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<li>one</li>" in html


def test_script_elements_are_removed_with_their_content():
    html = render_markdown("Notes <script>alert('notes')</script> end")
    assert "<script" not in html.lower()
    assert "alert" not in html


def test_event_handler_attributes_are_stripped_but_harmless_markup_stays():
    html = render_markdown('<b onmouseover="alert(1)">Never render this field unescaped.</b>')
    assert html.strip() == "<p><b>Never render this field unescaped.</b></p>"


def test_javascript_and_data_links_lose_their_target():
    html = render_markdown(
        '[a](javascript:alert(1)) <a href="javascript:alert(2)">b</a> <a href="data:text/html,x">c</a>'
    )
    assert "href" not in html  # markdown-it refuses the first (it stays text); nh3 drops the others' href


def test_links_get_noopener_noreferrer():
    html = render_markdown("See [the docs](https://docs.getdbt.com/) or <a href='https://x.example' rel='opener'>x</a>")
    assert html.count('rel="noopener noreferrer"') == 2
    assert 'rel="opener"' not in html


def test_iframes_styles_and_forms_are_dropped():
    html = render_markdown(
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>'
        '<form action="/x"><input name="q"></form><p style="position:fixed">text</p>'
    )
    for marker in ("<iframe", "<style", "display:none", "<form", "<input", "style="):
        assert marker not in html
    assert "text" in html


def test_empty_description_renders_nothing():
    assert markdown_filter(None) == ""
    assert markdown_filter("") == ""


def test_percent_formats_ratios():
    assert percent(0.456) == "46%"
    assert percent(None) == "—"
    assert percent(1.0) == "100%"


def test_markdown_images_are_not_loaded_but_linked():
    html = render_markdown("Logo: ![Acme *logo*](https://tracker.example/pixel.png?u=1)")
    assert "<img" not in html
    assert '<a href="https://tracker.example/pixel.png?u=1"' in html
    assert "[image: Acme logo]" in html


def test_html_images_in_descriptions_are_dropped():
    html = render_markdown('See <img src="https://tracker.example/p.gif" alt="x"> and <img src=//cdn.example/a.png>')
    assert "<img" not in html.lower()
    assert "tracker.example" not in html and "cdn.example" not in html


def test_image_links_keep_the_scheme_rules():
    html = render_markdown("![x](javascript:alert(1)) ![y](data:image/png;base64,AAAA)")
    assert "href=\"javascript" not in html and "href=\"data" not in html
    assert "<img" not in html
