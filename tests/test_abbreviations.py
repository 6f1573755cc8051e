"""Abbreviations the library spells out: read from "long form (SF)" at build time, searched in either form."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.index.abbreviations import ABBREVIATIONS_FILE, Abbreviations, find_abbreviations, holds_form
from kg.library import Library


def test_definitions_in_brackets_are_read_and_what_only_looks_like_one_is_not():
    found = find_abbreviations([
        "Anne's work for the Children's Workforce Development Council (CWDC) was cited.",
        "A Department for Education and Skills (DfES) report; the Network of Experts on Social Aspects of "
        "Education and Training (NESET) and a Cultural-Historical Activity Theory (CHAT) view.",
        "Early Learning Parental Partnership (Department for Children, Schools and Families (DCSF)",
        # a funder after a title, a name, a page and a word in brackets: no definitions
        "[S3] PSE - Preventing Social Exclusion in Secondary Schools (ESRC)",
        "as Edwards argues (Ledwith) and in the tables (S4) and the toolkit (Tools).",
    ])
    assert found == {
        "CWDC": "Children's Workforce Development Council",
        "CHAT": "Cultural-Historical Activity Theory",
        "DCSF": "Department for Children, Schools and Families",
        "DfES": "Department for Education and Skills",
        "NESET": "Network of Experts on Social Aspects of Education and Training",
    }


def test_the_long_form_stops_at_the_word_of_the_last_letter_and_the_most_frequent_wins():
    found = find_abbreviations(["the Local Government Association project (LGA)", "the Local Government Association (LGA)",
                                "a Local Government Agency (LGA)"])
    assert found == {"LGA": "Local Government Association"}


def test_a_query_asks_for_either_form():
    table = {"CWDC": "Children's Workforce Development Council", "DfES": "Department for Education and Skills"}
    forms_asked = Abbreviations(table).forms_asked
    assert forms_asked("what did the CWDC fund") == {"CWDC": "Children's Workforce Development Council"}
    assert forms_asked("a DFES report") == {"DFES": "Department for Education and Skills"}     # in capitals
    assert forms_asked("reports for the children’s workforce development council") == {
        "Children's Workforce Development Council": "CWDC"}
    # lower case is a word, not the abbreviation; a long form asked with its abbreviation adds nothing
    assert forms_asked("cwdc") == {}
    assert forms_asked("the Department for Education and Skills (DfES)") == {"DfES": "Department for Education and Skills"}
    assert Abbreviations({}).forms_asked("anything") == {}
    assert holds_form("The Children’s Workforce Development Council's remit", "children's workforce development council")
    assert not holds_form("the Councils", "Council")


_LETTERS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@given(_LETTERS)
def test_any_text_gives_definitions_whose_letters_begin_its_words(text):
    for short, spelt in find_abbreviations([text]).items():
        initials = [w[0].casefold() for w in spelt.replace("-", " ").split() if w[0].isalnum()]
        letters = iter(initials)
        assert all(any(c == i for i in letters) for c in (c.casefold() for c in short if c.isalnum())), (short, spelt)
        assert Abbreviations({short: spelt}).forms_asked(short) == {short: spelt}


def test_a_query_in_one_form_finds_the_passage_using_the_other_and_says_so(graph_build):
    library = Library(graph_build)
    table = json.loads((graph_build / "current" / "index" / ABBREVIATIONS_FILE).read_text(encoding="utf-8"))
    assert table["NECF"] == "National Evaluation of the Children’s Fund"
    assert json.loads((graph_build / "current" / "index" / "manifest.json").read_text(encoding="utf-8"))["abbreviations"] == len(table)
    # passages naming the NECF only by its abbreviation are found by its long form, and say why
    asked = "National Evaluation of the Children's Fund"

    def abbreviated_only(found: Library) -> dict[str, int]:
        """passage id → rank, of the passages holding "NECF" and not the words of its long form"""
        return {r["passage_id"]: rank for rank, r in enumerate(found.search(asked, k=10, mode="bm25").results)
                if "NECF" in r["text"] and "Evaluation" not in r["text"]}

    ranks = abbreviated_only(library)
    assert len(ranks) == 2
    results = library.search(asked, k=10, mode="bm25").results
    assert all({"word": "NECF", "for": "National Evaluation of the Children’s Fund"} in r["why"]["abbreviations"]
               and "NECF" in r["highlights"] for r in results if r["passage_id"] in ranks)
    # and the other way: the abbreviation asked, the long form highlighted as the passage writes it
    spelt = library.search("what did the NECF follow", k=10, mode="bm25").results
    defining = next(r for r in spelt if "National Evaluation of the Children’s Fund (NECF)" in r["text"])
    assert {"word": "National Evaluation of the Children’s Fund", "for": "NECF"} in defining["why"]["abbreviations"]
    assert "National Evaluation of the Children’s Fund" in defining["highlights"]
    # without the abbreviations they rank lower: only a word or two of the query's ("National", "child's") are theirs
    off = Library(graph_build, library.settings.with_overrides(abbreviation_weight=0))
    before = abbreviated_only(off)
    assert all(ranks[p] < before.get(p, 10) for p in ranks) and sorted(ranks.values()) == [0, 2]


@pytest.mark.browser
def test_the_search_page_says_which_form_of_an_abbreviation_a_passage_uses(browser, graph_server):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(graph_server + "/search?mode=bm25&q=" + quote("National Evaluation of the Children's Fund"))
    result = page.locator(".result", has_text="distributed expertise").first
    result.locator("details.why summary").click()
    said = result.locator(".why-abbreviations").inner_text()
    assert said == "Your words as the sources abbreviate or spell them out: NECF (for “National Evaluation of the Children’s Fund”)", said
    assert "NECF" in result.locator(".result-text mark").all_inner_texts()
    assert not errors, errors
    page.close()


def test_the_search_api_gives_the_other_form_and_its_highlight(graph_build):
    from search_app import create_app

    client = create_app({"BUILD_DIR": str(graph_build), "TESTING": True}).test_client()
    answer = client.get("/api/search", query_string={"q": "what did the NECF follow", "mode": "bm25"})
    assert answer.status_code == 200
    spelt = next(r for r in answer.get_json()["results"] if "National Evaluation of the Children’s Fund (NECF)" in r["text"])
    assert {"word": "National Evaluation of the Children’s Fund", "for": "NECF"} in spelt["why"]["abbreviations"]
    assert "National Evaluation of the Children’s Fund" in spelt["highlights"]


# --- abbreviations of a concept's name become its labels --------------------------------------------

def _concepts() -> dict:
    from kg.concepts import Concept

    return {
        "multi-agency-working": Concept("multi-agency-working", "u:maw", "multi-agency working",
                                        alt_labels=["team around the child"]),
        "childrens-fund": Concept("childrens-fund", "u:cf", "Children's Fund"),
        "community-of-practice": Concept("community-of-practice", "u:cop", "community of practice"),
        "cultural-historical-activity-theory": Concept("cultural-historical-activity-theory", "u:chat",
                                                       "Cultural-Historical Activity Theory", alt_labels=["CHAT"]),
        "prevention-of-social-exclusion": Concept("prevention-of-social-exclusion", "u:pse",
                                                  "preventing social exclusion"),
    }


def _passage(n: int, text: str, start: int = 0) -> dict:
    return {"passage_id": f"doc-{n}", "source_id": "doc", "text": text, "start": start, "page": 3, "page_label": "3"}


def test_an_abbreviation_the_texts_give_a_concepts_whole_name_becomes_its_label():
    from kg.concepts import ConceptMatcher, abbreviated_labels, add_found_labels

    concepts = _concepts()
    passages = [
        _passage(0, "Each school had a Team Around the Child (TAC) and a community of practice (CoP).", 100),
        _passage(1, "The TAC met weekly. A cop car passed. The CoP met monthly. The Team Around the Child (TAC) again."),
        _passage(2, "The National Evaluation of the Children's Fund (NECF) and Cultural-Historical Activity Theory (CHAT)."),
        _passage(3, "Preventing Social Exclusion (PSE) was a study."),
    ]
    found = abbreviated_labels(passages, concepts, taken=["PSE", "Preventing Social Exclusion"])
    # NECF's long form only holds a label; CHAT is a label already; PSE is a study's name
    assert sorted(found) == ["community-of-practice", "multi-agency-working"]
    tac = found["multi-agency-working"]
    assert tac == [{"label": "TAC", "long_form": "Team Around the Child", "source_id": "doc", "passage_id": "doc-0",
                    "start": 118, "end": 145, "page": 3, "page_label": "3"}]      # where it is first spelt out
    assert passages[0]["text"][tac[0]["start"] - 100:tac[0]["end"] - 100] == "Team Around the Child (TAC)"
    add_found_labels(concepts, found)
    assert concepts["multi-agency-working"].alt_labels == ["team around the child", "TAC"]
    mentions = ConceptMatcher(concepts).find(passages[1]["text"])
    assert [m["surface"] for m in mentions] == ["TAC", "CoP", "Team Around the Child", "TAC"]   # not "cop"
    assert abbreviated_labels(passages, _concepts(), taken=[]).keys() >= {"prevention-of-social-exclusion"}


def test_a_document_that_abbreviates_a_concepts_name_links_its_passages_by_the_abbreviation(tiny_build):
    """tests/data/tiny/team-around-the-child.txt spells out "Team Around the Child (TAC)" (an alt label
    of multi-agency working) once and later says only "the TAC"."""
    library = Library(tiny_build)
    concept = library.concepts()["multi-agency-working"]
    assert "TAC" in concept["alt_labels"]
    assert [f["label"] for f in concept["found_labels"]] == ["TAC"]
    using = [p for p in library.passages() if "TAC" in p["text"] and "Team Around the Child (TAC)" not in p["text"]]
    assert using and all("multi-agency-working" in library.passage_concepts(p["passage_id"]) for p in using)
    rows = library.sparql("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/common-knowledge/concept/multi-agency-working> skos:altLabel "TAC"@en } }
    """).dicts()
    assert [r["g"] for r in rows] == ["https://w3id.org/common-knowledge/graph/source/team-around-the-child"]

    from search_app import create_app

    client = create_app({"BUILD_DIR": str(tiny_build), "TESTING": True}).test_client()
    assert client.get("/api/concepts", query_string={"label": "TAC"}).get_json()["results"][0]["id"] == "multi-agency-working"
    detail = client.get("/api/concepts/multi-agency-working").get_json()
    assert detail["found_labels"] == [{"label": "TAC", "long_form": "Team Around the Child", "source_id": "team-around-the-child",
                                       "passage_id": concept["found_labels"][0]["passage_id"], "page": None, "page_label": None}]
    assert {p["passage_id"] for p in using} <= {p["passage_id"] for p in detail["passages"]}


@pytest.mark.browser
def test_the_concept_page_says_which_source_gives_an_abbreviation(browser, live_server):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(live_server + "/concepts/TAC")
    assert page.locator("h1.pref-label").inner_text() == "multi-agency working"
    said = page.locator("#found-labels").inner_text()
    assert said == ("“TAC” abbreviates “Team Around the Child”, as Working together around the child: learning in "
                    "multi-agency teams, section ‘Working Together Around the Child’ spells it out (found in the text, "
                    "not yet reviewed)."), said
    page.locator("#found-labels a").click()
    page.wait_for_url("**/sources/team-around-the-child#team-around-the-child-*")
    assert "Team Around the Child (TAC)" in page.locator(":target").inner_text()
    assert not errors, errors
    page.close()
