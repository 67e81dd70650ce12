"""``--format markdown`` cannot be escaped from (issue 19 item 3), checked by rendering it with
a real GitHub-flavoured Markdown renderer (cmark-gfm, with its table, autolink and
tag-filter extensions) on hostile file names, labels, values and messages: the only links are
our rule pages, no tag from the input reaches the page, no code span is closed early, nothing
is auto-linked, and no `@name` or `#12` is left for GitHub to turn into a mention or a
reference."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from .conftest import run_cli

cmarkgfm = pytest.importorskip("cmarkgfm")
from cmarkgfm.cmark import Options  # noqa: E402

# Each hostile word, as the input holds it. None contains a blank: they also stand as
# member labels in a capture's member table, whose cells are single words.
HOSTILE = ["<img/src=x/onerror=alert(1)>", "[x](https://evil.example/a)", "www.evil.example",
           "https://evil.example/b", "ftp://evil.example", "mailto:a@evil.example",
           "ops@evil.example", "@octocat", "#12", "<script>alert(1)</script>",
           "``<b>bold</b>``", "`", "x|y", "&lt;i&gt;", "**strong**", "![i](https://evil.example/i)"]
WORD = "".join(HOSTILE[:4])
FOLDER = "``` <b>f</b> www.evil.example @octocat ops@evil.example #7 ```"


def _project(root: Path) -> Path:
    site = root / FOLDER
    site.mkdir(parents=True)
    (root / ".git").mkdir()
    label = "g" + "".join(HOSTILE)
    (site / "Chrystoki.conf").write_text(
        "VirtualToken = {\n"
        f"   VirtualToken00Label = {label.replace(';', '')};\n"
        "   VirtualToken00Members = 1541299900001, 1541299900002;\n}\n"
        f"Misc = {{\n   {WORD.replace('=', '')}Key = www.evil.example @octocat;\n}}\n"
        "HAConfiguration = {\n\tHAOnly = 1;\n}\n", encoding="utf-8")
    rows = "".join(f"     -    15412888000{i:02d}    {word}     down\n"
                   for i, word in enumerate(HOSTILE) if " " not in word)
    (site / "members.lunacm.txt").write_text(
        "lunacm:>hagroup listgroups\n\n"
        f"         HA Group Label:  {' '.join(HOSTILE)}\n"
        "        HA Group Number:  11541288800001\n"
        "          Group Members:  1541288800001, 1541288800002\n\n"
        "Slot #    Member S/N                      Member Label    Status\n"
        "======    ==========                      ============    ======\n"
        f"{rows}\nCommand Result : No Error\n", encoding="utf-8")
    return root


def _render(markdown: str) -> str:
    # UNSAFE: raw HTML passes through, so any tag the input smuggled in would show up as a tag
    # (GitHub would sanitise some of them; we want none to get that far).
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = _project(tmp_path_factory.mktemp("md"))
    proc = run_cli("--format", "markdown", "--select", "ALL", "--fail-on", "never", ".",
                   cwd=root)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    report = run_cli("--format", "json", "--select", "ALL", "--fail-on", "never", ".", cwd=root)
    findings = json.loads(report.stdout)["findings"]
    assert any(FOLDER in f["path"] for f in findings)
    uris = {f["help_uri"] for f in findings if f.get("help_uri")}
    return proc.stdout, _render(proc.stdout), uris


def test_only_our_rule_pages_are_links(rendered):
    markdown, page, uris = rendered
    hrefs = re.findall(r"<a\b[^>]*>", page)
    assert hrefs, "the rule ids link to their pages"
    for tag in hrefs:
        href = re.fullmatch(r'<a href="([^"]*)">', tag)
        assert href and html.unescape(href.group(1)) in uris, tag
    assert "evil.example" not in " ".join(hrefs) and "mailto" not in " ".join(hrefs)


def test_no_tag_from_the_input(rendered):
    _, page, _ = rendered
    ours = {"p", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "code", "strong",
            "a", "br", "sub"}
    tags = set(re.findall(r"</?([A-Za-z][\w-]*)", page))
    assert tags <= ours, tags - ours
    assert "<img" not in page and "<script" not in page and "<b>" not in page
    assert "<em>" not in page and "<i>" not in page


def test_code_spans_hold_the_whole_value(rendered):
    markdown, page, _ = rendered
    codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", page, re.S)]
    # The folder name (with its backtick runs) is inside one code span, whole.
    assert any(f"{FOLDER}/Chrystoki.conf:" in c for c in codes), codes[:5]
    # The group label of the capture, backtick runs and all, is one code span too.
    assert " ".join(HOSTILE) in codes
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == line.count("|") - line.count("\\|") + 1


def test_nothing_left_to_become_a_link_mention_or_reference(rendered):
    _, page, _ = rendered
    text = re.sub(r"<code>.*?</code>", "", page, flags=re.S)  # code is never linked
    text = re.sub(r"<[^>]+>", " ", text)
    words = html.unescape(text)
    # GitHub's own filters, on text nodes: `@name` mentions, `#12` references.
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", words), words
    assert not re.search(r"(?<![\w&])#[0-9]", words), words
    assert "www.evil.example" in words.replace("\u200b", "")  # shown, as text
