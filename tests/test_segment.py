"""Passages: sized for the model, whole sentences and quotations, stable ids, true offsets."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from kg.extract import extract
from kg.extract.clean import clean
from kg.extract.model import ExtractedDocument, RawLine
from kg.segment import segment
from kg.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="module")
def seed_passages():
    out = {}
    for path in sorted(CORPUS.glob("*.txt")):
        document = extract(path)
        out[path.stem] = (document, segment(document, path.stem, slides=document.layout == "slides"))
    return out


def test_passage_sizes(seed_passages):
    for name, (document, passages) in seed_passages.items():
        assert passages, name
        for passage in passages:
            assert len(passage.text) <= 1500, passage.passage_id
        words = sorted(len(p.text.split()) for p in passages)
        assert words[len(words) // 2] >= 40, f"{name}: median passage too short"
        assert words[-1] <= 230, f"{name}: a passage of {words[-1]} words"


def test_offsets_index_the_cleaned_text(seed_passages):
    for document, passages in seed_passages.values():
        for passage in passages:
            assert document.text[passage.start:passage.end] == passage.text
        starts = [p.start for p in passages]
        assert starts == sorted(starts)


def test_passages_end_at_sentence_or_block_ends(seed_passages):
    """No passage cuts a sentence: each ends where a block or a sentence ends."""
    for document, passages in seed_passages.values():
        block_ends = {b.end for b in document.blocks}
        for passage in passages:
            if passage.end in block_ends:
                continue
            assert re.search(r"[.!?…][\"'’”)\]]*$", passage.text), passage.text[-80:]


def test_quotations_are_not_cut(seed_passages):
    for document, passages in seed_passages.values():
        for passage in passages:
            assert passage.text.count("“") <= passage.text.count("”") + 1


def test_ids_are_stable_and_unique(seed_passages):
    for name, (document, passages) in seed_passages.items():
        again = segment(extract(CORPUS / f"{name}.txt"), name, slides=document.layout == "slides")
        assert [p.passage_id for p in again] == [p.passage_id for p in passages]
        assert len({p.passage_id for p in passages}) == len(passages)
        assert all(p.passage_id.startswith(name + "-") for p in passages)


def test_slides_keep_their_bullets_together(seed_passages):
    document, passages = seed_passages["collaborative-agency-slides"]
    assert all(p.kind == "slide" for p in passages)
    pages = [p.page for p in passages]
    assert len(pages) == len(set(pages)) or len(passages) <= len(document.pages)
    for page in document.pages:
        holders = {p.passage_id for p in passages if p.start < page.end and p.end > page.start}
        assert len(holders) == 1, f"slide {page.number} is spread over {len(holders)} passages"


def test_a_slide_heading_titles_its_own_slide_only(seed_passages):
    """The deck's tool tables open with a header row ("Tool Purpose Location"); the slides after
    them are quotes and models, not tools, and must not be titled, embedded and indexed under it."""
    document, passages = seed_passages["collaborative-agency-slides"]
    for passage in passages:
        if passage.heading:
            page = next(p for p in document.pages if p.number == passage.page)
            assert passage.heading in document.text[page.start:page.end], (passage.page, passage.heading)
    quote = next(p for p in passages if p.text.startswith("Well we all sat down together"))
    assert quote.heading is None


def test_reference_lists_become_several_small_passages(seed_passages):
    document, passages = seed_passages["necf-prevention-report"]
    references = [p for p in passages if p.kind == "references"]
    assert len(references) >= 3
    assert all(len(p.text) <= 1500 for p in references)


def test_a_credit_line_stays_with_what_it_credits(seed_passages):
    # the NECF report's box of the four levels ends "[Sources: Adapted from Hardiker …]"; the next
    # paragraph ("However, there is no clear … consensus") is not Hardiker's
    _, passages = seed_passages["necf-prevention-report"]
    credited = next(p for p in passages if "[Sources: Adapted from Hardiker" in p.text)
    assert "Level Four: Restorative prevention" in credited.text
    assert credited.text.rstrip().endswith("(1991)]")
    assert not any("no clear and straightforward consensus" in p.text and "Hardiker" in p.text for p in passages)


def test_a_credit_line_closes_its_box_and_the_section_heading_holds_again(seed_passages):
    # the box titled "The four levels of prevention –" stands in section 1.2; after its credit line the
    # text is section 1.2's again, and is cited so where the report has no page numbers
    _, passages = seed_passages["necf-prevention-report"]
    box = next(p for p in passages if "Level One: Diversionary" in p.text)
    after = next(p for p in passages if "Following an extensive review of the research literature" in p.text)
    assert box.heading.startswith("The four levels of prevention") and after.heading == "1.2 The Children’s Fund"


def test_only_a_short_box_gives_its_heading_back_at_its_credit_line(tmp_path):
    # a short titled box inside a numbered section ends at its credit line (with or without brackets: a
    # credit line is never read as a heading); a long unnumbered section with a table's source line inside
    # stays itself
    sentence = "Practitioners from schools and social care met the families at home and agreed what to do next. "
    box = "## 2. Findings\n\n" + sentence * 3 + "\n\n## Three kinds of support\n\n" + sentence * 2 + \
          "\n\nSource: adapted from the council's guidance (2003)\n\nThe next part of the findings turns to how the council funded its projects.\n"
    long_section = "## 2. Findings\n\n" + sentence * 3 + "\n\n## Trust\n\n" + (sentence * 6 + "\n\n") * 6 + \
          "[Source: survey of practitioners (2004)]\n\nTrust grew slowly, and the practitioners said so in every interview we held.\n"
    for name, text, wanted in (("box", box, "2. Findings"), ("long", long_section, "Trust")):
        path = tmp_path / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        last = segment(extract(path), name)[-1]
        assert last.text.rstrip().endswith(("funded its projects.", "interview we held.")) and last.heading == wanted, (name, last.heading)


def test_a_credit_line_in_a_text_of_ones_own_ends_its_passage(tmp_path):
    # lines wrapped as a PDF dump wraps them; the credit line has no full stop and is not short
    line = "Universal services reach every child and family in the area before any difficulty"
    box = "\n".join([line, "shows, through schools and clinics and the places that families already use."] * 3)
    text = (box + "\n\n(Source: adapted from the guidance of the council for its own area, 2003)\n\n"
            "However, the council did not say which services were universal in the sense it meant and\n"
            "which were targeted at the families that the schools had already referred to it.\n")
    path = tmp_path / "own.txt"
    path.write_text(text, encoding="utf-8")
    passages = segment(extract(path), "own")
    credited = next(p for p in passages if "(Source: adapted" in p.text)
    assert "Universal services reach" in credited.text
    assert "However, the council" not in credited.text


def test_a_sentence_introducing_a_quotation_goes_with_it(seed_passages):
    # "… One service user told us:" ends a long paragraph that cannot take the quotation as well;
    # the quotation (no full stop, two blank lines after it) does not run on into the next paragraph
    _, passages = seed_passages["necf-prevention-report"]
    quoted = next(p for p in passages if "like a springboard" in p.text)
    assert "One service user told us:" in quoted.text
    assert "The focus on universal intervention" not in quoted.text
    assert not any(p.text.rstrip().endswith("told us:") for p in passages)


def test_an_introducing_sentence_leaves_its_paragraph_only_when_the_quotation_cannot_join(tmp_path):
    sentence = "The partnership board met every month to review the services it had commissioned that year."
    long_paragraph = " ".join([sentence] * 13) + " One parent told us:"
    short_paragraph = sentence + " It asked the families what they thought of them. One parent told us:"
    quotation = ("\n\n\n‘They listened to me and my son and then they helped us find the right people, and "
                 "when the school would not hear us they came with me to the meetings and spoke up for him’\n\n\n")
    after = ("The next service worked with schools across the whole of the city and its villages, and its "
             "workers met the teachers of every child it saw at least once a term to plan what came next, "
             "writing down with the family what each of them would do before they met again.")
    for paragraph, split in ((long_paragraph, True), (short_paragraph, False)):
        path = tmp_path / "own.txt"
        path.write_text(paragraph + quotation + after + "\n", encoding="utf-8")
        passages = segment(extract(path), "own")
        quoted = next(p for p in passages if "They listened" in p.text)
        assert quoted.text.startswith("One parent told us:") == split, quoted.text[:80]
        assert "One parent told us:" in quoted.text
        assert "The next service" not in quoted.text
        assert all(not p.text.rstrip().endswith(":") for p in passages)


def test_a_long_paragraph_is_not_cut_inside_a_single_quoted_quotation(tmp_path, seed_passages):
    """A ‘…’ quotation of several sentences stays in one passage when its paragraph must be cut; the
    apostrophes inside it ("Children’s") do not close it; a quotation too long for half a passage may
    still be cut between its sentences."""
    sentence = "The partnership board met every month to review the services it had commissioned that year."
    quoted = ("Some members saw the Fund as part of the Trust: ‘The Children’s Fund is linked to the Children’s Trust. "
              "I see them complementing each other so that we can embed the Fund’s practices in the Trust.’")
    for before in range(4, 16):       # the quotation at every place the greedy cut could fall
        path = tmp_path / "own.txt"
        path.write_text(" ".join([sentence] * before) + " " + quoted + " " + " ".join([sentence] * 10) + "\n",
                        encoding="utf-8")
        passages = segment(extract(path), "own")
        assert len(passages) >= 2
        holding = [q for q in passages if "linked to the Children’s Trust" in q.text]
        assert len(holding) == 1 and "complementing each other" in holding[0].text, before
    too_long = "‘" + " ".join(["We talked to every family in the street about what the project could do next."] * 14) + "’"
    path.write_text(" ".join([sentence] * 3) + " " + too_long + "\n", encoding="utf-8")
    assert len(segment(extract(path), "own")) >= 2
    # in the seeds: the board member's words about the Children's Trust (NECF report, section 5.3)
    necf = " ".join(q.text for q in seed_passages["necf-prevention-report"][1] if "inextricably linked" in q.text)
    assert "complementing each other so much so" in necf


def test_an_enumerations_items_stay_in_one_passage_with_the_source_line_closing_it(tmp_path, seed_passages):
    """"(a) … (b) … (c) …" and "(i) … (ii) …" are one enumeration: a passage long enough to stop growing
    still takes its next item, and the bracketed source after the last one ("(Children Act HMSO 1989)")."""
    opening = " ".join(["The Act set out duties for the provision of helpful services to children and families."] * 8)
    path = tmp_path / "own.txt"
    path.write_text(opening + " The Act defines a child as being in need if:\n\n"
                    "(a) he is unlikely to achieve a reasonable standard of health without the provision of services;\n\n"
                    "(b) his health or development is likely to be significantly impaired without such services; or\n\n"
                    "(c) he is disabled\n\n(Children Act HMSO 1989)\n\n"
                    + " ".join(["Theoretically this definition enabled local authorities to work with a broad range of children."] * 6)
                    + "\n", encoding="utf-8")
    passages = segment(extract(path), "own")
    holding = next(p for p in passages if "(a) he is unlikely" in p.text)
    assert "(b) his health" in holding.text and "(c) he is disabled" in holding.text and "(Children Act HMSO 1989)" in holding.text
    assert "Theoretically" not in holding.text
    necf = seed_passages["necf-prevention-report"][1]
    definition = next(p for p in necf if "defines a child as being" in p.text)
    assert "(c) he is disabled’" in definition.text
    # the report's fourteen steps of analysis, (i)–(xiv): three passages of whole items
    assert next(p for p in necf if "(iv) These analyses" in p.text).text.endswith("as well as differences.")
    assert next(p for p in necf if "(x) These themes" in p.text).text.startswith("(x) These themes")


def test_passages_carry_their_heading(seed_passages):
    _, passages = seed_passages["chat-resilience-article"]
    assert any(p.heading == "The Two Studies" and "National Evaluation" in p.text for p in passages)


def test_passages_carry_pages(seed_passages):
    document, passages = seed_passages["chat-resilience-article"]
    assert {p.page for p in passages} == set(range(1, 14))
    passage = next(p for p in passages if "align one’s own interpretations of a problem" in p.text)
    assert passage.page == 4


def test_sentence_splitter_respects_abbreviations_and_quotes():
    text = "He said “It is fine. We go.” Then Edwards, A. (2009) wrote e.g. this. See p. 62. Next?"
    assert split_sentences(text) == ["He said “It is fine. We go.”", "Then Edwards, A. (2009) wrote e.g. this.", "See p. 62.", "Next?"]


def test_a_sentence_ends_with_its_paragraph_unless_a_colon_or_a_list_runs_on():
    text = ("Underpinning research\n\nThe programme began in 2002 (NECF, 2003). It grew.\n\n"
            "‘a parent’s words without a full stop’\n\nSmith (2013) named four factors:\n\n"
            "a common purpose\n\nmutual trust\n\nThe end")
    assert split_sentences(text) == ["Underpinning research", "The programme began in 2002 (NECF, 2003).", "It grew.",
                                     "‘a parent’s words without a full stop’",
                                     "Smith (2013) named four factors:\n\na common purpose\n\nmutual trust", "The end"]


def test_a_citing_sentence_does_not_take_the_heading_above_it():
    from kg.citations.intext import find_citations

    text = "3.2 Understandings of prevention\n\nAs discussed in previous reports (Kaur, 2010), it holds."
    passages = [{"passage_id": "p1", "start": 0, "end": len(text), "page": 1, "page_label": None}]
    assert [c.context for c in find_citations(text, passages)] == ["As discussed in previous reports (Kaur, 2010), it holds."]


def test_a_citation_key_after_a_closing_quote_ends_the_quoted_sentence():
    # oxford-ref2014-impact: the testimonial's citing sentence was the marker alone ("[C1].")
    text = ("A manager explains the impact: 'It helped us plan. We work in the Hubs.' [C1]. Edwards has also run "
            "workshops.\n\nThe analyst wrote: 'It was timely.' **[C3]**\n\n- [C1] Early Intervention Manager (letter on file)")
    assert split_sentences(text) == ["A manager explains the impact: 'It helped us plan.", "We work in the Hubs.' [C1].",
                                     "Edwards has also run workshops.", "The analyst wrote: 'It was timely.' **[C3]**",
                                     "- [C1] Early Intervention Manager (letter on file)"]
    # a key opening the next sentence stays with it
    assert split_sentences("It ended. [S3] PSE began in 2007.") == ["It ended.", "[S3] PSE began in 2007."]


_keys = st.lists(st.builds(lambda letter, n, more: f"[{letter}{n}{more}]", st.sampled_from(["C", "R", "S", ""]),
                           st.integers(1, 12), st.sampled_from(["", "-4, 6", ", pp. 2 and 52"])), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=8), min_size=1, max_size=8),
       st.sampled_from([".'", ".’", ".”", '."', ".", "!'"]), _keys, st.sampled_from(["", "**"]),
       st.sampled_from(["", ".", ". Next one here.", "\n\nA new paragraph."]))
def test_no_sentence_is_only_a_citation_key(quoted, close, keys, bold, after):
    marker = bold + "".join(keys) + bold
    text = "She said: 'We " + " ".join(quoted) + close + " " + marker + after
    sentences = split_sentences(text)
    assert not [s for s in sentences if re.fullmatch(r"[\s*.]*(?:\[[^\]]*\][\s*.]*)+", s)], sentences
    closing = next(s for s in sentences if marker in s)
    assert closing.split(marker)[0].rstrip().endswith(quoted[-1] + close)


words = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu")), min_size=1, max_size=12)
sentence = st.builds(lambda ws, end: " ".join(ws).capitalize() + end, st.lists(words, min_size=1, max_size=30), st.sampled_from([".", "?", "!", ":", ""]))
paragraph = st.builds(" ".join, st.lists(sentence, min_size=1, max_size=25))


@settings(max_examples=150, deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=12), st.booleans())
def test_segment_invariants(paragraphs, slides):
    raw = [RawLine(p, page=(i // 3) + 1, gap_before=1) for i, p in enumerate(paragraphs)]
    blocks, pages, removed = clean(raw)
    document = ExtractedDocument(path="x.txt", format="txt", text="\n\n".join(b.text for b in blocks), blocks=blocks, pages=pages)
    passages = segment(document, "x", slides=slides)
    assert [p.passage_id for p in passages] == [p.passage_id for p in segment(document, "x", slides=slides)]
    covered = 0
    for passage in passages:
        assert len(passage.text) <= 1500
        assert document.text[passage.start:passage.end] == passage.text
        covered += len(passage.text.split())
    assert covered >= sum(len(b.text.split()) for b in blocks if b.kind != "heading") or not blocks


def test_the_benchmarks_gold_passages_are_still_passages(seed_passages):
    """The concept-link gold is keyed by passage ids: a change of extraction or segmentation that
    re-cuts a sampled passage must re-key its gold entry (judged afresh), or the benchmark breaks."""
    import json

    gold = json.loads((ROOT / "benchmarks" / "data" / "concept-links-gold.json").read_text(encoding="utf-8"))
    ids = {p.passage_id for _, passages in seed_passages.values() for p in passages}
    missing = [entry["passage_id"] for entry in gold["passages"] if entry["passage_id"] not in ids]
    assert not missing, f"re-key these gold passages in benchmarks/data/concept-links-gold.json: {missing}"


def test_a_byline_titles_no_passage(seed_passages):
    """The chapter opens with its number, title and authors; the authors' line is the byline, so the
    first passage sits under the chapter's title."""
    from kg.segment import is_byline

    authors = ["Jopling, Michael", "Vincent, Sharon"]
    for line in ("Michael Jopling and Sharon Vincent", "by M. Jopling & S. Vincent", "Sharon Vincent"):
        assert is_byline(line, authors), line
    for line in ("Vulnerability and interagency collaboration", "Michael Jopling and the team", "Trust"):
        assert not is_byline(line, authors), line
    assert not is_byline("University of Oxford", ["University of Oxford"])     # a corporate author is not compared
    document, plain = seed_passages["jopling-vincent-2020"]
    titled = segment(document, "jopling-vincent-2020", authors=authors)
    opening = next(i for i, p in enumerate(plain) if "This chapter examines two innovative programmes" in p.text)
    assert plain[opening].heading == "Michael Jopling and Sharon Vincent"
    assert titled[opening].heading.startswith("Education and Social Work working collaboratively")
    assert [p.passage_id for p in titled] == [p.passage_id for p in plain]     # the same text, only the title differs
