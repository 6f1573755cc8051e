"""Quote extraction: participant words with speaker and role, literature quotations with their
citation, offsets that point at the exact words; never raises on any input."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings, strategies as st

from kg.quotes import ROLE_NAMES, find_quotes, role_of, roles_in, speaker_roles_in


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


def test_a_quote_a_passage_break_cuts_belongs_to_both_passages():
    text = ("Schools accommodated this, as one of the Education Welfare Officers interviewed commented:\n\n"
            "“Sometimes the agenda is at odds with the behaviour policy.\n\nBut we have managed to overcome it.”\n\n"
            "Her experience was different before.")
    cut = text.index("But we")
    passages = [{"passage_id": "p1", "start": 0, "end": cut - 2}, {"passage_id": "p2", "start": cut, "end": len(text)}]
    (quote,) = find_quotes(text, "s", passages)
    assert quote.passage_id == "p1" and quote.passage_ids == ["p1", "p2"]
    (whole,) = find_quotes(text, "s", [{"passage_id": "p", "start": 0, "end": len(text)}])
    assert whole.passage_ids == ["p"]


def test_one_lexicon_of_speaking_verbs_spells_each_form():
    """The verbs of speaking are listed once; their forms are spelt by rule, so the texts' reported
    speech and the queries' "<speaker> describing …" come from the same list."""
    import re

    from kg.quotes import _SPEECH, SPEAKING_ING, verb_form

    spelt = {("argue", "ed"): "argued", ("argue", "ing"): "arguing", ("reply", "s"): "replies", ("reply", "ed"): "replied",
             ("stress", "s"): "stresses", ("agree", "ing"): "agreeing", ("admit", "ing"): "admitting", ("say", "s"): "says"}
    for (verb, ending), form in spelt.items():
        assert verb_form(verb, ending) == form
    speech = re.compile(r"(?:" + _SPEECH + r")", re.I)
    for reported in ("said", "explained", "told", "admitted", "replied", "put it plainly", "summed up", "stressed"):
        assert speech.fullmatch(reported), reported
    for noun in ("report", "note", "state", "stress", "add"):      # a bare noun form reports nothing
        assert not speech.fullmatch(noun), noun
    for credited in ("describing", "praising", "regretting", "worrying", "agreeing"):
        assert re.fullmatch(SPEAKING_ING, credited), credited
    assert not re.fullmatch(SPEAKING_ING, "working") and not re.fullmatch(SPEAKING_ING, "asking")


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
    assert roles_in("what the pupils told us about the playground") == ["child"]
    # a frontline officer is a practitioner; "officer" alone stays a manager's title
    for frontline in ("a police officer", "the attendance officer", "one child protection officer", "a teaching assistant",
                      "an educational psychologist"):
        assert role_of(frontline) == "practitioner", frontline
    assert role_of("the project officer") == "manager or senior officer"


def test_asking_for_practitioners_includes_the_frontline_roles_named_apart():
    from kg.quotes import with_narrower_roles

    assert with_narrower_roles(["practitioner"]) >= {"practitioner", "education welfare officer", "family support worker"}
    assert with_narrower_roles(["family support worker"]) == {"family support worker"}     # not the other way round
    assert with_narrower_roles([]) == set()


def test_quotes_in_the_built_library(library):
    quotes = __import__("json").loads((library.root / "quotes.json").read_text(encoding="utf-8"))
    heads = [q for q in quotes if q["speaker_role"] == "headteacher"]
    assert heads and "whose job it was" in heads[0]["text"]
    document = library.document(heads[0]["source_id"])
    assert document["text"][heads[0]["start"]:heads[0]["end"]] == heads[0]["text"]
    assert heads[0]["passage_id"] in {p["passage_id"] for p in library.passages(heads[0]["source_id"])}


def test_quotes_are_graph_resources_anchored_in_their_source(library):
    """Each found quote is a ck:Quote in its source's named graph: its words, a TextQuoteSelector whose
    exact text is the source's text at the TextPositionSelector's offsets, its passage, page, speaker."""
    import json

    from rdflib.namespace import DCTERMS, PROV, RDF

    from kg.graph import GRAPH_FILE, read_dataset, source_graph, validate_dataset
    from kg.vocab import ANNOTATION, CK, OA, PASSAGE, SOURCE

    quotes = json.loads((library.root / "quotes.json").read_text(encoding="utf-8"))
    dataset = read_dataset(library.root / GRAPH_FILE)
    assert quotes and any(q["kind"] == "participant" for q in quotes)
    for found in quotes:
        graph = dataset.graph(source_graph(found["source_id"]))
        node = ANNOTATION[found["quote_id"]]
        kind = CK.ParticipantQuote if found["kind"] == "participant" else CK.LiteratureQuote
        assert (node, RDF.type, kind) in graph and (node, RDF.type, CK.Quote) in graph
        assert str(graph.value(node, RDF.value)) == found["text"]
        assert graph.value(node, DCTERMS.source) == SOURCE[found["source_id"]]
        assert graph.value(node, PROV.wasQuotedFrom) == PASSAGE[found["passage_id"]]
        selectors = {graph.value(sel, RDF.type): sel for sel in graph.objects(node, OA.hasSelector)}
        start = int(graph.value(selectors[OA.TextPositionSelector], OA.start))
        end = int(graph.value(selectors[OA.TextPositionSelector], OA.end))
        text = library.document(found["source_id"])["text"]
        assert (start, end) == (found["start"], found["end"])
        assert str(graph.value(selectors[OA.TextQuoteSelector], OA.exact)) == text[start:end]
        if found["kind"] == "participant" and found.get("speaker_role"):
            assert str(graph.value(node, CK.speakerRole)) == found["speaker_role"]
    conforms, report = validate_dataset(dataset, Path(__file__).resolve().parent.parent / "ontology")
    assert conforms, report


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab c.,:;\n‘’“”\"'()1990 Ipmother said")), max_size=300))
def test_never_raises_and_offsets_hold(text):
    for quote in find_quotes(text, "s"):
        assert text[quote.start:quote.end] == quote.text
        assert quote.kind in ("participant", "literature")
        assert quote.speaker_role is None or quote.speaker_role in ROLE_NAMES


# --- the quote finder: API, verified exports, page ------------------------------------------------

import csv as _csv
import io as _io
import json as _json
from urllib.request import urlopen as _urlopen

import pytest


def _head_quote(client) -> dict:
    data = client.get("/api/quotes?q=whose+job+was+it&k=3").get_json()
    return data["results"][0]


def test_quote_finder_names_misspelt_words(client):
    data = client.get("/api/quotes?q=whose+jb+was+it&k=3").get_json()
    assert data["unknown_words"] == ["jb"] and data["did_you_mean"] is None     # too short to respell
    data = client.get("/api/quotes?q=what+the+chlid+neded&k=3").get_json()
    assert data["unknown_words"] == ["chlid", "neded"] and data["did_you_mean"] == "what the child needed"
    assert client.get("/api/quotes?q=what+the+child+needed&k=3").get_json()["unknown_words"] == []
    # no word of the query in the library: ranked by its respelling, and said so
    typo = client.get("/api/quotes?q=chlid+neded&k=3").get_json()
    respelt = client.get("/api/quotes?q=child+needed&k=3").get_json()
    assert typo["searched_for"] == "child needed" and typo["query"] == "chlid neded" and "as_typed" not in typo
    assert [q["quote_id"] for q in typo["results"]] == [q["quote_id"] for q in respelt["results"]]
    assert client.get("/api/quotes?q=chlid+neded&respell=0").get_json()["searched_for"] is None
    assert client.get("/api/quotes?q=x&respell=2").status_code == 400
    too_long = client.get("/api/quotes?q=" + "x" * 1001)
    assert too_long.status_code == 400 and too_long.get_json()["error"]["message"].startswith("parameter 'q' is 1001 characters")


def test_api_quotes_documented_fields(client):
    data = client.get("/api/quotes?q=what+the+child+needed&k=5").get_json()
    assert data["results"]
    first = data["results"][0]
    assert {"quote_id", "text", "speaker", "speaker_role", "source_id", "passage_id", "page", "citation", "study"} <= set(first)
    assert all(q["passage_ids"][0] == q["passage_id"] for q in data["results"])
    assert "whose job it was" in first["text"] and first["speaker_role"] == "headteacher"
    assert first["citation"].startswith("headteacher, quoted in ")
    assert "head teacher put it plainly" in first["introduction"]      # the words that introduce the quote


def test_a_page_past_the_end_counts_a_repeated_quote_once_as_the_total_does(seed_build):
    """The seeds quote some words twice; the total counts them once, and so does the past-the-end message
    (it said "the 97 quotes" under a total of 96)."""
    from kg.library import Library

    library = Library(seed_build)
    assert any(q.get("repeats") for q in library.quotes())
    whole = library.search_quotes("trust", k=1000)
    assert len(whole["results"]) == whole["total"] < len(library.quotes())
    beyond = library.search_quotes("trust", k=5, offset=100_000)
    assert beyond["results"] == [] and beyond["total"] == whole["total"]
    assert f"the {whole['total']} quotes end at number {whole['total']}." in beyond["message"]


def test_api_quotes_pages_with_offset(client, library, tiny_build):
    whole = client.get("/api/quotes?q=what+the+child+needed").get_json()
    second = client.get("/api/quotes?q=what+the+child+needed&k=2&offset=1").get_json()
    assert second["offset"] == 1 and second["total"] == whole["total"] >= 3
    assert [q["quote_id"] for q in second["results"]] == [q["quote_id"] for q in whole["results"][1:3]]
    assert "participants’ words first, then quotations" in client.get("/quotes").get_data(as_text=True)
    listed = client.get("/api/quotes?kind=participant&k=2&offset=1").get_json()     # no query: document order
    every = library.search_quotes("", k=1000, filters={"kind": "participant"})["results"]
    assert listed["results"] and [q["quote_id"] for q in listed["results"]] == [q["quote_id"] for q in every[1:3]]
    beyond = client.get(f"/api/quotes?q=child&offset={whole['total']}").get_json()
    assert beyond["results"] == [] and beyond["total"] == whole["total"] and "past the end" in beyond["message"]
    page = client.get(f"/quotes?q=child&offset={whole['total']}").get_data(as_text=True)
    assert "past the end" in page and 'id="quote-last-page"' in page and "the first 0 shown" not in page
    for nothing in ("!!!", "😀", "”“"):        # nothing to search for, as the passage search says; nothing to export
        answer = client.get("/api/quotes", query_string={"q": nothing}).get_json()
        assert answer["results"] == [] and answer["message"] == "Nothing to search for in this query.", nothing
        assert client.get("/api/quotes/export", query_string={"q": nothing, "format": "csv"}).status_code == 400
    refused = client.get("/api/quotes?q=child&offset=-1")
    assert refused.status_code == 400 and "offset" in refused.get_json()["error"]["message"]
    import subprocess
    import sys
    cli = subprocess.run([sys.executable, "-m", "kg.cli", "quotes", "what the child needed", "-k", "2", "--offset", "1",
                          "--json", "--build", str(tiny_build)], cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert [q["quote_id"] for q in _json.loads(cli.stdout)["results"]] == [q["quote_id"] for q in second["results"]]


def test_a_role_typed_with_a_hyphen_or_as_an_acronym_is_the_role(library):
    from kg.quotes import roles_in, speaker_roles_in

    assert roles_in("head-teacher") == ["headteacher"] and roles_in("a social-worker said") == ["practitioner"]
    assert speaker_roles_in("Head-teacher quote on attendance") == ["headteacher"]
    hyphen = library.search_quotes("head-teacher", k=3)["results"]
    assert hyphen[0]["speaker_role"] == "headteacher"
    assert [q["quote_id"] for q in hyphen] == [q["quote_id"] for q in library.search_quotes("headteacher", k=3)["results"]]
    # the text may spell the role out ("special educational needs coordinator"): its acronym is no unknown word
    for query in ("SENCO", "EWO"):
        found = library.search_quotes(query, k=3)
        assert found["unknown_words"] == [] and found["message"] is None, query
        assert library.search(query, k=3).unknown_words == [], query


def test_the_speaker_role_a_query_asks_for_comes_first(client):
    # the social worker's quote shares more words with the query; the trainer asked for a parent
    data = client.get("/api/quotes?q=parent+on+consent+and+information+sharing&k=5").get_json()
    roles = [q["speaker_role"] for q in data["results"]]
    assert roles[0] == "parent" and "practitioner" in roles, roles
    neutral = client.get("/api/quotes?q=consent+and+information+sharing&k=5").get_json()
    assert neutral["results"][0]["speaker_role"] == "practitioner"


def test_a_search_asking_only_for_a_speaker_puts_that_speaker_first(library):
    """"quotes from practitioners", "what did a practitioner say": whose words are the whole question,
    so the passages quoting such a speaker come first (the headteacher's passage shares more words)."""
    from kg.index.search import _asks_only_for_a_speaker

    for query in ("quotes from practitioners", "what did a practitioner say", "what did parents say"):
        results = library.search(query, k=3).results
        wanted = "parent" if "parent" in query else "practitioner"
        assert wanted in results[0]["speaker_roles"], (query, [r["speaker_roles"] for r in results])
    # the speaker as the query names them ("social workers": "One social worker") comes before others of
    # the same role (practitioners)
    searcher = library.searcher
    rows = {p["passage_id"].rsplit("-", 1)[0]: searcher._row_of[p["passage_id"]] for p in library.passages()
            if p["passage_id"] in {q["passage_id"] for q in library.quotes()}}
    assert searcher._rows_quoting_named("what did social workers say") == {rows["practice-notes"]}
    assert searcher._rows_quoting_named("what did head teachers say") == {rows["team-around-the-child"]}
    assert searcher._rows_quoting_named("what did the report say") == set()
    assert _asks_only_for_a_speaker("what did managers say") and _asks_only_for_a_speaker("parent quotes")
    assert not _asks_only_for_a_speaker("parent quote on trust")
    assert not _asks_only_for_a_speaker("what did a headteacher say about the whole family")
    assert not _asks_only_for_a_speaker("what did the report say")


def test_the_quote_study_filter_takes_the_quotes_own_study_by_any_of_its_names(client, library):
    """A quote is evidence from a study when the document makes it clear (the study named before it, or
    its source's only study): the tiny article reports NECF and LIW and names neither near its quotes,
    so the filter finds none of them; a quoted text (literature) is evidence from no study."""
    searcher = library.searcher
    for name in ("NECF", "necf", "National Evaluation of the Children's Fund"):
        names = searcher._study_names({name})
        assert searcher._quote_allowed({"study": "NECF", "kind": "participant", "source_id": "x"}, {"study": {name}}, names)
        assert not searcher._quote_allowed({"study": "LIW", "kind": "participant", "source_id": "x"}, {"study": {name}}, names)
        assert not searcher._quote_allowed({"study": None, "kind": "literature", "source_id": "team-around-the-child"},
                                           {"study": {name}}, names)
    assert client.get("/api/quotes", query_string={"source": "team-around-the-child"}).get_json()["results"]
    assert not client.get("/api/quotes", query_string={"study": "NECF", "k": 500}).get_json()["results"]
    assert not client.get("/api/quotes", query_string={"study": "no such study"}).get_json()["results"]
    # the page shows a study named by acronym in its URL as the one chosen, so the next search keeps it
    assert '<option value="necf" selected>' in client.get("/quotes?q=trust&study=NECF").get_data(as_text=True)


def test_a_query_of_only_a_speaker_lists_their_quotes_first(library):
    """In the quote finder "headteacher", "head teachers" or "a parent" asks for those speakers' words."""
    for typed, role in (("headteacher", "headteacher"), ("head teachers", "headteacher"), ("a parent", "parent")):
        heard = [q for q in library.quotes() if q.get("speaker_role") == role]
        found = library.search_quotes(typed, k=len(heard))["results"]
        assert heard and [q["speaker_role"] for q in found] == [role] * len(heard), (typed, [q["speaker_role"] for q in found])


def test_a_query_of_words_the_library_lacks_says_the_quotes_are_only_near_in_meaning(client):
    body = client.get("/api/quotes?q=xqzvw+pflurb").get_json()
    assert body["unknown_words"] == ["xqzvw", "pflurb"] and body["did_you_mean"] is None
    assert body["message"].startswith("No quote contains “xqzvw”, “pflurb”") and body["results"]
    page = client.get("/quotes?q=xqzvw+pflurb").get_data(as_text=True)
    assert "only the nearest in meaning" in page and 'id="export-found"' not in page     # nothing to export as found
    assert client.get("/api/quotes?q=family").get_json()["message"] is None
    assert 'id="export-found"' in client.get("/quotes?q=family").get_data(as_text=True)


def test_api_quotes_without_query_lists_all_matching_the_filters(client, library):
    everything = client.get("/api/quotes?k=500").get_json()
    assert everything["total"] == len(library.quotes())
    heads = client.get("/api/quotes?speaker_role=headteacher&k=500").get_json()
    assert heads["results"] and all(q["speaker_role"] == "headteacher" for q in heads["results"])
    # role= (the CLI's --role) is the same filter; speaker_role wins when both are given
    assert client.get("/api/quotes?role=headteacher&k=500").get_json()["results"] == heads["results"]
    assert client.get("/api/quotes?role=parent&speaker_role=headteacher&k=500").get_json()["results"] == heads["results"]
    # a role typed in another case, in the plural or as a job the role takes in is that role
    for typed in ("Headteacher", "headteachers", "HEAD TEACHER"):
        assert client.get(f"/api/quotes?role={typed}&k=500").get_json()["results"] == heads["results"], typed
    refused = client.get("/api/quotes?role=zzqx")
    assert refused.status_code == 400 and "'role'" in refused.get_json()["error"]["message"]
    # the page says so beside its form (it was a bare error page)
    page = client.get("/quotes?role=zzqx")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="quote-error"' in html and "zzqx" in html and 'id="qq"' in html
    # the page's own links to the export carry only what the export takes (a stray parameter in the page's
    # address would make them a 400)
    html = client.get("/quotes?q=child&colour=x&role=headteacher").get_data(as_text=True)
    export = re.search(r'class="export-found-link" data-format="csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "colour" not in export and client.get(export).status_code == 200
    unknown = client.get("/api/quotes?colour=x")       # was ignored: a misspelt filter looked applied
    assert unknown.status_code == 400 and "parameter 'colour' is not one /api/quotes takes" in unknown.get_json()["error"]["message"]
    # a filter value no quote has is named, not an unexplained empty list
    empty = client.get("/api/quotes?study=zzqx").get_json()
    assert empty["total"] == 0 and "study “zzqx”" in empty["message"]
    assert client.get("/api/quotes?k=x").status_code == 400


def test_exports_parse_with_standard_parsers(client):
    quote = _head_quote(client)
    ids = quote["quote_id"]
    page = str(quote["page_label"] or quote["page"] or "")
    rows = list(_csv.DictReader(_io.StringIO(client.get(f"/api/quotes/export?format=csv&ids={ids}").get_data(as_text=True))))
    assert rows[0]["text"] == quote["text"] and rows[0]["speaker_role"] == "headteacher" and rows[0]["page"] == page

    import rispy
    records = rispy.loads(client.get(f"/api/quotes/export?format=ris&ids={ids}").get_data(as_text=True))
    assert records[0]["id"] == ids and any(quote["text"] in note for note in records[0]["notes"])
    assert records[0].get("start_page", "") == page

    import bibtexparser
    library = bibtexparser.parse_string(client.get(f"/api/quotes/export?format=bibtex&ids={ids}").get_data(as_text=True))
    assert not library.failed_blocks and library.entries[0].key == ids
    assert (library.entries[0].fields_dict["pages"].value if "pages" in library.entries[0].fields_dict else "") == page

    import jsonschema
    schema = {"type": "array", "items": {"type": "object", "required": ["id", "type", "title"], "properties": {
        "id": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}, "page": {"type": "string"},
        "author": {"type": "array", "items": {"type": "object", "properties": {
            "family": {"type": "string"}, "given": {"type": "string"}, "literal": {"type": "string"}}}},
        "issued": {"type": "object", "properties": {"date-parts": {"type": "array"}}}}}}
    items = _json.loads(client.get(f"/api/quotes/export?format=csl-json&ids={ids}").get_data(as_text=True))
    jsonschema.validate(items, schema)
    assert items[0]["note"] == quote["text"] and items[0].get("page", "") == page

    markdown = client.get(f"/api/quotes/export?format=markdown&ids={ids}").get_data(as_text=True)
    assert markdown.startswith("> ") and quote["citation"] in markdown


def test_export_of_what_a_query_and_filters_find_without_a_basket(client, tiny_build):
    found = client.get("/api/quotes?speaker_role=headteacher&q=child&k=2").get_json()["results"]
    rows = list(_csv.DictReader(_io.StringIO(
        client.get("/api/quotes/export?format=csv&speaker_role=headteacher&q=child&k=2").get_data(as_text=True))))
    assert found and [r["text"] for r in rows] == [q["text"] for q in found]
    assert all(r["speaker_role"] == "headteacher" for r in rows)
    # "format=" left empty, or in capitals, is the documented default and the format named
    for fmt in ("", "CSV"):
        again = client.get(f"/api/quotes/export?format={fmt}&speaker_role=headteacher&q=child&k=2")
        assert again.status_code == 200 and list(_csv.DictReader(_io.StringIO(again.get_data(as_text=True)))) == rows
    assert client.get("/api/quotes/export?format=pdf&q=child").status_code == 400
    # nothing asked for, or nothing found: a clear 400, not an empty file
    nothing = client.get("/api/quotes/export?format=csv")
    assert nothing.status_code == 400 and "give their ids" in nothing.get_json()["error"]["message"]
    none_found = client.get("/api/quotes/export?format=csv&q=child&source=no-such-source")
    assert none_found.status_code == 400 and "nothing to export" in none_found.get_json()["error"]["message"]
    # no word of the query in any quote: the finder ranks by meaning alone, which the page does not offer
    # to export either (it exported the 20 nearest, unrelated quotes)
    unrelated = client.get("/api/quotes/export?format=ris&q=zzzzqqq")
    assert unrelated.status_code == 400 and "no quote contains “zzzzqqq”" in unrelated.get_json()["error"]["message"]
    assert 'id="export-found"' not in client.get("/quotes?q=zzzzqqq").get_data(as_text=True)
    # the CLI exports the same quotes
    import subprocess
    import sys
    root = Path(__file__).resolve().parent.parent
    cli = subprocess.run([sys.executable, "-m", "kg.cli", "quotes", "child", "--role", "headteacher", "-k", "2",
                          "--export", "csv", "--build", str(tiny_build)], cwd=root, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert [r["text"] for r in _csv.DictReader(_io.StringIO(cli.stdout))] == [q["text"] for q in found]
    empty = subprocess.run([sys.executable, "-m", "kg.cli", "quotes", "child", "--source", "no-such-source",
                            "--export", "ris", "--build", str(tiny_build)], cwd=root, capture_output=True, text=True)
    assert empty.returncode == 1 and "nothing to export" in empty.stderr


def test_an_export_without_a_query_takes_every_quote_the_filters_let_through(tmp_path):
    """`ckg quotes --role parent --export csv` is all the parents' words, not the first page of them;
    with a query, the best k (and stderr says how many of how many)."""
    import subprocess
    import sys

    from kg.build import build
    from kg.settings import Settings
    from search_app import create_app

    places = ["the school", "the health visitor", "the youth club", "the breakfast club", "the nurse", "the teacher",
              "the social worker", "the council", "the clinic", "the library", "the playgroup", "the mentor",
              "the housing officer", "the counsellor", "the coach", "the church group", "the GP", "the summer scheme",
              "the holiday club", "the homework club", "the careers adviser", "the dentist", "the police"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "parents.md").write_text("# What parents told us\n\n" + "\n\n".join(
        f"Parents described the support in their own words. One mother said: “I rang {place} on a Monday and by "
        f"Friday someone had come round to help us.” Others agreed." for place in places), encoding="utf-8")
    report = build(Settings.from_env().with_overrides(workers=1), corpus, tmp_path / "build")
    assert report.release_dir is not None
    client = create_app({"BUILD_DIR": str(tmp_path / "build"), "TESTING": True}).test_client()
    assert client.get("/api/quotes?speaker_role=parent&k=100").get_json()["total"] == len(places)
    everyone = client.get("/api/quotes/export?format=csv&speaker_role=parent")     # more than a page (20)
    assert len(list(_csv.DictReader(_io.StringIO(everyone.get_data(as_text=True))))) == len(places)
    best = client.get("/api/quotes/export?format=csv&speaker_role=parent&q=school")  # a query: its best 20
    assert len(list(_csv.DictReader(_io.StringIO(best.get_data(as_text=True))))) == 20
    root = Path(__file__).resolve().parent.parent
    ckg = [sys.executable, "-m", "kg.cli", "quotes", "--build", str(tmp_path / "build"), "--export", "csv"]
    cli = subprocess.run(ckg + ["--role", "parent"], cwd=root, capture_output=True, text=True)
    assert cli.returncode == 0 and len(list(_csv.DictReader(_io.StringIO(cli.stdout)))) == len(places), cli.stderr
    ranked = subprocess.run(ckg + ["school", "-k", "3"], cwd=root, capture_output=True, text=True)
    assert ranked.returncode == 0 and len(list(_csv.DictReader(_io.StringIO(ranked.stdout)))) == 3
    assert f"Exported 3 of the {len(places)} quotes ranked for “school”; -k N exports more" in ranked.stderr


def test_export_refuses_quotes_that_no_longer_match(client):
    library = client.application.extensions["ckg_library"]   # the app's own library
    quote = library.quote(_head_quote(client)["quote_id"])
    original = quote["text"]
    try:
        quote["text"] = original.replace("child", "pupil")     # the source text did not change: the quote did
        response = client.get(f"/api/quotes/export?format=csv&ids={quote['quote_id']}")
        assert response.status_code == 409 and "no longer match" in response.get_json()["error"]["message"]
    finally:
        quote["text"] = original
    assert client.get("/api/quotes/export?format=csv&ids=q-nope").status_code == 400
    twice = _head_quote(client)["quote_id"]
    rows = list(_csv.DictReader(_io.StringIO(client.get(f"/api/quotes/export?format=csv&ids={twice},{twice}").get_data(as_text=True))))
    assert len(rows) == 1       # a quote named twice is exported once
    assert client.get("/api/quotes/export?format=doc&ids=x").status_code == 400


@pytest.mark.browser
def test_the_quote_form_submitted_as_it_opens_filters_by_no_study(browser, live_server):
    # the study menu once opened on the first study without an acronym (an empty name matched its empty
    # acronym; the tiny corpus lists one for the PDF sample), so every search made with the form found 0 quotes
    # acronym; the tiny corpus lists one for the PDF sample), so every search made with the form found 0 quotes.
    # The menu now offers only studies a quote is filed under: none in the tiny corpus, so no menu at all,
    # until the URL chooses one (shown chosen, so the next search keeps it)
    page = browser.new_page()
    page.goto(live_server + "/quotes")
    assert page.locator("#qstudy").count() == 0
    page.locator("#qq").fill("what the child needed")
    page.locator("#qq").press("Enter")
    page.wait_for_load_state()
    assert "whose job it was" in page.locator("#quote-1").inner_text()
    page.goto(live_server + "/quotes?q=trust&study=NECF")
    assert page.locator("#qstudy").input_value() == "necf"
    assert [o.strip() for o in page.locator("#qstudy option").all_inner_texts()][1:] == ["NECF (0)"]
    page.close()


def test_quote_finder_page_basket_and_export(browser, live_server):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(live_server + "/quotes?q=what+the+child+needed")
    first = page.locator("#quote-1")
    assert "whose job it was" in first.inner_text() and "headteacher, quoted in" in first.inner_text()
    # the tiny corpus's text has no page numbers: the card names the section the words stand in instead,
    # as the citation does, rather than leaving a trainer guessing
    section = _json.loads(_urlopen(live_server + "/api/quotes?q=what+the+child+needed&k=1").read())["results"][0]["section"]
    assert section and first.locator(".quote-source .page.section").inner_text() == section
    assert first.locator(".quote-source .page.unknown").count() == 0
    # an empty basket offers no export, only how to fill it
    assert page.locator("#basket-empty").is_visible() and not page.locator("#basket-exports").is_visible()
    first.locator("button.add").click()
    assert page.locator("#basket-count").inner_text() == "1"
    assert first.locator("button.add").inner_text() == "In basket"       # the card says it is held
    # each card's buttons are named with the quote's opening words for screen readers, kept in step
    assert first.locator("button.add").get_attribute("aria-label").startswith("In basket: ")
    assert "whose job" in first.locator("button.copy").get_attribute("aria-label")
    second_add = page.locator("#quote-2 button.add").get_attribute("aria-label")
    assert second_add.startswith("Add to basket: ") and second_add != first.locator("button.add").get_attribute("aria-label")
    assert page.locator("#basket-exports").is_visible() and not page.locator("#basket-empty").is_visible()
    page.goto(live_server + "/quotes?q=what+the+child+needed&k=2&offset=1")     # a later page numbers on
    assert page.locator("ol.quotes").get_attribute("start") == "2" and page.locator("#quote-3").count() == 1
    assert "numbers 2–3 shown" in page.locator("#quote-count").inner_text()
    page.goto(live_server + "/quotes?speaker_role=headteacher")          # the basket survives a new search
    assert page.locator("#basket-count").inner_text() == "1"
    href = page.locator(".export-link[data-format=csv]").get_attribute("href")
    with page.expect_download() as download:
        page.locator(".export-link[data-format=csv]").click()
    assert "whose job it was" in open(download.value.path(), encoding="utf-8").read() and "ids=q-" in href
    assert download.value.suggested_filename == "quotes.csv"
    # one reference per source: the choice reaches every export link and is remembered on the next page
    page.locator("#basket-exports .export-by-source").check()
    assert page.locator(".export-link[data-format=ris]").get_attribute("href").endswith("&group=source")
    with page.expect_download() as download:
        page.locator(".export-link[data-format=ris]").click()
    ris = open(download.value.path(), encoding="utf-8").read()
    assert ris.count("TY  - ") == 1 and "whose job it was" in ris and "ID  - q-" not in ris
    page.goto(live_server + "/quotes?q=child")
    assert page.locator("#export-found .export-by-source").is_checked()
    assert page.locator(".export-found-link[data-format=bibtex]").get_attribute("href").endswith("&group=source")
    page.locator("#export-found .export-by-source").uncheck()
    assert "group=" not in page.locator(".export-found-link[data-format=bibtex]").get_attribute("href")
    assert not page.locator("#basket-exports .export-by-source").is_checked()
    page.goto(live_server + "/quotes?speaker_role=headteacher")
    # a basket kept from an older build holds an id this library lacks: the export says so beside the
    # basket, marks that quote, and the page stays (no raw JSON error page)
    held = page.evaluate("localStorage.getItem('ckg-quote-basket')")
    page.evaluate("""held => localStorage.setItem('ckg-quote-basket',
        JSON.stringify(JSON.parse(held).concat([{id: 'q-000000000000', label: 'gone after a rebuild'}])))""", held)
    page.reload()
    page.locator(".export-link[data-format=ris]").click()
    problem = page.locator("#basket-problem")
    problem.wait_for(state="visible")
    assert "q-000000000000" in problem.inner_text() and "Remove the quotes marked below" in problem.inner_text()
    assert page.locator("#basket-items li.missing").count() == 1 and "/quotes" in page.url
    assert len(errors) == 1 and "status of 400" in errors[0], errors     # the browser logs the refused fetch
    errors.clear()
    page.locator("#basket-items li.missing button.remove").click()
    with page.expect_download() as download:
        page.locator(".export-link[data-format=ris]").click()
    assert "whose job it was" in open(download.value.path(), encoding="utf-8").read()
    page.locator("#basket-clear").click()
    assert page.locator("#basket-count").inner_text() == "0" and not page.locator("#basket-exports").is_visible()
    # something else stored under the basket's key (hand-edited, another version's) is an empty basket,
    # and adding a quote still works (every button threw "items.forEach is not a function")
    for stored in ('{"a": 1}', '"text"', '[1, null, {"label": "no id"}]', "{not json"):
        page.evaluate("stored => localStorage.setItem('ckg-quote-basket', stored)", stored)
        page.reload()
        assert page.locator("#basket-count").inner_text() == "0", stored
        page.locator("#quote-1 button.add").click()
        assert page.locator("#basket-count").inner_text() == "1", stored
    page.locator("#basket-clear").click()
    assert not errors, errors
    # the count says what it counts, and more of the same ranking is one click away
    page.goto(live_server + "/quotes?q=consent&k=1")
    assert "best match for “consent” first" in page.locator("#quote-count").inner_text()
    assert "(the first 1 shown)" in page.locator("#quote-count").inner_text()
    holding = _json.loads(_urlopen(live_server + "/api/quotes?q=consent&k=100").read())
    # counted in what a card shows (the quote and its speaker), not in the sentence introducing the quote
    words = sum("consent" in f"{q.get('speaker') or ''} {q['text']}".lower() for q in holding["results"])
    assert holding["with_words"] == words and 1 <= words < holding["total"]
    assert (page.locator("#quote-with-words").inner_text()
            == f"; {words} hold{'s' * (words == 1)} your words, the rest are near in meaning")
    page.goto(live_server + "/quotes?q=submarine")
    assert page.locator("#quote-with-words").inner_text() == "; none holds your words, all are near in meaning only"
    page.goto(live_server + "/quotes?q=headteacher")     # a speaker alone: no words to hold
    assert page.locator("#quote-with-words").count() == 0
    page.goto(live_server + "/quotes?q=consent&k=1")
    page.locator("#quote-more").click()
    page.wait_for_url("**k=41**")
    assert page.locator(".quote-card").count() == int(page.locator("#quote-count").inner_text().split()[0])
    assert page.locator("#quote-more").count() == 0
    # a misspelt word is named, with the query respelt one click away (filters kept)
    page.goto(live_server + "/quotes?q=what+the+chlid+needed&speaker_role=headteacher")
    assert "“chlid”" in page.locator("#quote-unknown").inner_text()
    page.locator("#quote-did-you-mean").click()
    page.wait_for_url("**q=what+the+child+needed**")
    assert "speaker_role=headteacher" in page.url and page.locator("#quote-unknown").count() == 0
    page.goto(live_server + "/quotes?q=chlid+neded")
    assert "ranked for “child needed”" in page.locator("#quote-unknown").inner_text()
    page.locator("#quote-as-typed").click()
    page.wait_for_url("**respell=0**")
    assert "Did you mean" in page.locator("#quote-unknown").inner_text()
    # by study: the chapter reports NECF and LIW but ties none of its quotes to either, so the menu offers
    # neither; a URL choosing one finds nothing and shows it chosen
    page.goto(live_server + "/quotes?q=consent")
    assert page.locator("#qstudy").count() == 0
    page.goto(live_server + "/quotes?q=consent&study=necf")
    assert page.locator("#qstudy").input_value() == "necf" and page.locator(".quote-card").count() == 0
    # by source: the chapter's quotes, not the practice notes'
    page.select_option("#qstudy", value="")
    page.select_option("#qsource", value="team-around-the-child")
    page.locator(".search-form button[type=submit]").click()
    page.wait_for_url("**source=team-around-the-child**")
    texts = page.locator(".quote-card").all_inner_texts()
    assert any("whose job it was" in t for t in texts) and not any("Consent is the first thing" in t for t in texts)
    # the quotes found, exported whole without a basket; the CSV opens in Excel as UTF-8 (a byte-order mark)
    assert page.locator("#export-found").inner_text().startswith("Export this quote (each checked")   # one quote: not "these 1 quote"
    with page.expect_download() as download:
        page.locator(".export-found-link[data-format=csv]").click()
    assert open(download.value.path(), "rb").read(3) == b"\xef\xbb\xbf"
    rows = list(_csv.DictReader(open(download.value.path(), encoding="utf-8-sig", newline="")))
    assert len(rows) == len(texts) and any("whose job it was" in r["text"] for r in rows) and rows[0]["quote_id"]
    page.goto(live_server + "/quotes")
    assert page.locator("#export-found").count() == 0      # the whole library is no query
    assert not errors, errors
    page.close()


def test_a_pronoun_speaker_takes_the_role_introduced_before():
    text = ("Talking of her son one mother explained, ‘All three of us have worked together.’ "
            "Another described how she worked with project workers for excluded children ‘they talk to you, involve you, ask advice’.")
    first, second = find_quotes(text, "s")
    assert (first.speaker, first.speaker_role) == ("one mother", "parent")
    assert (second.speaker, second.speaker_role) == ("Another parent", "parent")   # not a bare "Another" in a handout


# --- extraction rules, each on text written for the test ---------------------------------------------

def test_role_normalisation_takes_the_head_of_the_phrase():
    assert role_of("a father of three teenagers") == "parent"
    assert role_of("The project’s family worker") == "family support worker"    # one job, two names
    assert role_of("a youth worker") == "practitioner"
    assert role_of("the school welfare officer") == "education welfare officer"     # not a manager, as "officer" alone
    assert role_of("a Lead Analyst from the regional office") == "analyst"
    assert role_of("Strategic group members") == "manager or senior officer"
    assert role_of("the partnership boards") == "manager or senior officer"
    assert role_of("one of the SENCOs") == "SENCO"
    assert role_of("a foster carer") == "carer"


def test_speaker_roles_a_query_asks_to_hear_from():
    assert speaker_roles_in("SENCO quote on sharing information") == ["SENCO"]
    assert speaker_roles_in("what a father said about school meetings") == ["parent"]
    assert speaker_roles_in("quotes from a weary social worker about caseloads") == ["practitioner"]
    assert speaker_roles_in("pupils' own words about the breakfast club") == ["child"]
    assert speaker_roles_in("what did an experienced family support worker say about home visits") == ["family support worker"]   # "say" as well as "said"
    assert speaker_roles_in("quote that a shy pupil settled in at school") == []      # the pupil is the topic
    assert speaker_roles_in("children and families in decisions") == []
    assert speaker_roles_in("quote that the budget was tiny beside what children's services need") == []   # a possessor
    assert speaker_roles_in("children's views on the club") == ["child"]


def test_run_in_block_ends_where_the_narration_resumes():
    text = ("Some services worked differently, as one youth worker explained. I go round to see them at home and you "
            "get to know what’s really going on. It takes time, I don’t pretend it doesn’t. When we turn to the views of "
            "parents and carers a different picture appears.")
    quote = _one(text)
    assert quote.kind == "participant" and quote.speaker_role == "practitioner" and quote.speaker == "one youth worker"
    assert quote.text.startswith("I go round") and quote.text.endswith("doesn’t.")


def test_colon_block_cut_at_a_lost_full_stop():
    text = ("Support carried on after the sessions. One carer told us:\n\n"
            "It helps me a lot and you feel they are on your side all the time. You come out feeling better in yourself "
            "The focus of the service was practical help with housing and benefits for the families it worked with.")
    quote = _one(text)
    assert quote.kind == "participant" and quote.speaker_role == "carer"
    assert quote.text.endswith("in yourself")


def test_block_introduced_by_an_extract_in_the_paragraph_before():
    text = ("Groups lacked experience of running things, as this extract from a grandmother about a youth club shows.\n\n"
            "I tried to get people to come along but I was on my own with it, so I gave up in the end. "
            "Secondly, staff were not trained to support community groups in the areas where children lived.")
    quote = _one(text)
    assert quote.speaker_role == "carer" and quote.text.endswith("in the end.")


def test_cited_authors_and_policy_texts_are_literature():
    text = ("Smith (2001) studied multi-agency panels. Smith suggests that practitioners should "
            "‘keep the child at the centre of every plan they make’. "
            "Brown (1999) looked at schools. He argues that heads must ‘treat every family as a partner in learning’. "
            "The Guidance defines the aim as ‘services which help families before they reach crisis point’. "
            "One headteacher told us: ‘I never thought we would share our budget with social care.’")
    quotes = find_quotes(text, "s")
    kinds = [(q.kind, q.speaker_role) for q in quotes]
    assert kinds == [("literature", None), ("literature", None), ("literature", None), ("participant", "headteacher")]
    assert quotes[0].cited == "Smith (2001)"      # named without a year: as the text cited them before


def test_a_block_quotation_whose_citation_the_text_joined_to_its_last_line():
    """A block quotation ends with its citation on a line of its own, which the cleaned text may join to the
    paragraph, after its last full stop: the paragraph up to the citation is the cited work's words, and one
    opening with a phrase in quote marks is quoted whole, not only that phrase."""
    text = ("Other writers put the point more sharply, as follows.\n\n"
            "What separates one service from another is the purpose it serves. A team that loses sight of that "
            "purpose loses its shape as well. (Harlow, 1987, p. 12)\n\n"
            "The Guidance puts the case with an image:\n\n"
            "‘Mend the roof while the sun shines’. This reflects the idea that small measures taken early spare "
            "families larger troubles later, when help will be harder to give. (DoH 1999:4)\n\n"
            "The panel met monthly and was short-listed for an award in 2009. (It was not funded after 2010)\n\n"
            "Panels of this kind spread quickly across the region in the years that followed. Most met in "
            "schools and drew on the same few practitioners. (Okafor 2015)")
    quotes = find_quotes(text, "s")     # the last paragraph, not introduced, is the author's own, citing its source
    assert [(q.kind, q.cited) for q in quotes] == [("literature", "(Harlow, 1987, p. 12)"), ("literature", "(DoH 1999:4)")]
    assert quotes[0].text.startswith("What separates") and quotes[0].text.endswith("loses its shape as well.")
    assert quotes[1].text.startswith("‘Mend the roof") and quotes[1].text.endswith("harder to give.")


def test_a_pronoun_after_a_block_quote_finds_the_speaker_before_it():
    text = ("One of the secondary headteachers interviewed stressed the value of the family worker:\n\n"
            "“She knew every family on the estate and they trusted her. That made all the difference for us.”\n\n"
            "She also stressed that “you cannot rush it, it takes a whole year to build that trust”. The programme grew.")
    first, second = find_quotes(text, "s")
    assert first.speaker_role == "headteacher" and second.speaker_role == "headteacher"
    assert second.speaker == "One of the secondary headteachers interviewed"   # the person "She" stands for


def test_attribution_after_the_quote():
    text = "Families could rely on the team: “They always ring back when they say they will” (Family Support Worker). Trust grew."
    quote = _one(text)
    assert quote.speaker_role == "family support worker"


def test_answers_listed_after_their_introduction_share_its_speaker():
    text = ("We asked board members what prevention meant. The ways the strategic stakeholders described it are as follows:\n\n"
            "‘stopping problems before they start’\n\n"
            "‘working with the whole family early on, before anybody needs social care’\n\n"
            "Views differed widely.")
    quotes = find_quotes(text, "s")
    assert len(quotes) == 2 and {q.speaker_role for q in quotes} == {"manager or senior officer"}


def test_terms_and_scare_quotes_naming_people_are_not_quotations():
    text = ("Services for children considered to be ‘at risk of significant harm’ were contrasted with "
            "the ‘social situation of development’ of young people in the area.")
    assert find_quotes(text, "s") == []
    assert find_quotes("Board members said the Fund was asked to ‘punch well above its weight’ in the city.", "s") == []


def test_slide_voice_introducing_itself():
    text = ("Working together\n\n"
            "I am a school nurse in a busy team. I see the same children every week and my caseload keeps growing, "
            "but nobody asks me what I think at the meetings.\n\nNext steps")
    quote = _one_slide(text)
    assert quote.speaker_role == "practitioner" and "school nurse" in quote.speaker


def test_a_slide_voice_no_one_is_named_for_is_not_cited_as_quoted():
    # the deck's "I just think that it's all useless…" was cited "(practitioner, quoted in …, slide 15)" in
    # every export: the deck never says whose words they are, so a trainer must not present them as a
    # practitioner's recorded words
    from kg.quote_export import export as export_quotes
    from kg.quotes import harvard_citation

    text = ("Levels of empowerment\n\n"
            "I just think that it is all useless. Whatever I try I get blocked by the team and the family are fed up "
            "with all of the meetings we hold.\n\nNext steps")
    quote = _one_slide(text)
    assert quote.kind == "participant" and quote.unattributed
    deck = {"id": "s", "title": "Collaborative agency", "authors": ["Hughes, Ann"], "year": 2011,
            "type": "presentation slides", "layout": "slides"}
    shown = {**quote.to_dict(), "speaker_role": "practitioner", "page": 15}
    shown["citation"] = harvard_citation(shown, deck)
    assert shown["citation"] == "practitioner, not attributed by the source, in Hughes, 2011, slide 15"
    assert "quoted in" not in export_quotes([shown], {"s": deck}, "markdown", "http://x")
    assert "not attributed by the source" in export_quotes([shown], {"s": deck}, "ris", "http://x", group="source")
    assert export_quotes([shown], {"s": deck}, "csv", "http://x").splitlines()[1].endswith(",not attributed by the source")
    # words a quote mark or an introduction gives a speaker stay quoted
    said = find_quotes("As one parent told us: ‘they talk to you and you can ask them for advice any time’.", "p")
    assert said and not said[0].unattributed


def test_a_quotation_within_a_sentence_is_credited_to_the_citation_closing_the_sentence():
    # the impact case study: "it 'improves our knowledge base' for the implementation of the EC 'social
    # investment package' for children [C10]." was cited as the case study's own words
    text = ("Written for policy-makers and launched in Brussels in May 2013, the report 'improves our knowledge base' "
            "for the implementation of the EC package for children [C10]. It was sent to ministries.")
    (quote,) = find_quotes(text, "s")
    assert quote.kind == "literature" and quote.cited == "[C10]"
    # not a citation of the next sentence or paragraph, nor after a quotation that ends its sentence
    for later in ("Their report calls for ‘better prevention in every area of the work’.\n\n"
                  "A summary of responses is set out in Next Steps (2004a).",
                  "Their report calls for ‘better prevention in every area of the work’. Others "
                  "disagree (Smith 2004)."):
        assert [q.cited for q in find_quotes(later, "s")] == [None], later


def _one_slide(text: str):
    quotes = find_quotes(text, "s", slides=True)
    assert len(quotes) == 1, quotes
    assert text[quotes[0].start:quotes[0].end] == quotes[0].text
    return quotes[0]


def test_exports_carry_the_page_and_a_harvard_citation():
    """A quote on a known page: every export names the page in its citation (the CSV in a column of
    its own, CSL-JSON also as custom.locator), read back with standard parsers; a reference's page
    range holds the source's own pages (a chapter's 123–140), never the quote's, which reference
    managers would take for the item's pages."""
    import bibtexparser
    import jsonschema
    import rispy

    from kg.quote_export import export
    from kg.quotes import harvard_citation

    text = "Page one ends here.\n\nOne mother explained: ‘They ring me back and ask what I think we should do next.’ Done."
    pages = [{"number": 1, "label": None, "start": 0, "end": 20}, {"number": 2, "label": "47", "start": 20, "end": len(text)}]
    quote = find_quotes(text, "jv", pages=pages)[0].to_dict()
    quote["passage_id"] = "jv-0a1b2c3d4e"
    source = {"id": "jv", "title": "Working with families", "authors": ["Jopling, Michael", "Vincent, Sharon"], "year": 2020,
              "type": "book chapter", "venue": "Childhood Well-being", "publisher": "Routledge", "pages": "123–140"}
    quote["citation"] = harvard_citation(quote, source)
    # the job the text gives the speaker ("One mother"), not the role it is filed under (parent)
    assert quote["citation"] == "mother, quoted in Jopling and Vincent, 2020, p. 47"
    sources = {"jv": source}
    rows = list(_csv.DictReader(_io.StringIO(export([quote], sources, "csv"))))
    assert rows[0]["page"] == "47" and rows[0]["citation"] == quote["citation"]
    assert rows[0]["locator"] == "p. 47" and rows[0]["cited"] == ""
    deck = {"jv": dict(source, type="presentation slides")}
    cited = dict(quote, kind="literature", cited="Ledwith (1997: 55)")
    row = next(_csv.DictReader(_io.StringIO(export([cited], deck, "csv"))))
    assert (row["locator"], row["cited"]) == ("slide 47", "Ledwith (1997: 55)")
    ris = rispy.loads(export([quote], sources, "ris", "http://library.example"))[0]
    assert (ris["start_page"], ris["end_page"]) == ("123", "140") and quote["citation"] in ris["notes"]
    assert ris["urls"] == ["http://library.example/sources/jv#jv-0a1b2c3d4e"]
    entry = bibtexparser.parse_string(export([quote], sources, "bibtex", "http://library.example")).entries[0]
    assert entry.fields_dict["pages"].value == "123--140" and entry.entry_type == "incollection"
    assert quote["citation"] in entry.fields_dict["note"].value
    assert entry.fields_dict["url"].value == "http://library.example/sources/jv#jv-0a1b2c3d4e"      # no "\\#"
    items = _json.loads(export([quote], sources, "csl-json"))
    jsonschema.validate(items, {"type": "array", "items": {"type": "object", "required": ["id", "type", "title", "page"],
                                                         "properties": {"page": {"type": "string", "minLength": 1}}}})
    assert items[0]["page"] == "123-140" and items[0]["custom"]["locator"] == "47"
    assert items[0]["author"][0] == {"family": "Jopling", "given": "Michael"}
    # a source with no catalogued pages: no page range at all, the quote's page stays in the citation
    bare = {"jv": {key: value for key, value in source.items() if key != "pages"}}
    assert "start_page" not in rispy.loads(export([quote], bare, "ris"))[0]
    assert "pages" not in bibtexparser.parse_string(export([quote], bare, "bibtex")).entries[0].fields_dict
    assert "page" not in _json.loads(export([quote], bare, "csl-json"))[0]
    assert "p. 47" in export([quote], sources, "markdown")
    # the speaker is said once: the citation opens with the job the speaker's words name ("— One mother, quoted in …")
    def said_by(speaker: str, role: str) -> dict:
        said = dict(quote, speaker=speaker, speaker_role=role)
        return dict(said, citation=harvard_citation(said, source))

    assert "> — One mother, quoted in Jopling" in export([said_by("One mother", "parent")], sources, "markdown")
    # a speaker already named by the role ("one practitioner", "Children") is not followed by it again
    named = said_by("one practitioner", "practitioner")
    assert "> — one practitioner, quoted in Jopling and Vincent, 2020, p. 47" in export([named], sources, "markdown")
    assert "> — Children, quoted in Jopling" in export([said_by("Children", "child")], sources, "markdown")
    assert "> — One social worker, quoted in Jopling" in export([said_by("One social worker", "practitioner")], sources,
                                                                  "markdown")
    assert export([said_by("Parent", "parent")], sources, "markdown").casefold().count("parent") == 1


def test_an_export_grouped_by_source_holds_each_source_once_with_its_quotes_as_notes():
    """A trainer's basket of three quotes from two sources, grouped by source: a reference manager
    gets two references, each with its own quotes as notes in the basket's order (Zotero: one item,
    a child note per quote), read back with standard parsers; the Markdown puts each source's
    reference above its quotes; the CSV keeps a row per quote, gathered source by source."""
    import bibtexparser
    import rispy

    from kg.quote_export import ExportError, export
    from kg.quotes import harvard_citation

    text = ("One mother explained: ‘They ring me back and ask what I think.’ Then a father said: "
            "‘Nobody listened before the project came.’")
    chapter = {"id": "jv", "title": "Working with families", "authors": ["Jopling, Michael", "Vincent, Sharon"],
               "year": 2020, "type": "book chapter", "venue": "Childhood Well-being", "pages": "123–140"}
    report = {"id": "necf", "title": "Prevention report", "authors": ["National Evaluation of the Children's Fund"],
              "year": 2006, "type": "research report"}
    sources = {"jv": chapter, "necf": report}
    mother, father = (q.to_dict() for q in find_quotes(text, "jv"))
    headteacher = find_quotes("As one headteacher put it: ‘We had no idea whose job it was.’", "necf")[0].to_dict()
    for quote in (mother, father, headteacher):
        quote["citation"] = harvard_citation(quote, sources[quote["source_id"]])
    basket = [mother, headteacher, father]         # the sources interleaved, as a basket fills

    records = rispy.loads(export(basket, sources, "ris", "http://library.example", group="source"))
    assert [r["id"] for r in records] == ["jv", "necf"]
    assert len(records[0]["notes"]) == 2 and "They ring me back" in records[0]["notes"][0]
    assert "Nobody listened" in records[0]["notes"][1] and mother["citation"] in records[0]["notes"][0]
    assert records[0]["urls"] == ["http://library.example/sources/jv"] and records[0]["start_page"] == "123"
    assert len(records[1]["notes"]) == 1 and "whose job it was" in records[1]["notes"][0]
    # by quote (the default) the same basket is three references, the chapter twice
    assert [r["id"] for r in rispy.loads(export(basket, sources, "ris"))] == [q["quote_id"] for q in basket]

    library = bibtexparser.parse_string(export(basket, sources, "bibtex", group="source"))
    assert not library.failed_blocks and [e.key for e in library.entries] == ["jv", "necf"]
    note = library.entries[0].fields_dict["note"].value
    assert note.index("They ring me back") < note.index("Nobody listened") and father["citation"] in note

    items = _json.loads(export(basket, sources, "csl-json", "http://library.example", group="source"))
    assert [i["id"] for i in items] == ["jv", "necf"] and items[0]["page"] == "123-140"
    assert [q["quote_id"] for q in items[0]["custom"]["quotes"]] == [mother["quote_id"], father["quote_id"]]
    assert items[0]["custom"]["link"] == "http://library.example/sources/jv"

    markdown = export(basket, sources, "markdown", group="source")
    assert markdown.count("\n## ") + markdown.startswith("## ") == 2
    assert markdown.startswith("## Jopling, M. and Vincent, S. (2020) Working with families.")
    assert markdown.index("They ring me back") < markdown.index("Nobody listened") < markdown.index("## National Evaluation")
    assert markdown.index("## National Evaluation") < markdown.index("whose job it was")

    rows = list(_csv.DictReader(_io.StringIO(export(basket, sources, "csv", group="source").lstrip("\ufeff"))))
    assert [r["quote_id"] for r in rows] == [mother["quote_id"], father["quote_id"], headteacher["quote_id"]]
    with pytest.raises(ExportError, match="group must be one of quote, source"):
        export(basket, sources, "ris", group="work")


def test_export_grouped_by_source_over_http_and_from_the_cli(client, tiny_build):
    found = client.get("/api/quotes?q=child&k=20").get_json()["results"]
    sources = list(dict.fromkeys(q["source_id"] for q in found))
    assert len(found) > len(sources) >= 1
    ids = ",".join(q["quote_id"] for q in found)
    import rispy
    grouped = rispy.loads(client.get(f"/api/quotes/export?format=ris&group=source&ids={ids}").get_data(as_text=True))
    assert [r["id"] for r in grouped] == sources and sum(len(r["notes"]) for r in grouped) == len(found)
    wrong = client.get(f"/api/quotes/export?format=ris&group=work&ids={ids}")
    assert wrong.status_code == 400 and "parameter 'group'" in wrong.get_json()["error"]["message"]
    import subprocess
    import sys
    root = Path(__file__).resolve().parent.parent
    cli = subprocess.run([sys.executable, "-m", "kg.cli", "quotes", "child", "-k", "20", "--export", "ris",
                          "--group", "source", "--build", str(tiny_build)], cwd=root, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert [r["id"] for r in rispy.loads(cli.stdout)] == sources
    alone = subprocess.run([sys.executable, "-m", "kg.cli", "quotes", "child", "--group", "source",
                            "--build", str(tiny_build)], cwd=root, capture_output=True, text=True)
    assert alone.returncode == 2 and "--group" in alone.stderr and "--export" in alone.stderr


def test_a_quote_ending_its_own_sentence_gets_no_second_full_stop_in_any_export():
    """BibTeX's note joins the quote and its citation: a quote ending in ".", "?" or "…’" keeps its own
    mark ("… worker. practitioner, quoted in …", not "worker.."); one without a mark gets a full stop."""
    import bibtexparser
    import rispy

    from kg.quote_export import FORMATS, export

    source = {"id": "s", "title": "Collaborative agency", "authors": ["Smith, Jo"], "year": 2012, "type": "presentation slides"}
    citation = "practitioner, quoted in Smith, 2012, slide 12"

    def note(text: str, **more) -> str:
        quote = {"quote_id": "q-1", "text": text, "speaker": None, "speaker_role": "practitioner", "kind": "participant",
                 "source_id": "s", "passage_id": "s-1", "page": 12, "citation": citation, **more}
        for fmt in FORMATS:
            assert ".." not in export([quote], {"s": source}, fmt).replace("...", ""), fmt
        assert rispy.loads(export([quote], {"s": source}, "ris"))[0]["notes"][0].startswith(text)
        return bibtexparser.parse_string(export([quote], {"s": source}, "bibtex")).entries[0].fields_dict["note"].value

    assert note("I feel like I am an effective community development worker.") == \
        f"I feel like I am an effective community development worker. {citation}"
    assert note("Who listens to me?") == f"Who listens to me? {citation}"
    assert note("She said ‘we ring back.’") == f"She said ‘we ring back.’ {citation}"
    assert note("It takes time…") == f"It takes time… {citation}"
    assert note("It takes time") == f"It takes time. {citation}"
    assert note("It takes time.", speaker="Jo") == f"It takes time. — Jo (practitioner). {citation}"


def test_a_literature_quote_is_cited_as_the_sentence_cites_it():
    from kg.quotes import harvard_citation

    text = ("Powell and Glendinning (2002 p. 3) describe partnership as “the involvement of at least two agencies "
            "with at least some common interests”. It is located in what France and Utting (2005) call the "
            "‘Risk and Protection Paradigm of services’. He observes that ‘only one makes even passing reference to the "
            "influence of the ‘wider social context’ in the development of children’.")
    first, second, third = find_quotes(text, "s")
    assert first.cited == "Powell and Glendinning (2002 p. 3)" and second.cited == "France and Utting (2005)"
    assert third.text.endswith("development of children’")       # the quote inside the quote does not end it
    source = {"id": "s", "title": "A chapter", "authors": ["Jopling, Michael"], "year": 2020}
    # the narrative citation in the form it takes inside brackets: no brackets within brackets
    assert harvard_citation(first.to_dict(), source) == "Powell and Glendinning, 2002, p. 3, quoted in Jopling, 2020"
    from kg.quotes import parenthetical_form
    assert parenthetical_form("France and Utting (2005)") == "France and Utting, 2005"
    assert parenthetical_form("Warmington et al. (2004, p. 7)") == "Warmington et al., 2004, p. 7"
    assert parenthetical_form("CYPU 2001: 37 (the Government department’s definition)") == "CYPU 2001: 37"
    assert parenthetical_form("(Edwards et al, 2006; Evans et al, 2006)") == "Edwards et al, 2006; Evans et al, 2006"
    assert harvard_citation({**second.to_dict(), "cited": "(Smith, 2013)"}, source) == "Smith, 2013, quoted in Jopling, 2020"


def test_he_is_the_author_named_before_not_the_body_cited_in_between():
    # the CHAT article: Jack's words, not the DfES's, though "(DfES, 2005)" is the nearest citation
    text = ("Jack (2006) comes at the question from the side of the area. As Jack observes, a focus on context is "
            "underplayed in current strategies. This is, he argues, illustrated most clearly in the Common Core "
            "introduced by the Department for Education and Skills (DfES) to support multi-agency working (DfES, "
            "2005). He observes that of the 150 areas of skills identified as needed by workers ‘only one makes even "
            "passing reference to the influence of the wider social context’.")
    (quote,) = find_quotes(text, "s")
    assert quote.kind == "literature" and quote.cited == "Jack (2006)"


def test_copy_with_citation_nests_quotation_marks_and_brackets_as_a_writer_would():
    from kg.quotes import copy_with_citation

    said = {"text": "‘All three … It’s “what do you think we should do?”’", "citation": "parent, quoted in Smith, 2020, p. 4"}
    assert copy_with_citation(said) == "“All three … It’s ‘what do you think we should do?’” (parent, quoted in Smith, 2020, p. 4)"
    cited = {"text": "‘only one makes even passing reference’", "citation": "Jack (2006), quoted in [A CHAT view…], n.d., p. 5"}
    assert copy_with_citation(cited) == "“only one makes even passing reference” (Jack 2006, quoted in [A CHAT view…], n.d., p. 5)"


def test_a_slide_deck_is_cited_by_slide_not_page():
    from kg.quotes import harvard_citation, locator

    deck = {"id": "d", "title": "Collaborative agency", "authors": ["Hughes, Ann"], "year": 2011,
            "type": "presentation slides", "layout": "slides"}
    quote = {"kind": "participant", "speaker_role": "practitioner", "page": 9, "page_label": None}
    assert harvard_citation(quote, deck) == "practitioner, quoted in Hughes, 2011, slide 9"
    assert harvard_citation(quote, {**deck, "type": "journal article", "layout": "document"}).endswith(", p. 9")
    assert locator(3, "iii", None) == "p. iii" and locator(None, None, deck) is None
    assert locator(4, None, {"layout": "slides"}) == "slide 4"      # a deck a user added, known by its layout


def test_a_source_without_authors_is_cited_by_its_title_cut_between_words():
    from kg.quotes import author_short, words_inside_marks

    title = "[A CHAT view of resilience in preventing the social exclusion of vulnerable children in England]"
    short = author_short({"id": "x", "title": title, "authors": []})
    assert short == "[A CHAT view of resilience in preventing the social exclusion of vulnerable…]" and len(short) <= 80
    assert author_short({"id": "x", "title": "A short title", "authors": [" "]}) == "A short title"
    assert words_inside_marks("‘All three of us. It’s “what do you think we should do?”’") == \
        "All three of us. It’s “what do you think we should do?”"
    assert words_inside_marks("No marks at all.") == "No marks at all."


@given(st.text(max_size=120))
@settings(max_examples=200, deadline=None)
def test_a_short_title_is_a_start_of_the_title_within_the_limit(title):
    from kg.quotes import short_title

    short = short_title(title)
    assert len(short) <= max(80, len(title) if len(title) <= 80 else 0)
    if len(title) <= 80:
        assert short == title
    else:
        body = short[1:-2] if title.startswith("[") and title.endswith("]") else short[:-1]
        assert short.endswith(("…", "…]")) and title.lstrip("[").startswith(body)


def test_study_named_before_the_quote_or_the_only_one():
    text = ("Programme A worked city-wide.\n\nIn Programme B one of the care workers told us: ‘I knew every family by name.’\n\n"
            "Both Programme A and Programme B used workers in schools. One mother said: ‘They never gave up on us, ever.’")
    first, second = find_quotes(text, "s", studies=["Programme A", "Programme B"])
    assert first.study == "Programme B" and second.study is None      # both named: not clear
    assert find_quotes("One father said: ‘They rang me every single week.’", "s", studies=["NECF"])[0].study == "NECF"
    # the same speaker going on in the next paragraph speaks for the same study; another role does not
    text = ("Programme A worked city-wide.\n\nIn Programme B one headteacher told us:\n\n"
            "“In school we used to work with the child alone, and the parents were not involved at all.”\n\n"
            "She also emphasised that “it gives them the skills and the confidence to do that themselves”. "
            "A parent said that “nobody had ever asked me what I thought before this”.")
    first, second, third = find_quotes(text, "s", studies=["Programme A", "Programme B"])
    assert (first.speaker_role, second.speaker_role, third.speaker_role) == ("headteacher", "headteacher", "parent")
    assert first.study == second.study == "Programme B" and third.study is None


@pytest.mark.browser
def test_a_long_query_without_spaces_does_not_widen_the_page_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 700})
    page = context.new_page()
    for path in ("/quotes?q=", "/search?q="):
        page.goto(live_server + path + "x" * 120)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    # the results come before the filters, which a link above them reaches; the kind facet says a
    # passage may count under several kinds
    page.goto(live_server + "/search?q=trust+between+practitioners")
    first = page.locator("#result-1").bounding_box()
    filters = page.locator("#filters").bounding_box()
    assert first["y"] < filters["y"] and page.locator(".facets-jump a").bounding_box()["y"] < 700
    page.locator(".facets-jump a").click()
    assert page.url.endswith("#filters")
    assert page.locator("#facet-kind .facet-note").inner_text() == "A passage can be of several kinds."
    context.close()
    wide = browser.new_page(viewport={"width": 1280, "height": 800})
    wide.goto(live_server + "/search?q=trust+between+practitioners")
    assert not wide.locator(".facets-jump").is_visible()
    assert wide.locator("#filters").bounding_box()["x"] < wide.locator("#result-1").bounding_box()["x"]
    wide.close()


def test_study_of_a_section_is_the_one_it_names_as_its_evidence_not_one_named_in_passing():
    # the CHAT article: "Participation as a Route to Prevention" opens "Here we draw primarily on evidence
    # gathered during NECF"; its quotes many paragraphs on are NECF's, and a later "like the practitioners
    # we are working with in LIW" is a comparison, not the source of the quote that follows it
    text = ("The Two Studies\n\nWe report NECF and LIW.\n\n"
            "Participation as a Route to Prevention\n\n"
            "Here we draw primarily on evidence gathered during NECF in interviews with 185 children.\n\n"
            "The initiative aimed at preventing exclusion through participation.\n\n"
            "Some practitioners saw the link, as one practitioner explained: ‘I think it’s about having a voice, really.’\n\n"
            "Implications\n\n"
            "Children and families, like the practitioners we are working with in LIW, will need systems that enable "
            "collaboration. As one mother told us: ‘I can’t do it without them, you know.’")
    first, second = find_quotes(text, "s", studies=["NECF", "LIW"])
    assert first.study == "NECF"
    assert second.study is None
    # a study named as the source in the paragraph still claims the quote
    named = find_quotes("In the LIW study we met social workers. As one social worker told us: ‘I can’t do it alone, you know.’",
                        "s", studies=["NECF", "LIW"])
    assert named[0].study == "LIW"


def test_a_repeated_quotation_keeps_the_study_of_its_first_telling():
    # the CHAT article repeats the participation specialist's NECF words in a section without a study
    text = ("Findings\n\nHere we draw on evidence gathered during NECF.\n\n"
            "As one worker who specialised in participation explained: ‘…it’s about building them up, about having a voice, "
            "having confidence, being part of a democracy and buying into things.’\n\n"
            "Implications\n\n"
            "We argue for partnership, like the practitioners we are working with in LIW. To repeat some of what the "
            "participation specialist told us ‘it’s …about having a voice … being part of a democracy and buying into things’. "
            "That matters.")
    first, second = find_quotes(text, "s", studies=["NECF", "LIW"])
    assert first.study == "NECF" and second.study == "NECF"
    # and it says whose words it repeats, so the finder shows the voice once
    assert second.repeats == first.quote_id and first.repeats is None


def test_the_finder_shows_words_quoted_twice_once(seed_build):
    """The CHAT article quotes the participation specialist twice, whole (p. 10) and abridged (p. 13): a
    trainer asking for those words gets one of the two, with the total counting the voice once."""
    from kg.library import Library

    library = Library(seed_build)
    pairs = [(q["quote_id"], q["repeats"]) for q in library.quotes() if q.get("repeats")]
    assert pairs, "the seed article's repeated quotation"
    repeat, original = pairs[0]
    found = library.search_quotes("about having a voice, being part of a democracy and buying into things", k=10)
    shown = [q["quote_id"] for q in found["results"]]
    assert (repeat in shown) != (original in shown)
    assert found["total"] == len(library.quotes()) - len(pairs)
    assert len(library.search_quotes("", k=1000)["results"]) == len(library.quotes())     # browsing lists every telling


def test_a_citation_after_an_editorial_remark_is_the_quotes_citation():
    # the CHAT article: "Moran and Ghate, for example, … concluded that … ‘causes of problems experienced by parents
    # and children’ (their emphasis) (Moran and Ghate, 2005)" was cited as "Moran", the surname alone
    text = ("Moran and Ghate, for example, in their review of parenting support schemes concluded that funding is needed "
            "to investigate the ‘causes of problems experienced by parents and children’ (their emphasis) (Moran and Ghate, 2005). "
            "Jack (2006) comes at it from another angle.")
    quote = _one(text)
    assert quote.kind == "literature" and quote.cited == "(Moran and Ghate, 2005)"
    quote = _one("Policy speaks of ‘a shift to prevention in every single service’ (emphasis added) (DfES, 2004).")
    assert quote.cited == "(DfES, 2004)"


def test_a_citation_of_year_and_page_alone_takes_the_person_the_sentence_names():
    # the NECF report: "Margaret Hodge, Minister for …, said that the Bill introduces “A shift to prevention while
    # strengthening protection” (2004:3)" was cited as "(2004:3)", with no one to cite
    text = ("Margaret Hodge, Minister for Children, Young People and Families, said that the Bill introduces "
            "“A shift to prevention while strengthening protection” (2004:3). The drawing together of outcomes moves the focus.")
    quote = _one(text)
    assert quote.kind == "literature" and quote.cited == "Margaret Hodge (2004:3)"
    # no person named as the speaker: the citation stays as written
    quote = _one("Next Steps reports that the Bill introduces “a shift to prevention while strengthening protection” (2004:3).")
    assert quote.cited == "(2004:3)"


def test_a_service_user_is_a_speaker_in_the_role_the_text_gives():
    # the NECF report: "One service user told us:" gave no speaker and the role "other"; then "parent",
    # which the text does not say (a service user may be a young person): the role is "service user"
    text = ("Services were signposting their users to other services. One service user told us: \n\n"
            "It’s like a springboard here to go and do other things. You get a lot of support across the board.\n\n"
            "The focus on universal intervention informed the work of a service.")
    quote = _one(text)
    assert quote.speaker == "One service user" and quote.speaker_role == "service user"
    assert role_of("the service users we interviewed") == "service user" and roles_in("what service users said") == ["service user"]
    assert role_of("the parents of service users") == "parent"


def test_a_slide_voice_is_not_named_from_inside_its_words_nor_from_a_slide_line_that_introduces_no_one():
    # the slides: "I really love my job … I feel like I am an effective community development worker." was
    # given the speaker "an effective community development worker", taken from its own last sentence
    text = ("Our individual identities will affect the group or team’s collective professional identity\n\n"
            "I really love my job because I think that I can do things well. The families I work with all like me. "
            "I fit well into the team. I feel like I am an effective community development worker.\n\n"
            "Tool Purpose Location")
    quotes = [q for q in find_quotes(text, "s", slides=True) if q.kind == "participant"]
    assert len(quotes) == 1
    assert quotes[0].speaker is None and quotes[0].speaker_role == "practitioner"     # a voice telling of its job and team
    # a voice that opens by introducing itself is still named so
    text = ("Multiple factors will enable and constrain our agency.\n\n"
            "I am a social worker in a team around the child. I have been assigned to work as the lead professional. "
            "People seem to listen to the teacher more than they do to me.")
    quote = [q for q in find_quotes(text, "s", slides=True) if q.kind == "participant"][0]
    assert quote.speaker == "a social worker" and quote.speaker_role == "practitioner"


def test_a_speaker_group_of_parents_and_carers_is_one_group_in_the_parent_role():
    # the CHAT article: "While parents and carers did not say … A typical response was: ‘It is hard for me …’" gave
    # the speaker "carers" and the role carer only, so asking for parents' words missed it
    text = ("While parents and carers did not say that they were struggling, they did observe that it was not easy to "
            "engage. A typical response was: ‘It is hard for me to get more involved because I work split shifts and things, "
            "it is difficult’. In those circumstances giving up time could not be a priority.")
    quote = _one(text)
    assert quote.speaker == "parents and carers" and quote.speaker_role == "parent"
    assert role_of("mothers or fathers") == "parent" and role_of("a mother of two children") == "parent"


def test_a_quotation_introduced_by_a_body_or_a_title_with_its_year_credits_that_work():
    """"A recent report of the Northfield Research Unit (2004), …, finds that:" and "The Green Paper,
    Every Family Counts (2003), calls for …:" introduce quotations from those works: with the citation
    finder's reading they are credited to them, and a ready citation says "quoted in"; an author–year
    the quote finder read itself stays as it was, and a phrase in quote marks inside a sentence citing
    an Act is not credited to the Act."""
    from kg.citations import analyse_document
    from kg.quotes import credit_cited_works, harvard_citation

    text = ("Introduction\n\nThere is no consensus about what prevention is. A recent report of the Northfield Research "
            "Unit (2004), Refocusing Services Towards Prevention: Lessons from the Literature, finds that:\n\n"
            "One person’s prevention is another person’s intervention. There is much confusion over the term. (p. 18).\n\n"
            "The Government Green Paper, Every Family Counts (2003), calls for ‘better prevention’:\n\n"
            "We need to tackle the key drivers of poor outcomes, including poverty and poor schooling.\n\n"
            "As Okafor (2015) argues, “partnership is learnt in the doing of it, not in the planning”.\n\n"
            "In the discourse surrounding the Family Services Act 1990, services were contrasted with services for "
            "children considered to be ‘at risk of very significant harm’.\n\n"
            "References\n\nNorthfield Research Unit (2004) Refocusing Services Towards Prevention: Lessons from the "
            "Literature. Leeds: NRU.\n\nDepartment for Families (2003) Every Family Counts. London: HMSO.\n\n"
            "Okafor, T. (2015) Learning Partnership. Leeds: Northway Press.\n\n"
            "Department of Health (1990) The Family Services Act. London: HMSO.\n")
    quotes = [q for q in find_quotes(text, "report") if q.kind == "literature"]
    by_start = {q.text.strip("“”‘’'\" ")[:20]: q for q in quotes}
    before = {k: q.cited for k, q in by_start.items()}
    citations = analyse_document(text)["citations"]
    credited = credit_cited_works(quotes, {"report": citations})
    cited = {k: q.cited for k, q in by_start.items()}
    # the page the block quotation gives after its words, "(p. 18).", goes with the work it credits
    assert cited["One person’s prevent"] == "Northfield Research Unit (2004: 18)"
    assert by_start["One person’s prevent"].text.rstrip().endswith("over the term.")
    assert cited["We need to tackle th"] == "Every Family Counts (2003)"
    assert before["partnership is learn"] == cited["partnership is learn"] and "Okafor" in cited["partnership is learn"]
    # a phrase in quote marks inside a sentence that also cites an Act is not the Act's words
    assert "at risk of very sign" in cited and cited["at risk of very sign"] is None
    assert any(c["surface"] == "Family Services Act 1990" for c in citations)
    assert credited == sum(1 for k in cited if cited[k] != before[k]) == 2
    source = {"id": "report", "title": "A Report", "authors": ["Ann Author"], "year": "2006"}
    quote = by_start["One person’s prevent"].to_dict()
    assert harvard_citation(quote, source).startswith("Northfield Research Unit, 2004: 18, quoted in ")


def test_browsing_the_quotes_puts_participants_words_first(seed_build):
    """No query: the voices of participants, then quotations of published and policy texts, each in
    the library's order (sources as catalogued, then place in the text)."""
    from kg.library import Library

    library = Library(seed_build)
    browsed = library.search_quotes("", k=1000)["results"]
    kinds = [q["kind"] for q in browsed]
    assert len(browsed) == len(library.quotes()) and {"participant", "literature"} <= set(kinds)
    assert kinds == sorted(kinds, key=lambda kind: kind != "participant")
    order = [s["id"] for s in library.sources()]
    for kind in ("participant", "literature"):
        of_kind = [q for q in browsed if q["kind"] == kind]
        assert of_kind == sorted(of_kind, key=lambda q: (order.index(q["source_id"]), q["start"]))


def test_a_quote_holding_the_querys_words_in_their_order_ranks_higher():
    """A half-remembered fragment ("whose job") is best matched by the quote holding its words side
    by side: the share of the query's word pairs a quote holds adds to its score."""
    from kg.index.search import _pairs_held

    held = _pairs_held("whose job it was", ["We stopped asking whose job it was and started asking",
                                            "I really love my job because it was new", "Nothing here"])
    assert held.tolist() == [1.0, 1 / 3, 0.0]
    assert _pairs_held("trust", ["trust matters"]).tolist() == [0.0]      # one word: no pair to hold
    assert _pairs_held("Whose JOB?", ["“whose job” — she asked"]).tolist() == [1.0]


@pytest.mark.browser
def test_copy_with_citation_says_copied_only_when_it_copied(browser, live_server):
    """On localhost (a secure context) the clipboard takes the quote with its citation and the button
    says so; where the page cannot copy (no clipboard API, the copy command refused, as on a plain
    http address that is not localhost) the text is shown selected with the button saying it was
    not copied, never a false "Copied"."""
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.goto(live_server + "/quotes?q=what+the+child+needed")
    button = page.locator("#quote-1 button.copy")
    wanted = button.get_attribute("data-copy")
    button.click()
    page.wait_for_function("document.querySelector('#quote-1 button.copy').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == wanted and "quoted in" in wanted
    context.close()
    context = browser.new_context()
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});"
                            "document.execCommand = function () { return false; };")
    page = context.new_page()
    page.goto(live_server + "/quotes?q=what+the+child+needed")
    button = page.locator("#quote-1 button.copy")
    button.click()
    assert button.inner_text() == "Not copied: select and copy the text below"
    shown = page.locator("#quote-1 textarea.copy-fallback")
    assert shown.input_value() == button.get_attribute("data-copy")
    assert page.evaluate("document.activeElement.classList.contains('copy-fallback')")
    context.close()


def test_titles_terms_lists_and_page_references_are_not_quoted_words():
    """What quote marks or a colon set off that is not somebody's words: a title, a term the text
    names, the first item of a list a colon opens; a page reference closing a block quotation is
    the citation's, not the quotation's."""
    titled = ("Joined-up delivery is discussed in depth in the recent NECF report: ‘Collaboration for the Social "
              "Inclusion of Children and Young People’ (NECF, 2004b). Multi-agency working is seen to be necessary.")
    assert find_quotes(titled, "s") == []
    named = ("Key concepts are the ‘object of activity’ and the ‘social situation of development’. Often referred to "
             "as ‘third generation activity theory’ (Daniels, 2002) it provides a framework.")
    assert [q.text for q in find_quotes(named, "s", terms={"social situation of development"})] == []
    listed = ("We drew on Smith’s framework. Smith (2013) emphasised four factors:\n\nestablishing a common sense of purpose"
              "\n\nmediation between different interests\n\nacknowledging conflict and complexity\n\nThis framework helped us.")
    assert find_quotes(listed, "s") == []
    paged = ("A recent report of the Dartington Social Research Unit (2004) finds that:\n\nOne person’s prevention is another "
             "person’s intervention. No single definition can be counted on as definitive. (p. 18).\n\nThe report concludes.")
    (quote,) = find_quotes(paged, "s")
    assert quote.text.endswith("counted on as definitive.") and quote.cited_page == "18"
    # the build credits the work the introduction cites, with that page
    from kg.quotes import credit_cited_works
    surface = "Dartington Social Research Unit (2004)"
    at = paged.index(surface)
    citation = {"start": at, "end": at + len(surface), "surface": surface, "key": None, "sentence_start": 0,
                "sentence_end": paged.index(":") + 1}
    assert credit_cited_works([quote], {"s": [citation]}) == 1 and quote.cited == "Dartington Social Research Unit (2004: 18)"
    described = ("The initiative was described by the DfES as engaging children and families in the ‘design, delivery and "
                 "evaluation of services’. (Edwards et al, 2006). The government took a service-led view.")
    (quote,) = find_quotes(described, "s")
    assert quote.kind == "literature" and quote.cited == "DfES"
    # words in quote marks that are a sentence somebody said stay quotations, titled or not
    said = "As one parent told us, ‘They Ring Me Back And Ask What I Think.’ It made a difference."
    assert [q.speaker_role for q in find_quotes(said, "s")] == ["parent"]


def test_a_policy_text_named_as_the_sentence_s_subject_is_credited():
    """"The Children’s Fund Guidance likens … “…”": the words are the Guidance's, and the quote says so;
    a sentence that names no document keeps its quote uncredited rather than guessed."""
    text = ("It is in this context that the Fund came into being (CYPU 2001:7).\n\nThe Children’s Fund Guidance likens the "
            "journey from birth to adulthood to a game of snakes and ladders, in which the role of preventative services "
            "is “to provide more ladders and reduce the number of snakes”. A less playful metaphor follows.")
    (quote,) = find_quotes(text, "s")
    assert quote.kind == "literature" and quote.cited == "Children’s Fund Guidance"
    vague = "The policy aims to reduce harm, and the report says services must be “joined up at every level of the system”."
    (quote,) = find_quotes(vague, "s")
    assert quote.kind == "literature" and quote.cited is None


def test_the_decks_unattributed_voices_say_so_on_the_card_and_in_the_api(seed_build):
    # the slides' first-person paragraphs name no speaker: the card, the API and the citation say so
    from search_app import create_app

    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    found = client.get("/api/quotes?q=whatever I try I get blocked&speaker_role=practitioner").get_json()["results"]
    useless = next(q for q in found if q["text"].startswith("I just think that it’s all useless"))
    assert useless["unattributed"] and "not attributed by the source, in" in useless["citation"]
    assert not any(q["unattributed"] for q in found if q["source_id"] != "collaborative-agency-slides")
    html = client.get("/quotes?q=whatever I try I get blocked&speaker_role=practitioner").get_data(as_text=True)
    card = html.split(f'data-quote-id="{useless["quote_id"]}"', 1)[1].split("</li>", 1)[0]
    assert 'class="unattributed"' in card and "quoted in" not in card
    assert "perhaps an illustrative example" in card     # a trainer is warned before putting it on a slide as evidence


def test_a_voice_speaking_as_we_after_an_aim_is_someones_words_not_a_document_and_a_passive_names_no_speaker():
    """"one of the aims of the project has been to integrate these children ‘into the new society … we have
    different habits’": no document is named or dated and the words say "we", so they are someone's voice
    (a participant, speaker not named), not a quoted text; "the children are encouraged to play" before
    does not make the children its speakers (a passive's subject says nothing)."""
    text = ("The children are encouraged to play freely and to use the library.\n\nAs many of the users are new "
            "arrivals, one of the aims of the project has been to integrate these children ‘into the new society, "
            "because they come from a different country, we have different habits’.")
    (quote,) = find_quotes(text, "s")
    assert quote.kind == "participant" and quote.speaker is None and quote.speaker_role == "other"
    # a dated policy text speaking as "we" stays the policy's words
    dated = ("The Government Green Paper, Every Child Matters (2003), aims at ‘better prevention’: ‘we need to tackle "
             "the key drivers of poor outcomes, including poverty and poor schooling’.")
    assert all(q.kind == "literature" for q in find_quotes(dated, "s"))


def test_a_quoted_text_the_source_does_not_credit_is_cited_as_quoted_in_the_source():
    from kg.quotes import harvard_citation

    source = {"id": "report", "authors": ["Edwards, Anne"], "year": 2006, "type": "research report"}
    proverb = {"kind": "literature", "cited": None, "page": 4, "text": "‘Better a fence at the top of the cliff’"}
    assert harvard_citation(proverb, source) == "quoted in Edwards, 2006, p. 4"


def test_a_speaker_the_library_never_quotes_is_said_and_common_words_alone_do_not_hold_a_query(client, library, tiny_build):
    """"quotes from police officers": no quote is from one, so the finder says its practitioners come
    first as the role's other speakers (the API's speaker_role=teacher too); a role's general name
    ("practitioners") or a job a quote's speaker is ("head teacher") says nothing. A quote holds the
    query's words when it holds at least half of them by rarity, not one common word."""
    data = library.search_quotes("quotes from police officers", k=3)
    assert data["speakers_not_quoted"] == ["police officers"]
    assert data["message"].startswith("The library quotes no “police officers”") and "practitioner" in data["message"]
    # a job named alone, as a trainer types it, asks for its speakers too (it was read as a topic)
    for alone in ("police officers", "attendance officer"):
        assert library.search_quotes(alone, k=3)["speakers_not_quoted"] == [alone], alone
    for query in ("quotes from practitioners", "what did head teachers say", "what did a social worker say"):
        assert library.search_quotes(query, k=3)["speakers_not_quoted"] == [], query
    api = client.get("/api/quotes?speaker_role=teacher").get_json()
    assert api["filters"] == {"speaker_role": "practitioner"} and api["speakers_not_quoted"] == ["teacher"]
    assert "The library quotes no “teacher”" in api["message"]
    assert client.get("/api/quotes?speaker_role=practitioners").get_json()["speakers_not_quoted"] == []
    searcher = library.searcher
    one = [q for q in library.quotes() if "whose job" in q["text"]]
    assert searcher._quotes_holding(one, "whose job it was") == 1
    assert searcher._quotes_holding(one, "whose ledger zebra quilt") == 0      # one word of four
    # the CLI says it as the page does, and names no speaker "other" or "literature"
    from kg.cli import _speaker_line

    result = subprocess.run([sys.executable, "-m", "kg.cli", "quotes", "zebra ledger trusted", "--build", str(tiny_build),
                             "-k", "1", "--no-respell"], cwd=Path(__file__).resolve().parent.parent,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "No quote holds your words: these are only near in meaning." in result.stdout
    assert _speaker_line({"kind": "literature", "speaker_role": None}) == "quoted text"
    assert _speaker_line({"kind": "participant", "speaker": None, "speaker_role": "other"}) == "speaker not named"
    assert _speaker_line({"kind": "participant", "speaker": "One mother", "speaker_role": "parent"}) == "One mother [parent]"


def test_a_quotes_id_survives_an_edit_elsewhere_in_its_document():
    """A trainer's saved basket outlives a typo fixed on page 1 and `ckg add --replace`: the id is the
    quote's words and which telling of them it is, not where they stand; a second telling has its own."""
    text = "One mother said: “They asked me before they told the school anything.”"
    (before,) = find_quotes(text, "s")
    (after,) = find_quotes("A sentence added at the start, with a typo fixed.\n\n" + text, "s")
    assert before.start != after.start and before.quote_id == after.quote_id
    twice = find_quotes(text + "\n\nLater, one mother said again: “They asked me before they told the school anything.”", "s")
    assert len(twice) == 2 and twice[0].quote_id == before.quote_id and twice[1].quote_id != before.quote_id


def test_a_quote_from_a_source_without_page_numbers_is_cited_by_its_section(seed_build, browser):
    """The NECF report and the chapter carry no page numbers as the library holds them: their quotes were
    cited "(mother, quoted in National Evaluation of the Children's Fund, n.d.)", no way to find the words.
    Now the citation, the API, the CSV export and the quote finder's page name the section they stand in
    ("section 3.4", or the heading itself where it has no number); a paged source keeps its page."""
    from kg.library import Library
    from kg.quote_export import export as export_quotes
    from kg.quotes import section_locator

    from conftest import _serve

    assert section_locator("3.4 Service-specific understandings of prevention") == "section 3.4"
    assert section_locator("4.1. Balancing current need with prevention") == "section 4.1"
    assert section_locator("Trust") == "section ‘Trust’" and section_locator("The four levels of prevention –") == \
        "section ‘The four levels of prevention’"
    assert section_locator("References") is None and section_locator("") is None and section_locator(None) is None
    library = Library(seed_build)
    quotes = library.quotes()
    necf = [q for q in quotes if q["source_id"] == "necf-prevention-report"]
    assert necf and all(q["page"] is None and q["section"] for q in necf)
    mother = next(q for q in necf if "bereavement counselling for the children" in q["text"])
    assert mother["section"].startswith("3.4 ") and mother["citation"].endswith("n.d., section 3.4")
    paged = next(q for q in quotes if q["page"] is not None)
    assert paged["section"] is None and "section" not in paged["citation"]
    rows = list(_csv.DictReader(_io.StringIO(export_quotes([mother], {s["id"]: s for s in library.sources()}, "csv").lstrip("\ufeff"))))
    assert rows[0]["locator"] == "section 3.4" and rows[0]["page"] == ""
    for base in _serve(seed_build, "ckg-seed-section-server"):
        answer = _json.loads(_urlopen(f"{base}/api/quotes?q=bereavement+counselling+for+the+children&k=1").read())
        assert answer["results"][0]["section"].startswith("3.4 ")
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"{base}/quotes?q=bereavement+counselling+for+the+children")
            first = page.locator(".quote-source").first
            assert first.locator(".page.section").inner_text().startswith("3.4 Service-specific")
            assert first.locator(".page.unknown").count() == 0
        finally:
            context.close()


def test_cite_this_definition_names_the_section_where_the_source_has_no_page_numbers():
    from search_app.conceptdata import cite_definition

    report = {"id": "r", "title": "A report", "authors": ["Northfield Research Unit"], "type": "research report"}
    assert cite_definition(report, None, None, section="3.2 Understandings of prevention")["in_text"] == \
        "(Northfield Research Unit, n.d., section 3.2)"
    assert cite_definition(report, 7, None, section="3.2 Understandings of prevention")["in_text"] == \
        "(Northfield Research Unit, n.d., p. 7)"       # a page, where there is one, wins
    assert cite_definition(report, None, None)["in_text"] == "(Northfield Research Unit, n.d.)"
