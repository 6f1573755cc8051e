"""Property tests (hypothesis): the cleaner, the segmenter, the sentence splitter, the quote finder
and the extractors never raise on any input, and what they return still indexes the text.

Inputs: arbitrary Unicode (control characters, lone surrogates, bidi controls and all), very long
tokens, runs of quotation marks and hyphens, arbitrary bytes named .txt/.md, and PDFs with bytes
flipped. (The citation parser in kg/citations/ has its own property test beside it.)
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.extract import ExtractedDocument, ExtractionError, extract
from kg.extract.clean import clean
from kg.extract.model import RawLine
from kg.quotes import ROLE_NAMES, find_quotes
from kg.segment import segment
from kg.sentences import sentence_spans

ROOT = Path(__file__).resolve().parent.parent
SIMPLE_PDF = (ROOT / "tests" / "data" / "pdf-samples" / "simple1.pdf").read_bytes()
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# every code point, surrogates included (hypothesis leaves them out unless asked)
any_char = st.characters(exclude_categories=())
awkward_char = st.sampled_from(list("\x00\x07\x0b\x0c\x1b\x7f\x85\x9b\u00ad\u200b\u202e\u2066\u2028\ufeff\ufffd\ud800\uffff"
                                    "-\u2010\u2013\u2014.?!:;\"'‘’“”«»„()[]{}<>*_#•\uf0b7 \t\n"))
long_token = st.builds(lambda c, n: c * n, st.sampled_from(["a", "-", "“", "’", ".", "x-", "\u200b", "é"]),
                       st.integers(min_value=200, max_value=5000))
word = st.sampled_from(["The", "mother", "said", "practitioner", "explained:", "co-", "configuration", "Edwards",
                        "(2009)", "p. 62", "e.g.", "1.", "•", "Figure 2.", "REFERENCES", "“", "”", "‘", "’", "\"", "'"])
line = st.one_of(
    st.text(any_char, max_size=200),
    st.text(awkward_char, max_size=200),
    long_token,
    st.lists(word, max_size=40).map(" ".join),
)
lines = st.lists(line, max_size=30)


def _raw(texts: list[str]) -> list[RawLine]:
    return [RawLine(text, page=(i // 6) + 1, gap_before=i % 3) for i, text in enumerate(texts)]


@FAST
@given(lines, st.booleans())
def test_clean_takes_anything(texts, slides):
    blocks, pages, _ = clean(_raw(texts), slides=slides)
    text = "\n\n".join(b.text for b in blocks)
    for block in blocks:
        assert text[block.start:block.end] == block.text
        assert not UNSAFE.search(block.text)
    text.encode("utf-8")      # always writable as UTF-8: no lone surrogates survive


@FAST
@given(lines, st.booleans(), st.integers(1, 80), st.integers(1, 400), st.integers(20, 3000))
def test_segment_takes_anything(texts, slides, min_words, max_words, max_chars):
    blocks, pages, _ = clean(_raw(texts), slides=slides)
    document = ExtractedDocument(path="x.txt", format="txt", text="\n\n".join(b.text for b in blocks),
                                 blocks=blocks, pages=pages)
    passages = segment(document, "x", min_words=min_words, max_words=max(min_words, max_words),
                       max_chars=max_chars, slides=slides)
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    for passage in passages:
        assert document.text[passage.start:passage.end] == passage.text
        assert len(passage.text) <= max_chars


@FAST
@given(st.one_of(st.text(any_char, max_size=2000), st.text(awkward_char, max_size=2000),
                 st.lists(st.one_of(word, long_token), max_size=60).map(" ".join)))
def test_sentences_take_anything(text):
    previous = 0
    for start, end in sentence_spans(text):
        assert previous <= start <= end <= len(text)
        previous = end


quote_text = st.one_of(
    st.text(any_char, max_size=1500),
    st.text(awkward_char, max_size=1500),
    st.text(st.sampled_from(list("“”‘’\"'«»„ \n.:")), max_size=3000),     # nothing but quotation marks
    st.lists(st.one_of(word, long_token, st.text(awkward_char, max_size=20)), max_size=120).map(" ".join),
)


@FAST
@given(quote_text, st.booleans())
@example(":'0 0 0\u2028\ud800'", False)      # a lone surrogate in a quotation once broke its id
def test_quote_finder_takes_anything(text, slides):
    for quote in find_quotes(text, "s", slides=slides):
        assert text[quote.start:quote.end] == quote.text
        assert quote.kind in ("participant", "literature")
        assert quote.speaker_role is None or quote.speaker_role in ROLE_NAMES


def _extract_bytes(data: bytes, suffix: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            document = extract(path, max_pages=20, max_bytes=1_000_000)
        except ExtractionError as error:
            assert error.reason and "fuzz" in error.message
            return None
    assert not UNSAFE.search(document.text)
    document.text.encode("utf-8")
    return document


@FAST
@given(st.one_of(st.binary(max_size=4000), st.text(any_char, max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
                 st.text(awkward_char, max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass"))),
       st.sampled_from([".txt", ".md"]))
def test_text_extraction_takes_any_bytes(data, suffix):
    _extract_bytes(data, suffix)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SIMPLE_PDF) - 1), st.integers(0, 255)), min_size=1, max_size=12),
       st.integers(0, len(SIMPLE_PDF)))
def test_pdf_extraction_takes_damaged_pdfs(flips, cut):
    """simple1.pdf with bytes overwritten and its tail cut: read, or refused with a reason."""
    data = bytearray(SIMPLE_PDF)
    for offset, value in flips:
        data[offset] = value
    _extract_bytes(bytes(data[:max(cut, 16)]), ".pdf")


citation_text = st.one_of(
    st.text(any_char, max_size=1500),
    st.text(awkward_char, max_size=1500),
    st.lists(st.one_of(word, long_token, st.sampled_from(["(", ")", "Edwards, A. (2009)", "et al.", "&", "2001a,", "b)",
                                                         "References", "\n\n", "[1]", "ibid.", "(in press)", "doi:10.1/x"])),
             max_size=150).map(" ".join),
)


@FAST
@given(citation_text)
def test_citation_parser_takes_anything(text):
    """kg/citations (tests/test_citations.py has its own property test): any text, whole document."""
    from kg.citations import analyse_document

    analysis = analyse_document(text)
    assert isinstance(analysis, dict)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
@example("C:\\plans {draft} 100% & #1 $5 a_b")
def test_bibtex_values_read_back_as_one_field(text):
    """Whatever a title holds, its escaped value is one well-formed BibTeX field: braces balanced,
    and a BibTeX parser reads the entry back whole."""
    import bibtexparser

    from kg.bibtex import escape, field

    value = escape(text)
    depth = 0
    for previous, char in zip(" " + value, value):
        if previous != "\\":
            depth += (char == "{") - (char == "}")
            assert depth >= 0
    assert depth == 0
    library = bibtexparser.parse_string("@misc{key,\n" + field("title", text) + "\n}\n")
    assert not library.failed_blocks and len(library.entries) == 1


def _osa_reference(a: str, b: str) -> int:
    """Optimal string alignment distance, written out: insert, delete, substitute, swap neighbours."""
    rows = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


@given(st.text(alphabet="abcde’'-", max_size=12), st.text(alphabet="abcde’'-", max_size=12), st.integers(0, 4))
def test_the_concept_finders_and_the_spellers_edit_distance_is_optimal_string_alignment(a, b, limit):
    from kg.index.search import _typo_distance
    from kg.labels import distance

    exact = _osa_reference(a, b)
    assert _typo_distance(a, b) == exact
    assert distance(a, b, limit) == (exact if exact <= limit else limit + 1)
