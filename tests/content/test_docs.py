"""Every SPL example in README.md, docs/*.md and the package's README is well formed and names only what the
app (or Splunk) defines, so a reader who pastes one gets a search that runs.

The convention the pages follow: a fenced block of SPL is marked ```spl, and holds one search or several
separated by blank lines; every fenced block names its language, so an SPL example cannot hide in an
unmarked one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import spl

PAGES = [
    spl.ROOT / "README.md",
    *sorted((spl.ROOT / "docs").glob("*.md")),
    spl.ROOT / "packaging" / "README.md",
]
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
EVENTTYPES = spl.conf("eventtypes.conf")
SAVED = spl.conf("savedsearches.conf")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, indented ones (in a list item) dedented."""
    blocks = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "\n".join(line[indent:] for line in match["body"].splitlines())
        blocks.append((match["lang"].strip(), body))
    return blocks


def searches(body: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n[ \t]*\n", body) if part.strip()]


def _examples() -> list[tuple[str, str]]:
    examples = []
    for page in PAGES:
        blocks = fenced_blocks(page.read_text(encoding="utf-8"))
        texts = [text for lang, body in blocks if lang == "spl" for text in searches(body)]
        examples += [(f"{page.relative_to(spl.ROOT)} #{n}", text) for n, text in enumerate(texts, 1)]
    return examples


EXAMPLES = _examples()


def test_the_readme_and_the_docs_have_spl_examples():
    pages = {label.split()[0] for label, _ in EXAMPLES}
    assert "README.md" in pages
    assert any(page.startswith("docs/") for page in pages)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(spl.ROOT)))
def test_every_fenced_block_names_its_language(page: Path):
    blocks = fenced_blocks(page.read_text(encoding="utf-8"))
    unmarked = [body[:60] for lang, body in blocks if not lang]
    assert unmarked == [], "mark each block ```spl, ```sh, ```text, ```ini …"


@pytest.mark.parametrize(("label", "text"), EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_spl_example_is_well_formed(label, text):
    assert spl.scan(text).problems == []


@pytest.mark.parametrize(("label", "text"), EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_spl_example_names_only_defined_things(label, text):
    scanned = spl.scan(text)
    assert set(scanned.macros) <= spl.defined_macros(), "undefined macro"
    assert set(scanned.commands) <= spl.defined_commands(), "unknown command"
    assert set(scanned.lookups) <= spl.defined_lookups(), "undefined lookup"
    assert set(scanned.eventtypes) <= set(EVENTTYPES), "undefined eventtype"
    assert set(scanned.saved_searches) <= set(SAVED), "undefined saved search"


@pytest.mark.parametrize(("label", "text"), EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_spl_examples_of_the_add_on_data_go_through_the_index_macro(label, text):
    if "mimecast:awareness:" in text:
        assert "`mimecast_awareness_index`" in text


@pytest.mark.parametrize(
    ("page", "found"),
    [
        ("```spl\na | b\n\nc\n```\n\n  ```spl\n  | d\n  ```\n", [("spl", "a | b\n\nc"), ("spl", "| d")]),
        ("```\nplain\n```\n```sh\nmake\n```\n", [("", "plain"), ("sh", "make")]),
    ],
)
def test_the_reader_finds_blocks_in_lists_and_unmarked_ones(page, found):
    assert fenced_blocks(page) == found
    assert searches("a | b\n\nc") == ["a | b", "c"]


def test_the_checks_catch_a_broken_example():
    scanned = spl.scan('`mimecast_awareness_index` | mimecastrisk field="user | stats count by nosuch')
    assert scanned.problems == ["unbalanced double quote"]
    assert "notacommand" in spl.scan("index=x | notacommand").commands
    assert not {"nosuch_macro"} <= spl.defined_macros()


LINK = re.compile(r"\]\((?!https?://|#)([^)#\s]+)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(spl.ROOT)))
def test_every_link_to_a_file_of_the_project_reaches_it(page: Path):
    """README.md links docs pages that other changes write (containment, ES, SOAR, performance): a page
    that is linked and missing is a hole a newcomer falls into."""
    missing = [
        link for link in LINK.findall(page.read_text(encoding="utf-8")) if not (page.parent / link).exists()
    ]
    assert missing == []
