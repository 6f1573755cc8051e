"""Concept labels as readers type them, and concept mentions in running text, on the curated scheme
(ontology/concepts.ttl): the resolution rules behind GET /api/concepts?label= and the sense rules of
the passage linker."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.concepts import ConceptMatcher, link_concepts, load_scheme, rank_definitions
from kg.labels import LabelResolver

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scheme():
    return load_scheme(ROOT / "ontology" / "concepts.ttl")


@pytest.fixture(scope="module")
def resolver(scheme):
    return LabelResolver(scheme)


@pytest.fixture(scope="module")
def matcher(scheme):
    return ConceptMatcher(scheme)


def top(resolver, text):
    found = resolver.resolve(text)
    return found[0]["id"] if found else None


def linked(matcher, text):
    return [(m["concept_id"], m["surface"]) for m in matcher.find(text, names_in_capitals=True)]


# --- resolution: what a reader types -----------------------------------------------------------

@pytest.mark.parametrize("typed", ["relational agency", "RELATIONAL AGENCY", "Relational Agency", "  relational   agency "])
def test_any_case_and_spacing(resolver, typed):
    assert top(resolver, typed) == "relational-agency"


@pytest.mark.parametrize("typed", ["co-production", "co production", "coproduction", "Co-Production"])
def test_hyphenated_spaced_or_closed(resolver, typed):
    assert top(resolver, typed) == "co-production"


@pytest.mark.parametrize("typed,concept", [
    ("heavy end prevention", "heavy-end-prevention"),
    ("self efficacy", "self-efficacy"),
    ("interagency working", "multi-agency-working"),
    ("inter agency working", "multi-agency-working"),
    ("multiagency working", "multi-agency-working"),
])
def test_hyphen_variants_of_compounds(resolver, typed, concept):
    assert top(resolver, typed) == concept


def test_a_two_word_name_written_as_one_is_the_name(matcher):
    assert matcher.concepts_in("surestart") == matcher.concepts_in("SureStart") == ["sure-start"]
    assert matcher.concepts_in("relationalagency") == ["relational-agency"]


@pytest.mark.parametrize("typed,concept", [
    ("protective factor", "protective-factors"),
    ("object motives", "object-motive"),
    ("social situations of development", "social-situation-of-development"),
    ("change laboratories", "change-laboratory"),
    ("vulnerable family", "vulnerable-families"),
])
def test_singular_or_plural(resolver, typed, concept):
    assert top(resolver, typed) == concept


@pytest.mark.parametrize("typed,concept", [
    ("internalization", "internalisation"),
    ("externalization", "externalisation"),
    ("mass customisation", "mass-customization"),
    ("troubled families program", "troubled-families-programme"),
])
def test_british_or_american_spelling(resolver, typed, concept):
    assert top(resolver, typed) == concept


@pytest.mark.parametrize("typed,concept", [
    ("CHAT", "cultural-historical-activity-theory"),
    ("DWR", "developmental-work-research"),
    ("ECM", "every-child-matters"),
    ("CAF", "common-assessment-framework"),
])
def test_acronyms(resolver, typed, concept):
    assert top(resolver, typed) == concept


@pytest.mark.parametrize("typed,concept", [
    ("prevention, level 3", "heavy-end-prevention"),          # word order, a number in digits
    ("object of the activity", "object-of-activity"),        # a small word added
    ("activity object", "object-of-activity"),               # small words left out, another order
    ("socially included", "social-inclusion"),               # another part of speech
    ("early intervening", "early-intervention"),
])
def test_word_order_small_words_numbers_and_word_forms(resolver, typed, concept):
    assert top(resolver, typed) == concept


def test_inter_and_multi_are_read_as_one_where_the_scheme_writes_only_one(resolver):
    # the documents use inter-agency and multi-agency interchangeably; the scheme writes one or the other
    assert top(resolver, "multi-agency cooperation") == top(resolver, "inter-agency cooperation") == "multi-agency-working"
    assert top(resolver, "inter-agency practice") == "multi-agency-working"
    assert top(resolver, "multi-professional practice") == "inter-professional-working"
    # below a label written that way
    assert resolver.resolve("multi-agency cooperation")[0]["score"] < resolver.resolve("inter-agency cooperation")[0]["score"]


def test_word_forms_pair_words_of_one_family_only(resolver):
    from kg.labels import _one_family, _same_family

    assert _same_family("excluded", "exclusion") and _same_family("socially", "social")
    # a common beginning too short, or too much after it: other words
    assert not _same_family("included", "excluded") and not _same_family("identity", "identification")
    assert not _same_family("knowing", "knowledge")
    assert _one_family(("excluded", "socially"), ("exclusion", "social"))
    assert not _one_family(("social", "exclusion"), ("social", "exclusion"))      # the same name: matched as such
    assert not _one_family(("social",), ("social", "exclusion"))
    # a family match ranks below the label as written
    assert resolver.resolve("social exclusion")[0]["score"] > resolver.resolve("socially excluded")[0]["score"] >= 0.7


def test_exact_label_ranks_above_folded_and_fuzzy(resolver):
    found = resolver.resolve("relational agency")
    assert found[0]["id"] == "relational-agency" and found[0]["score"] == 1.0
    assert all(f["score"] < 1.0 for f in found[1:])
    folded = resolver.resolve("relational-agencies")[0]
    typo = resolver.resolve("relational agancy")[0]
    assert folded["id"] == typo["id"] == "relational-agency"
    assert folded["score"] > typo["score"]


def test_a_label_inside_a_longer_label_ranks_below_the_label_itself(resolver):
    ids = [r["id"] for r in resolver.resolve("agency")]
    assert ids[0] == "agency" and "relational-agency" in ids[1:]


def test_a_word_inside_several_labels_ranks_a_concepts_own_name_before_an_alternative_one(resolver):
    # "identity" is in "professional identity" (a concept's name) and in "interprofessional identity"
    # (another name of multi-professional identity): the concept so named comes first
    ids = [r["id"] for r in resolver.resolve("identity")]
    assert ids[0] == "professional-identity" and "multi-professional-identity" in ids[1:]


def test_the_concepts_a_text_names_exactly(resolver):
    # the search's concept card lists a homonym's other senses from this lookup
    assert {m["id"] for m in resolver.named_exactly("Mediation?")} == {"mediational-means", "mediation-between-different-interests"}
    assert [m["id"] for m in resolver.named_exactly("the relational agencies")] == ["relational-agency"]
    assert resolver.named_exactly("relational") == [] and resolver.named_exactly("") == []


def test_a_whole_word_is_matched_wherever_it_stands_not_as_an_unfinished_label(resolver):
    # "knowledge" begins "knowledge in use" (another name of conceptual tools) but is a whole word of
    # "common knowledge" as much: the label it begins does not jump the queue
    ids = [r["id"] for r in resolver.resolve("knowledge")]
    assert ids[0] == "common-knowledge" and "conceptual-tools" in ids[1:]
    # an unfinished word still completes to the labels it begins
    assert [r["id"] for r in resolver.resolve("relat")[:2]] == ["relational-agency", "relational-expertise"]
    assert resolver.resolve("co-conf")[0]["id"] == "co-configuration"


def test_a_bare_homonym_lists_every_sense_the_defined_one_first(resolver):
    # "mediation (activity theory)" is CHAT's mediation, the qualified homonym of Smith's factor
    # "mediation" (between different interests), which no source in the library defines
    found = resolver.resolve("mediation")
    assert [r["id"] for r in found[:2]] == ["mediational-means", "mediation-between-different-interests"]
    assert found[0]["score"] == found[1]["score"] and found[0]["label"] == "mediation (activity theory)"
    # the full names still resolve to their own concept alone
    assert resolver.resolve("mediation between different interests")[0]["id"] == "mediation-between-different-interests"
    assert resolver.resolve("mediational means")[0]["score"] == 1.0


@pytest.mark.parametrize("typed,concept", [
    ("what is relational agency?", "relational-agency"),
    ("define co-production", "co-production"),
    ("what does co-configuration mean?", "co-configuration"),
    ("the idea of third space", "third-space"),
    ("levels of prevention", "prevention"),
])
def test_a_label_asked_as_a_question_resolves_exactly(resolver, typed, concept):
    found = resolver.resolve(typed)
    assert found[0]["id"] == concept and found[0]["score"] >= 0.97


def test_a_typo_is_forgiven_but_not_a_different_number(resolver):
    assert top(resolver, "levl three prevention") == "heavy-end-prevention"
    assert top(resolver, "the four levels of prevention") == "prevention"    # not the fourth level


def test_an_acronym_typed_in_capitals_is_not_taken_for_the_start_or_a_slip_of_a_word(resolver):
    # "TAC" (team around the child) is no label here: it used to complete to "tacit knowledge"; "SEN"
    # was a slip of "agency"
    assert resolver.resolve("TAC") == [] and resolver.resolve("SEN") == []
    assert top(resolver, "CAF") == "common-assessment-framework" and top(resolver, "ECM") == "every-child-matters"
    assert top(resolver, "tac") == "tacit-knowledge"            # typed as a word, it may be one begun


def test_a_text_naming_two_concepts_resolves_first_to_the_one_it_is_mostly_about(resolver):
    found = resolver.resolve("CHAT and relational agency")
    ids = [r["id"] for r in found]
    assert ids[0] == "relational-agency" and "cultural-historical-activity-theory" in ids[1:]
    assert top(resolver, "relational agency in CHAT") == "relational-agency"


@pytest.mark.parametrize("typed, concept", [
    ("prevention level 2", "early-prevention"),
    ("prevention level one", "diversionary-prevention"),
    ("agency relational", "relational-agency"),
])
def test_a_labels_words_in_another_order_resolve_to_it_before_a_concept_named_by_one_word(resolver, typed, concept):
    found = resolver.resolve(typed)
    assert found[0]["id"] == concept and found[0]["score"] < 0.93    # below the label as written


def test_a_query_that_is_a_labels_words_in_another_order_names_that_concept(matcher):
    assert matcher.concepts_in("prevention level 2") == ["early-prevention", "prevention"]
    assert matcher.concepts_in("level 2 prevention") == ["early-prevention"]


def test_nothing_for_an_empty_label(resolver):
    assert resolver.resolve("   ") == []


# --- linking: the concept's sense, not a homonym -----------------------------------------------

def test_agencies_as_organisations_are_not_agency(matcher):
    for text in ["The programme worked with other agencies and partner agencies.",
                 "Each agency sent a representative.", "members were grouped according to agency affiliation"]:
        assert "agency" not in [c for c, _ in linked(matcher, text)], text


def test_agency_as_a_capacity_is_agency(matcher):
    text = "We all need to use our agency, and the agency of one another, to develop a sense of agency."
    assert [c for c, _ in linked(matcher, text)].count("agency") == 3


def test_the_trust_as_an_organisation_is_not_trust(matcher):
    text = "Links with the Children’s Trust helped the Trust to learn; Cambridge Primary Review Trust."
    concepts = [c for c, _ in linked(matcher, text)]
    assert "trust" not in concepts and "childrens-trusts" in concepts


def test_trust_between_people_is_trust(matcher):
    assert ("trust", "trust") in linked(matcher, "It took time to build trust between professionals and families.")
    assert ("trust", "Trust") in linked(matcher, "Trust\n\nThe importance of trust was clear.")


def test_a_label_inside_another_hyphenated_word_is_not_a_mention(matcher):
    assert "agency" not in [c for c, _ in linked(matcher, "multi-agency teams and inter-agency panels")]


def test_a_compound_about_the_concept_is_a_mention(matcher):
    assert ("cultural-historical-activity-theory", "CHAT") in linked(matcher, "another CHAT-related concept")
    assert ("resilience", "resilience") in linked(matcher, "a resilience-based model")


def test_articles_and_possessives_inside_a_label(matcher):
    assert [c for c, _ in linked(matcher, "how they interpreted the object of their activities")] == ["object-of-activity"]
    assert [c for c, _ in linked(matcher, "changing the conditions of their development")] == ["social-situation-of-development"]


def test_proper_names_need_their_capitals_in_running_text(matcher):
    assert "supporting-families" not in [c for c, _ in linked(matcher, "Supporting families and children is complex.")]
    assert ("supporting-families", "Supporting Families") in linked(matcher, "the Home Office paper Supporting Families (1998)")
    # a typed query is free of case
    assert "supporting-families" in matcher.concepts_in("supporting families")


def test_acronyms_need_capitals(matcher):
    assert linked(matcher, "a quick chat with the teacher") == []
    assert [c for c, _ in linked(matcher, "CHAT frameworks")] == ["cultural-historical-activity-theory"]


def test_links_have_offsets_into_the_source_text(scheme):
    passage = {"passage_id": "p1", "source_id": "s", "start": 100,
               "text": "Relational agency is a capacity to work with others. Other agencies joined."}
    links = link_concepts([passage], scheme)["p1"]
    assert [(m["concept_id"], m["start"], m["end"]) for m in links["mentions"]] == [("relational-agency", 100, 117)]
    assert links["defines"] == ["relational-agency"]


def test_a_homonym_takes_the_sense_its_document_talks_about(scheme):
    chat = [{"passage_id": "c1", "source_id": "chat-paper", "start": 0,
             "text": "In activity theory the activity system and its object of activity are analysed together."},
            {"passage_id": "c2", "source_id": "chat-paper", "start": 90,
             "text": "Mediation by cultural tools is how the subject acts on the object."}]
    smith = [{"passage_id": "s1", "source_id": "chapter", "start": 0,
              "text": "Smith's four factors are common purpose, trust and acknowledging conflict and complexity."},
             {"passage_id": "s2", "source_id": "chapter", "start": 90,
              "text": "Mediation between the school and the family was the programme's strength."}]
    plain = [{"passage_id": "n1", "source_id": "note", "start": 0, "text": "Mediation was offered to the families."}]
    links = link_concepts(chat + smith + plain, scheme)

    def sense(passage_id):
        return [m["concept_id"] for m in links[passage_id]["mentions"] if m["surface"].lower() == "mediation"]

    assert sense("c2") == ["mediational-means"]
    assert sense("s2") == ["mediation-between-different-interests"]
    assert sense("n1") == ["mediation-between-different-interests"]    # no context: the word's own concept


@pytest.mark.parametrize("text,found", [
    ("Resourceful practice is the inventive work of practitioners who draw on what others offer.", True),
    ("The concept of resourceful practice refers to the inventive work of practitioners.", True),
    ("By resourceful practice we mean the inventive work of practitioners who draw on others.", True),
    ("“Resourceful practice” (Edwards 2010) is a label for the inventive work of practitioners.", True),
    # the label does not open the sentence, or the verb does not say what it is
    ("However, when resourceful practice is a barrier, practitioners turn back to their rules.", False),
    ("Another difference is that resourceful practice is a matter for every service we visited.", False),
    ("Resourceful practice is also discussed in the workshops with practitioners and parents.", False),
    ("Resourceful practice is a key part of the work that practitioners did with families.", False),
    ("Resourceful practice is it.", False),                  # too short to quote as a definition
    # a word for a term as the complement, then the role the term plays: not what it means
    ("Resourceful practice is the concept that is driving most of the work with families in England.", False),
    ("Resourceful practice is a term used widely in children's services and in the workshops.", False),
    ("Resourceful practice is the idea which dominates the training of new practitioners.", False),
    ("Resourceful practice is a key concept behind the reform of children's services.", False),
    # … unless the term is then explained
    ("Resourceful practice is a term used to describe the inventive work of practitioners.", True),
    ("Resourceful practice is the idea that practitioners draw on what other services can offer.", True),
    ("Resourceful practice is the concept of drawing on what other services and families can offer.", True),
    # a gloss right after the name, wherever it stands: "i.e." after a name nothing qualifies, "defined as", "refers to"
    ("The teams showed what we termed ‘resourceful practice’ i.e. drawing on what others can offer.", True),
    ("Much depends on the resourceful practice, i.e. the inventive work of practitioners with families.", True),
    ("Teams called for 'resourceful practice', which in this work is defined as drawing on what others offer.", True),
    ("The evaluation found resourceful practice, which refers to the inventive work of practitioners.", True),
    ("The teams developed new resourceful practice (i.e. inventive work with families) over the years.", False),
    ("The teams showed what we termed ‘resourceful practice’ i.e. inventiveness there.", False),    # two words
    # a gloss in brackets right after the name, a gerund or a noun phrase; not a citation, example or qualifier
    ("Teams build resourceful practice (drawing on what other services and families can offer) over time.", True),
    ("Teams build resourceful practice (the inventive use of what other services can offer) over time.", True),
    ("Teams build resourceful practice (Edwards, 2010) with what other services can offer them.", False),
    ("Teams build resourceful practice (e.g. sharing a worker) with what other services offer.", False),
    ("Teams build resourceful practice (between schools and social care) with what others offer.", False),
    ("Teams build resourceful practice (the focus of this chapter) with what other services offer.", False),
    # a rung of a ladder or typology named by its number, then said what it is
    ("Level Two: Resourceful practice implies that practitioners draw on what other services offer.", True),
    ("Level Two: Resourceful practice was seen in six of the eight case study partnerships.", False),
    ("Tier 2: Resourceful practice will continue in six of the eight case study partnerships.", False),
    ("Level Three: Resourceful practice would focus on what other services can offer a family.", True),
    # the name given to what the sentence has just described; a class it is now recognised as
    ("Practitioners build a new kind of knowledge, which Victor and Boynton call resourceful practice.", True),
    ("The work is firmly located in what France and Utting (2005) call resourceful practice in England.", False),
    ("Resourceful practice is now recognised as the inventive work of practitioners with families.", True),
    ("Resourceful practice is widely regarded as important by practitioners and their managers.", False),
    # how it is regarded, and why, is not what it is
    ("Resourceful practice is seen as an enhanced form of practice in part because it prevents errors.", False),
    # an appositive gloss: a head noun saying what kind of thing it is, and what it does
    ("Teams developed what Edwards (2010) calls resourceful practice, the capacity to draw on what others offer.", True),
    ("Resourceful practice: the ability to use the support of other services and of families, was plain.", True),
    ("The hubs built up what Edwards (2011) calls resourceful practice: an understanding of what each service offers.", True),
    ("The themes were resourceful practice, common knowledge and trust across the teams in the study.", False),
    ("We focused on resourceful practice, the main theme of the second phase of this study and its report.", False),
])
def test_found_definitions_are_sentences_that_say_what_the_concept_is(scheme, text, found):
    passage = {"passage_id": "p1", "source_id": "s", "start": 40, "text": "An opening sentence here.\n\n" + text}
    links = link_concepts([passage], scheme)["p1"]
    got = links.get("found_definitions", [])
    if found:
        assert [(f["concept_id"], f["text"]) for f in got] == [("resourceful-practice", text)]
        start = 40 + passage["text"].index(text)
        assert (got[0]["start"], got[0]["end"]) == (start, start + len(text))
        assert "resourceful-practice" in links["defines"]
    else:
        assert got == []


def test_the_defining_sentence_is_found_after_a_looser_mention(scheme):
    # the first mention marks the passage as defining it ("the X involves"), the second says what it is
    definition = "Resourceful practice is the inventive work of practitioners who draw on what others offer."
    text = "Within teams the resourceful practice involves some risk. " + definition
    links = link_concepts([{"passage_id": "p1", "source_id": "s", "start": 0, "text": text}], scheme)["p1"]
    assert [f["text"] for f in links["found_definitions"]] == [definition]
    assert links["defines"].count("resourceful-practice") == 1


def test_a_curated_definition_is_not_found_again(scheme):
    curated = next(d for d in scheme["developmental-work-research"].definitions if d["text"].startswith("DWR is a"))
    passage = {"passage_id": "p1", "start": 0, "text": curated["text"]}
    in_its_source = link_concepts([{**passage, "source_id": curated["source_id"]}], scheme)["p1"]
    assert "developmental-work-research" in in_its_source["defines"] and "found_definitions" not in in_its_source
    elsewhere = link_concepts([{**passage, "source_id": "another-source"}], scheme)["p1"]
    assert [f["concept_id"] for f in elsewhere["found_definitions"]] == ["developmental-work-research"]


def test_plainest_definition_first(scheme, matcher):
    ranked = rank_definitions("relational-agency", scheme["relational-agency"].definitions, matcher)
    assert ranked[0]["text"].startswith("At the level of practice, relational agency involves")
    ranked = rank_definitions("restorative-prevention", scheme["restorative-prevention"].definitions, matcher)
    assert ranked[0]["text"].startswith("Level Four: Restorative prevention focuses on")


# --- the curated file: scripts/check_concepts.py ------------------------------------------------

def _check_concepts():
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return importlib.import_module("check_concepts")
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_the_curated_scheme_passes_its_check(capsys):
    # every quotation verbatim in its source, skos:related both ways, no definition that is a fragment
    assert _check_concepts().main(["--quiet"]) == 0, capsys.readouterr().out


_ONE_WAY = """@prefix ck: <https://w3id.org/common-knowledge/ontology#> .
@prefix ckc: <https://w3id.org/common-knowledge/concept/> .
@prefix cks: <https://w3id.org/common-knowledge/source/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
ckc:scheme a skos:ConceptScheme .
ckc:empowerment a skos:Concept ; skos:inScheme ckc:scheme ; skos:prefLabel "empowerment"@en ;
    skos:scopeNote "Developing agency."@en ;
    skos:definition [ rdf:value "Empowerment is the process by which we develop agency."@en ;
                      dcterms:source cks:collaborative-agency-slides ] ;
    skos:related ckc:nested-empowerment .
ckc:nested-empowerment a skos:Concept ; skos:inScheme ckc:scheme ; skos:prefLabel "nested empowerment"@en ;
    skos:scopeNote "Empowering at every level."@en ;
    skos:definition [ rdf:value "and therefore empowerment at every level, leading to;"@en ;
                      dcterms:source cks:collaborative-agency-slides ] .
"""


def test_a_one_way_related_link_and_a_fragment_definition_are_problems(tmp_path, capsys):
    ttl = tmp_path / "concepts.ttl"
    ttl.write_text(_ONE_WAY, encoding="utf-8")
    assert _check_concepts().main(["--ttl", str(ttl), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM: ckc:empowerment skos:related ckc:nested-empowerment is not reciprocated" in out
    assert "PROBLEM: ckc:nested-empowerment definition is a fragment" in out
    assert "ckc:empowerment definition is a fragment" not in out


def test_a_related_link_written_one_way_is_read_both_ways(tmp_path):
    ttl = tmp_path / "concepts.ttl"
    ttl.write_text(_ONE_WAY, encoding="utf-8")
    scheme = load_scheme(ttl)
    assert scheme["empowerment"].related == ["nested-empowerment"]
    assert scheme["nested-empowerment"].related == ["empowerment"]


def test_related_is_symmetric_in_the_curated_scheme(scheme):
    one_way = [(c.id, other) for c in scheme.values() for other in c.related
               if other in scheme and c.id not in scheme[other].related]
    assert one_way == []
    assert "contactpoint" in scheme["children-act-2004"].related
    assert "information-sharing" in scheme["lead-professional"].related
    assert "information-sharing" in scheme["common-assessment-framework"].related


def test_working_relationally_links_relational_agency_but_is_not_shown_as_a_name_of_it(scheme, matcher):
    # the CHAT article uses "working relationally" for the practice relational agency is the capacity
    # for, with practitioners and (it extends the concept) with families: a mention, not another name.
    # "relational working" is no source's term, and a broader one: no label at all.
    agency = scheme["relational-agency"]
    assert "working relationally" in agency.hidden_labels
    assert not {"working relationally", "relational working"} & set(agency.alt_labels)
    assert [c for c, _ in linked(matcher, "can be enhanced through working relationally with others")] \
        == ["relational-agency"]
    assert "relational-agency" not in {c for c, _ in linked(matcher, "a model of relational working in social care")}
    assert [c for c, _ in linked(matcher, "a capacity for relational agency")] == ["relational-agency"]


def test_a_label_does_not_run_across_a_paragraph_break(scheme):
    """A heading that names a concept, then a paragraph opening with its acronym, are two mentions,
    not one "Developmental Work Research\\n\\nDWR" (which hid the paragraph's definition of DWR)."""
    text = "Developmental Work Research\n\nDWR is a structured intervention over time in an activity system, led by researchers."
    links = link_concepts([{"passage_id": "p1", "source_id": "s", "start": 0, "text": text}], scheme)["p1"]
    surfaces = [m["surface"] for m in links["mentions"] if m["concept_id"] == "developmental-work-research"]
    assert surfaces == ["Developmental Work Research", "DWR"]
    assert [f["text"] for f in links["found_definitions"]] == [text.split("\n\n")[1]]


def test_a_word_with_its_plural_in_brackets_is_the_word(matcher):
    """"the object(s) of activity": the label's word, singular or plural; a bracketed s elsewhere is no
    word of a label."""
    assert linked(matcher, "past and present interpretations of the object(s) of activity. We find") == [
        ("object-of-activity", "object(s) of activity")]
    assert linked(matcher, "the objects of activity") == [("object-of-activity", "objects of activity")]
    assert linked(matcher, "(s) of activity") == [] and linked(matcher, "the child(s) of activity") == []
