"""Where a study's facts are stated: the matcher of a fact's words in a source's text
(kg.studies.states) and the attribution of each fact to a passage (kg.studies.attribute)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kg.studies import attribute, fact_words, states


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
