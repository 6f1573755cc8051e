"""The seed documents rendered as PDFs (one and two columns, justified and hyphenated, running
headers, page numbers, page labels) come back as clean passages with the right pages.

The renderings and their ground truth are made by scripts/render_pdfs.py.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from kg.extract import extract
from kg.segment import segment

RENDERINGS = Path(__file__).resolve().parent / "data" / "renderings"
CASES = [
    "000_72bd2051d5980bda-a", "000_72bd2051d5980bda-b", "000_72bd2051d5980bda-c", "000_72bd2051d5980bda-d",
    "002_75ab2c940f341aa8-b", "003_c37945f982ca0d4e-b", "004_73f4a3d735f3d3c3-b", "004_73f4a3d735f3d3c3-c",
]


_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _fold_char(char: str) -> str:
    char = unicodedata.normalize("NFKC", char).lower().translate(_FOLD)
    if char in "-\u2010\u2011\u2012\u2013\u2014":
        return ""
    return " " if char.isspace() else char


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the offset it came from."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for folded in _fold_char(char):
            if folded == " " and (not out or out[-1] == " "):
                continue
            out.append(folded)
            offsets.append(index)
    return "".join(out), offsets


def _fold(text: str) -> str:
    return _folded_with_offsets(text)[0].strip()


@pytest.fixture(scope="module", params=CASES)
def rendering(request):
    stem = request.param
    truth = json.loads((RENDERINGS / f"{stem}.truth.json").read_text(encoding="utf-8"))
    document = extract(RENDERINGS / f"{stem}.pdf")
    passages = segment(document, "r", slides=document.layout == "slides")
    return stem, truth, document, passages


def test_no_running_header_or_footer_in_passages(rendering):
    stem, truth, _, passages = rendering
    furniture = [_fold(t) for t in truth["header_texts"] + truth["footer_texts"] if len(t) > 3]
    for passage in passages:
        folded = _fold(passage.text)
        for text in furniture:
            assert text not in folded, f"{stem}: {text!r} in {passage.passage_id}"


def test_paragraphs_start_on_the_right_page(rendering):
    stem, truth, document, passages = rendering
    folded, offsets = _folded_with_offsets(document.text)
    checked = right = 0
    wrong = []
    for paragraph in truth["lines"]:
        head = _fold(paragraph["text"])[:40]
        if len(head) < 25 or folded.count(head) != 1:
            continue
        checked += 1
        # the page of the character offset where the paragraph starts in the cleaned text
        page = document.page_at(offsets[folded.index(head)])
        if page is not None and page.number == paragraph["page"]:
            right += 1
        else:
            wrong.append((paragraph["page"], page.number if page else None, head))
    assert checked > 10
    assert right / checked >= 0.98, f"{stem}: {right}/{checked} paragraphs on the right page; wrong: {wrong[:5]}"


def test_printed_page_labels_are_read(rendering):
    stem, truth, document, _ = rendering
    labels = [p.label for p in document.pages]
    expected = truth["page_labels"]
    if not expected:
        pytest.skip("no printed page numbers in this layout")
    matches = sum(1 for got, want in zip(labels, expected) if got == str(want))
    assert matches >= 0.8 * len(expected), f"{stem}: labels {labels} vs {expected}"
