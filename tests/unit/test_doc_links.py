"""Every relative link in the repository's Markdown resolves: the file exists and, where a ``#anchor`` is
given, a heading of that file produces it as GitHub does.

The README links into docs/ pages and they link into each other, so a renamed page or heading breaks
links silently; this finds them. Links inside code (fenced blocks, inline spans) are not links, and
absolute URLs are not checked (no network in unit tests).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# Hidden folders (.git, .venv, .state, caches) and installed packages hold Markdown that is not ours.
SKIPPED_DIRS = {"node_modules", "dist", "test-artifacts"}

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) or [text](target "title"); an image ![alt](src) is a link to a file too.
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found += [Path(folder) / name for name in sorted(files) if name.endswith(".md")]
    return found


def _split_code(text: str) -> tuple[list[tuple[int, str]], int | None]:
    """Number and text of each line outside fenced code blocks, and the line of a fence never closed."""
    prose, fence, opened_at = [], "", None
    for number, line in enumerate(text.splitlines(), start=1):
        marker = FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence, opened_at = "", None
        elif marker:
            fence, opened_at = marker.group(1), number
        else:
            prose.append((number, line))
    return prose, opened_at


def _prose_lines(text: str) -> list[tuple[int, str]]:
    return _split_code(text)[0]


def github_slug(heading: str) -> str:
    """The id GitHub gives a heading: rendered text, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link renders as its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a file offers: heading slugs (repeats get -1, -2, ... as on GitHub) and HTML anchors."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for _, line in _prose_lines(text):
        found.update(HTML_ANCHOR.findall(line))
        heading = ATX_HEADING.match(line)
        if not heading:
            continue
        slug = github_slug(heading.group(2).strip())
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(path: Path) -> Iterator[tuple[int, str]]:
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        line = INLINE_CODE.sub("", line)
        for target in INLINE_LINK.findall(line):
            yield number, target
        definition = REFERENCE_DEF.match(line)
        if definition:
            yield number, definition.group(1)


def broken_links(path: Path, root: Path) -> list[str]:
    """``file:line: target: reason`` for each relative link of ``path`` that does not resolve."""
    problems = []
    unclosed = _split_code(path.read_text(encoding="utf-8"))[1]
    if unclosed is not None:  # the rest of the file would be code, its links unchecked
        problems.append(f"{path.relative_to(root)}:{unclosed}: a code block opened here is never closed")
    for number, target in links(path):
        if SCHEME.match(target) or target.startswith("//"):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        where = f"{path.relative_to(root)}:{number}: {target}"
        if not resolved.exists():
            problems.append(f"{where}: no such file")
        elif not resolved.is_relative_to(root):
            problems.append(f"{where}: points outside the repository")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            problems.append(f"{where}: no heading makes the anchor #{anchor}")
    return problems


def test_the_repository_has_the_documents_this_checks() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in markdown_files(ROOT)}

    assert {"README.md", "ARCHITECTURE.md", "docs/ingestion.md", "docs/deploy.md"} <= names


def test_every_relative_link_in_the_markdown_resolves() -> None:
    problems = [problem for path in markdown_files(ROOT) for problem in broken_links(path, ROOT)]

    assert problems == [], "broken links:\n" + "\n".join(problems)


def test_a_missing_file_a_missing_anchor_and_a_link_outside_are_each_reported(tmp_path: Path) -> None:
    # Given a repository with a page whose links are fine, and a README whose links are broken in every way
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "page.md").write_text(
        "# A page\n\n## Fault injection (`make chaos`)\n\n## Repeat\n\n## Repeat\n", encoding="utf-8"
    )
    (root / "README.md").write_text(
        "See [it](docs/page.md#fault-injection-make-chaos), [again](docs/page.md#repeat-1), [web](https://x.example),\n"
        "[gone](docs/nothing.md), [no anchor](docs/page.md#fault-injection), [up](../outside.md#x).\n"
        "```\n[in code](docs/nothing.md)\n```\n`[inline](docs/nothing.md)` and [self](#nowhere).\n",
        encoding="utf-8",
    )
    (tmp_path / "outside.md").write_text("# x\n", encoding="utf-8")

    # When the links are checked
    problems = broken_links(root / "README.md", root)

    # Then each broken one is reported, with its line, and nothing else
    assert problems == [
        "README.md:2: docs/nothing.md: no such file",
        "README.md:2: docs/page.md#fault-injection: no heading makes the anchor #fault-injection",
        "README.md:2: ../outside.md#x: points outside the repository",
        "README.md:6: #nowhere: no heading makes the anchor #nowhere",
    ]


def test_a_code_block_left_open_is_reported(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Title\n\n```bash\nmake up\n\n[gone](nothing.md)\n", encoding="utf-8")

    assert broken_links(tmp_path / "README.md", tmp_path) == ["README.md:3: a code block opened here is never closed"]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Aggregation: from Kafka to counts", "aggregation-from-kafka-to-counts"),
        ("10. Schema (entities and keys, #2)", "10-schema-entities-and-keys-2"),
        ("`customersignal status`", "customersignal-status"),
        ("The first wall: every raw event is a Postgres row", "the-first-wall-every-raw-event-is-a-postgres-row"),
        ("Tests on a busy machine", "tests-on-a-busy-machine"),
        ("Read [the guide](docs/x.md) — now", "read-the-guide--now"),
    ],
)
def test_headings_slug_as_on_github(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def _first_code_block_after(text: str, heading: str) -> str:
    after = text[text.index(heading) :] if heading else text
    opening = after.index("```\n") + len("```\n")
    return after[opening : after.index("\n```", opening)]


def test_the_readme_shows_the_architecture_picture_as_architecture_md_draws_it() -> None:
    # The README repeats the one-page picture so a newcomer sees it first; it must not drift from the source.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    architecture = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")

    picture = _first_code_block_after(architecture, "## 2. System overview")

    assert "events_raw" in picture
    assert _first_code_block_after(readme, "") == picture
