"""Where a study's facts are stated: the matcher of a fact's words in a source's text
(kg.studies.states) and the attribution of each fact to a passage (kg.studies.attribute)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.studies import StudyMatcher, attribute, fact_words, link_studies, load_study_labels, states


def _passage(pid: str, text: str, source_id: str = "s", start: int = 0, heading: str | None = None) -> dict:
    return {"passage_id": pid, "source_id": source_id, "text": text, "start": start, "end": start + len(text),
            "heading": heading, "kind": "text"}


def _study(sid: str = "x", **facts) -> dict:
    return {"id": sid, "sources": ["s"], "evidence": [], "passages": [], "part_of": None, **facts}


# --- numbers are whole tokens ---------------------------------------------------------------------

def test_a_number_is_not_found_inside_a_longer_number():
    assert not states("18 case studies", "we ran 118 case studies")
    assert not states("18 case studies", "we ran 180 case studies")
    assert not states("£50k", "a budget of £450k")
    assert not states("£50", "a budget of £500")
    assert not states("£6m", "a budget of £16m")
    assert states("18 case studies", "we ran 18 case studies")
    assert states("£450k", "(Edwards Co-PI with Evangelou, Sylva and Smith) £450k")
    assert states("120,000 families", "to turn around 120000 families")


def test_a_fact_whose_number_only_stands_inside_a_longer_one_is_left_unsourced():
    study = _study(scale=["18 case studies"], budget="£50")
    passages = {"s": [_passage("p1", "The evaluation ran 118 case studies on a budget of £500.")]}
    stated = attribute(study, lambda source_id: passages.get(source_id, []))
    assert stated["scale"][0]["sources"] == [] and stated["budget"][0]["sources"] == []


_number = st.integers(min_value=0, max_value=10**7).map(str)
_digits = st.text(alphabet="0123456789", min_size=0, max_size=3)
_unit = st.sampled_from(["", "k", "m", "%"])
_currency = st.sampled_from(["", "£", "$", "€"])
_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9)


@settings(max_examples=300, deadline=None)
@given(_currency, _number, _unit, _digits, _digits, st.lists(_word, max_size=4), st.lists(_word, max_size=4))
def test_a_number_matches_only_itself(currency, number, unit, before, after, left, right):
    fact = f"{currency}{number}{unit}"
    longer = f"{currency}{before}{number}{after}{unit}"
    text = " ".join([*left, longer, *right])
    # found exactly when the number written in the text is the fact's number, digit for digit
    assert states(fact, text) == (before == after == "")
    assert states(fact, " ".join([*left, fact + ",", *right]))
    assert states(fact, " ".join([*left, f"({fact})", *right]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_word, min_size=1, max_size=6), st.lists(_word, max_size=4), st.lists(_word, max_size=4), st.randoms())
def test_case_and_hyphens_do_not_matter(words, left, right, random):
    fact = " ".join(words)
    written = words[0]
    for word in words[1:]:
        written += random.choice([" ", "-", " - ", "  "]) + word
    written = "".join(c.upper() if random.random() < 0.3 else c for c in written)
    assert states(fact, " ".join([*left, written, *right]))
    assert fact_words(fact) == fact_words(written)


def test_hyphens_apostrophes_and_plurals_fold():
    assert states("in-depth family case studies", "in depth Family Case-Studies")
    assert states("Children’s Fund partnership boards", "the Children's Fund partnership board")
    assert states("Nvivo coding", "NVivo coding")
    assert fact_words("multi-disciplinary team") == fact_words("multi disciplinary team")


# --- a fact is attributed to a sentence about its study ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = (ROOT / "corpus" / "jopling-vincent-2020.txt").read_text(encoding="utf-8")
RESEARCH = next(line for line in CHAPTER.splitlines() if line.startswith("The research into Programme A involved"))
IMPACTS = next(line for line in CHAPTER.splitlines() if line.startswith("Assessment of the impact of both programmes"))


@pytest.fixture(scope="module")
def study_matcher():
    return StudyMatcher(load_study_labels(ROOT / "ontology" / "studies.ttl"))


def _catalogue(passages: list[dict], matcher: StudyMatcher, reports: dict[str, list[str]], **records) -> dict:
    """Studies as kg.studies.catalogue gives them, with the passages naming them as the build's
    link_studies finds them (each mention's offset into the source's text)."""
    studies = {sid: {**_study(sid), "sources": [], **record} for sid, record in records.items()}
    for source_id, named in reports.items():
        for sid in named:
            studies.setdefault(sid, {**_study(sid), "sources": []})["sources"].append(source_id)
    for pid, mentions in link_studies(passages, matcher).items():
        for sid in {m["study_id"] for m in mentions}:
            if sid in studies:
                studies[sid]["passages"].append({"passage_id": pid, "mentions": len(mentions),
                                                 "starts": [m["start"] for m in mentions if m["study_id"] == sid]})
    return studies


def _sourced(stated: dict, key: str, text: str) -> list[tuple[str, str | None]]:
    fact = next(f for f in stated[key] if f["text"] == text)
    return [(w["source_id"], w["passage_id"]) for w in fact["sources"]]


def test_a_fact_is_not_attributed_to_a_sentence_about_another_study(study_matcher):
    # Programme B's "family case studies": the chapter's only "family case studies" is in a sentence
    # on Programme A ("In Programme A, … In the family case studies, this included …")
    passages = [_passage("research", RESEARCH, "chapter", 0),
                _passage("impacts", IMPACTS, "chapter", len(RESEARCH) + 2)]
    studies = _catalogue(passages, study_matcher, {"chapter": ["programme-a", "programme-b"]},
                         **{"programme-a": {"method": ["family case studies"]},
                            "programme-b": {"method": ["family case studies", "semi-structured interviews"]}})
    by_source = {"chapter": passages}
    b = attribute(studies["programme-b"], lambda s: by_source.get(s, []), studies)
    assert _sourced(b, "method", "family case studies") == []
    assert _sourced(b, "method", "semi-structured interviews") == [("chapter", "research")]
    a = attribute(studies["programme-a"], lambda s: by_source.get(s, []), studies)
    assert _sourced(a, "method", "family case studies") == [("chapter", "impacts")]


def test_a_sentence_is_about_the_study_named_before_it_in_its_section(study_matcher):
    text = ("In Programme B, the families were visited weekly. The workers kept a diary of every visit. "
            "In Programme A, the schools were partners.")
    later = "Each worker also kept a diary of every visit."
    passages = [_passage("p1", text, "chapter", 0, "Findings"), _passage("p2", later, "chapter", len(text) + 2, "Findings")]
    studies = _catalogue(passages, study_matcher, {"chapter": ["programme-a", "programme-b"]},
                         **{sid: {"method": ["diary of every visit"]} for sid in ("programme-a", "programme-b")})
    by_source = {"chapter": passages}
    # the diary sentence follows one naming Programme B; the next passage of the section follows Programme A
    assert _sourced(attribute(studies["programme-b"], by_source.get, studies), "method", "diary of every visit") == [("chapter", "p1")]
    assert _sourced(attribute(studies["programme-a"], by_source.get, studies), "method", "diary of every visit") == [("chapter", "p2")]
    # a new section starts about no study: in a source reporting two studies, it is neither's
    passages[1]["heading"] = "Discussion"
    studies = _catalogue(passages, study_matcher, {"chapter": ["programme-a", "programme-b"]},
                         **{sid: {"method": ["diary of every visit"]} for sid in ("programme-a", "programme-b")})
    assert _sourced(attribute(studies["programme-a"], by_source.get, studies), "method", "diary of every visit") == []


def test_in_a_source_reporting_one_study_a_sentence_naming_none_is_about_it(study_matcher):
    passages = [_passage("p1", "The evaluation ran sixteen case studies.", "report", 0, "Method")]
    records = {"necf": {"scale": ["sixteen case studies"]}, "necf-case-studies": {"part_of": "necf"},
               "programme-a": {"scale": ["sixteen case studies"]}}
    studies = _catalogue(passages, study_matcher, {"report": ["necf", "necf-case-studies"], "chapter": ["programme-a", "programme-b"]},
                         **records)
    by_source = {"report": passages, "chapter": [{**passages[0], "passage_id": "c1", "source_id": "chapter"}]}
    # the report reports NECF and its own case studies, a part of NECF
    assert _sourced(attribute(studies["necf"], by_source.get, studies), "scale", "sixteen case studies") == [("report", "p1")]
    # the chapter reports two programmes: a sentence naming neither is not Programme A's
    assert _sourced(attribute(studies["programme-a"], by_source.get, studies), "scale", "sixteen case studies") == []


def test_a_curated_evidence_sentence_is_found_where_it_stands(study_matcher):
    # LIW's method "cultural historical activity theory (CHAT)" was linked to the article's summary,
    # the first passage holding the words, not to the evidence sentence the curators gave
    summary = "Drawing on the concepts of Cultural Historical Activity Theory (CHAT), we suggest a wider idea."
    both = ("Both studies draw on cultural historical activity theory (CHAT) frameworks which locate individual "
            "learning and development in environmental affordances for thinking and acting (Cole, 1996).")
    passages = [_passage("summary", summary, "article", 0, "Summary"), _passage("both", both, "article", 200, "The Two Studies")]
    studies = _catalogue(passages, study_matcher, {"article": ["liw", "necf"]},
                         liw={"method": ["cultural historical activity theory (CHAT)"],
                              "evidence": [{"text": both, "source": "article"}]})
    by_source = {"article": passages}
    stated = attribute(studies["liw"], by_source.get, studies)
    assert _sourced(stated, "method", "cultural historical activity theory (CHAT)") == [("article", "both")]
    # an evidence sentence of a source outside the library still names its source, with no passage
    stated = attribute(studies["liw"], lambda s: [], studies)
    assert _sourced(stated, "method", "cultural historical activity theory (CHAT)") == [("article", None)]
