"""Quote extraction: participant words with speaker and role, literature quotations with their
citation, offsets that point at the exact words; never raises on any input."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from kg.quotes import ROLE_NAMES, find_quotes, role_of, roles_in


def _one(text: str):
    quotes = find_quotes(text, "s")
    assert len(quotes) == 1, quotes
    quote = quotes[0]
    assert text[quote.start:quote.end] == quote.text
    return quote


def test_participant_quote_after_a_speech_verb():
    text = ("Talking of her son one mother explained, ‘All three of us have worked together. "
            "I’m not told you do this, try that.’ Others agreed.")
    quote = _one(text)
    assert quote.kind == "participant" and quote.speaker == "one mother" and quote.speaker_role == "parent"
    assert quote.text.startswith("‘All three") and quote.text.endswith("that.’")


def test_block_quote_after_an_introduction():
    text = ("Schools accommodated this, as one of the Education Welfare Officers interviewed commented:\n\n"
            "“Sometimes the agenda is at odds with the behaviour policy, but we have managed to overcome it.”\n\n"
            "Her experience was different before.")
    quote = _one(text)
    assert quote.speaker_role == "education welfare officer"
    assert quote.speaker == "one of the Education Welfare Officers interviewed"


def test_literature_quote_with_citation():
    text = "The object is central: ‘the object of the activity is its true motive’ (Leont’ev, 1978, p. 62). It matters."
    quote = _one(text)
    assert quote.kind == "literature" and quote.cited == "(Leont’ev, 1978, p. 62)" and quote.speaker_role is None


def test_apostrophes_and_scare_quotes_are_not_quotations():
    text = "The children’s services were ‘at risk’ and the partnerships’ strategies were the families’ concern."
    assert find_quotes(text, "s") == []


def test_roles():
    assert role_of("A Board member in another partnership") == "manager or senior officer"
    assert role_of("one special educational needs coordinator") == "SENCO"
    assert role_of("A senior manager in Oxfordshire Children’s Services") == "manager or senior officer"
    assert roles_in("headteacher quote on whole-family work") == ["headteacher"]
    assert roles_in("kids' own words about their ideas") == ["child"]


def test_quotes_in_the_built_library(library):
    quotes = __import__("json").loads((library.root / "quotes.json").read_text(encoding="utf-8"))
    heads = [q for q in quotes if q["speaker_role"] == "headteacher"]
    assert heads and "whose job it was" in heads[0]["text"]
    document = library.document(heads[0]["source_id"])
    assert document["text"][heads[0]["start"]:heads[0]["end"]] == heads[0]["text"]
    assert heads[0]["passage_id"] in {p["passage_id"] for p in library.passages(heads[0]["source_id"])}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab c.,:;\n‘’“”\"'()1990 Ipmother said")), max_size=300))
def test_never_raises_and_offsets_hold(text):
    for quote in find_quotes(text, "s"):
        assert text[quote.start:quote.end] == quote.text
        assert quote.kind in ("participant", "literature")
        assert quote.speaker_role is None or quote.speaker_role in ROLE_NAMES
