"""Concept, concept browser, study and SPARQL pages in Debian's chromium (Playwright), on the
graph corpus's build: what a policy officer sees, with no console errors (CSP included)."""
from __future__ import annotations

import re

import pytest

from test_web_browser import page  # noqa: F401  (the page fixture with its problem log)

pytestmark = pytest.mark.browser


def test_concept_page(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    response = page.goto(f"{graph_server}/concepts/relational-agency")
    assert response.status == 200
    expect(page.locator("h1.pref-label")).to_have_text("relational agency")
    expect(page.locator(".alt-labels")).to_contain_text("capacity for relational agency")
    definition = page.locator(".definitions .definition").first
    expect(definition).to_contain_text("relational agency involves first being able to align")
    expect(definition.locator("figcaption")).to_contain_text("p. 2")
    definition.locator(".cite summary").click()
    expect(definition.locator(".cite .in-text")).to_contain_text("(Edwards and Daniels, 2009, p. 2)")
    expect(page.locator(".coined")).to_contain_text("Anne Edwards")
    expect(page.locator(".relations .broader")).to_contain_text("agency")
    expect(page.locator(".relations .studies")).to_contain_text("LIW")
    expect(page.locator(".source-counts li").first).to_contain_text("mentions")
    first = page.locator(".evidence-passages .passage-hit").first
    expect(first.locator(".badge")).to_have_text("defines it")
    first.locator(".where a").click()
    page.wait_for_url("**/sources/chat-resilience-article#*")
    expect(page.locator(".passage:target")).to_have_count(1)
    page.problems.assert_clean()


def test_the_search_pages_concept_card_says_who_coined_it(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/search?q=who+coined+relational+agency")
    coined = page.locator("#concept-card #concept-card-coined")
    expect(coined).to_contain_text("Coined by Anne Edwards (")
    coined.get_by_role("link").click()
    page.wait_for_url("**/concepts/relational-agency#coined-heading")
    expect(page.locator(".coined")).to_contain_text("Anne Edwards")
    page.problems.assert_clean()


def test_the_search_pages_study_card_links_to_the_study_and_filters_by_it(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/search?q=NECF")
    card = page.locator("#study-card")
    expect(card.locator("h2")).to_have_text("National Evaluation of the Children's Fund (NECF)")
    expect(card.locator(".facts")).to_have_text("2002–2006; funded by Department for Education and Skills; led by Anne Edwards.")
    expect(card.locator(".description")).to_contain_text("Commissioned national evaluation of the Children's Fund")
    card.locator("#study-card-filter").click()
    page.wait_for_url("**/search?*study=necf*")
    expect(page.locator("#study-filter")).to_contain_text("Only the sources reporting NECF")
    expect(page.locator("#study-card-filter")).to_have_count(0)      # already filtered by it
    expect(page.locator(".result").first).to_be_visible()
    page.locator("#study-card h2 a").click()
    page.wait_for_url("**/studies/necf")
    page.goto(f"{graph_server}/search?q=relational+agency+in+NECF")    # beside a concept card: one line
    expect(page.locator("#concept-card")).to_be_visible()
    expect(page.locator("#study-card .facts")).to_contain_text("Commissioned national evaluation, 2002–2006")
    expect(page.locator("#study-card .description")).to_have_count(0)
    page.problems.assert_clean()


def test_the_search_pages_concept_card_says_a_concept_is_contested(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/search?q=resilience")
    senses = page.locator("#concept-card #concept-card-senses")
    expect(senses).to_contain_text("Contested: the sources define it in")
    senses.get_by_role("link").click()
    page.wait_for_url("**/concepts/resilience#definitions-heading")
    expect(page.locator(".competing .sense").first).to_be_visible()
    page.goto(f"{graph_server}/search?q=relational+agency")
    expect(page.locator("#concept-card-senses")).to_have_count(0)
    page.problems.assert_clean()


def test_the_concept_card_shows_the_concept_pages_first_definition_and_links_to_its_passage(page, graph_server):  # noqa: F811
    import json
    import urllib.request

    from playwright.sync_api import expect

    for concept_id, query in [("resilience", "resilience"), ("relational-agency", "relational agency")]:
        with urllib.request.urlopen(f"{graph_server}/api/concepts/{concept_id}") as response:
            first = json.load(response)["definitions"][0]
        page.goto(f"{graph_server}/search?q={query.replace(' ', '+')}")
        expect(page.locator("#concept-card blockquote")).to_have_text(first["text"])
        link = page.locator("#concept-card-source")
        assert link.get_attribute("href").endswith(f"#{first['passage_id']}" if first["passage_id"] else first["source_id"])
        if first.get("page"):
            expect(link).to_contain_text(f"p. {first.get('page_label') or first['page']}")
    page.problems.assert_clean()


def test_a_concept_no_source_defines_says_so(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts/relational-expertise")
    expect(page.locator(".definitions .no-definition")).to_contain_text("No source in the library defines relational expertise")
    expect(page.locator(".definitions .definition")).to_have_count(0)
    description = page.locator(".descriptions .description").first
    expect(description).to_contain_text("relational expertise")
    description.locator(".cite summary").click()
    expect(description.locator(".cite summary")).to_have_text("Cite this description")
    page.problems.assert_clean()


def test_a_definition_found_in_a_source_is_shown_as_not_reviewed(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts/resourceful-practice")
    found = page.locator("#found-definitions .definition.unreviewed")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Resourceful practice is the inventive work")
    expect(found.locator(".unreviewed-mark")).to_have_text("found in the text, not yet reviewed")
    expect(page.locator("#found-definitions .found-note")).to_contain_text("no curator has reviewed it")
    expect(page.locator(".definitions .no-definition")).to_have_count(0)
    found.locator(".cite summary").click()
    expect(found.locator(".cite .in-text")).to_contain_text("(Edwards and Daniels, 2009, p. 3)")
    # the passage link opens the reader at the sentence's passage
    found.locator("figcaption a").click()
    page.wait_for_url("**/sources/chat-resilience-article#*")
    # a concept with curated definitions shows no such block
    page.goto(f"{graph_server}/concepts/relational-agency")
    expect(page.locator(".definitions .definition").first).to_be_visible()
    expect(page.locator("#found-definitions")).to_have_count(0)
    page.goto(f"{graph_server}/search?q=resourceful+practice")
    expect(page.locator("#concept-card-unreviewed")).to_be_visible()
    page.problems.assert_clean()


def test_competing_definitions_side_by_side(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts/resilience")
    senses = page.locator(".competing .sense h4")
    expect(senses.first).to_be_visible()
    texts = senses.all_inner_texts()
    assert "Developmental sense" in texts and "CHAT sense" in texts      # CHAT keeps its capitals
    assert len(texts) == len(set(texts)), f"one column per sense, each sense once: {texts}"
    columns = page.locator(".competing .sense")
    assert sum(columns.nth(i).locator(".definition").count() for i in range(columns.count())) > len(texts)
    page.goto(f"{graph_server}/concepts/prevention")
    expect(page.locator(".competing .sense h4")).to_have_count(3)
    assert sorted(page.locator(".competing .sense h4").all_inner_texts()) == ["Early-action sense", "Need-prevention sense",
                                                                             "Universal-services sense"]
    page.problems.assert_clean()


def test_concept_browser_with_the_ladder(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts")
    rungs = page.locator(".ladder .rung")
    expect(rungs).to_have_count(4)
    expect(rungs.first).to_be_visible()
    expect(rungs.locator(".notation")).to_have_text(["1", "2", "3", "4"])
    expect(rungs.nth(2)).to_contain_text("heavy-end prevention")
    expect(page.locator(".ladder-source")).to_contain_text("Hardiker")
    # the original is named once: the provenance says it, with the route by which the ladder reached us
    assert page.locator(".ladder-source").inner_text().count("Hardiker") == 1
    assert page.locator(".ladder-section > p.ladder-source").count() == 1
    # the framework's own lineage, one link under the ladder
    expect(page.locator(".ladder-section > p#ladder-lineage a")).to_have_attribute("href", "/concepts/prevention-levels/lineage")
    expect(page.locator("#families .family").first).to_be_visible()
    # each family's count is the concepts drawn in it; a narrower concept of another family is named
    # with a link to its own family ("relational agency" under agency), not counted twice
    families = page.evaluate("""() => [...document.querySelectorAll('#families .family')].map(f => ({
        count: parseInt(f.querySelector('summary .note').textContent.replace(/[()]/g, '')),
        own: new Set([...f.querySelectorAll('li')].filter(li => !li.querySelector(':scope > .elsewhere'))
                     .map(li => li.querySelector(':scope > a').getAttribute('href'))).size,
        elsewhere: [...f.querySelectorAll('li > .elsewhere a')].map(a => a.getAttribute('href'))}))""")
    assert families and all(f["count"] == f["own"] for f in families), families
    homes = [href for f in families for href in f["elsewhere"]]
    assert homes and all(page.locator(href).count() == 1 for href in homes)
    expect(page.locator("ul.az li").first).to_be_visible()
    # a family's name finds the family, not "no concept matches"
    page.fill("#label", "policy instruments")
    page.get_by_role("button", name="Find", exact=True).click()
    family_link = page.locator("#family-matches a")
    expect(family_link).to_have_text("Policy instruments")
    family_link.click()
    page.wait_for_url("**/concepts?label=policy+instruments#family-*")
    expect(page.locator("p#matches")).to_have_count(0)
    page.fill("#label", "Heavy End Prevention")
    page.get_by_role("button", name="Go to the best match").click()
    page.wait_for_url("**/concepts/heavy-end-prevention")
    expect(page.locator("h1.pref-label")).to_contain_text("heavy-end prevention")
    page.problems.assert_clean()


def test_study_page(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/studies")
    page.get_by_role("link", name="National Evaluation of the Children's Fund", exact=True).click()
    page.wait_for_url("**/studies/necf")
    expect(page.locator("h1.study-name")).to_contain_text("(NECF)")
    expect(page.locator(".meta .funder")).to_have_text("Department for Education and Skills")
    expect(page.locator(".meta .years")).to_contain_text("2002–2006")
    expect(page.locator(".meta .leads")).to_have_text("Anne Edwards")
    # every lead is a person page, those with no cited work too (a study's co-lead, listing their studies)
    page.goto(f"{graph_server}/studies/elpp")
    page.locator(".meta .co-leads a", has_text="Kathy Sylva").click()
    page.wait_for_url("**/people/kathy-sylva")
    expect(page.locator("h1.person-name")).to_have_text("Kathy Sylva")
    expect(page.locator("#no-works")).to_be_visible()
    expect(page.locator("#person-studies li")).to_have_text(re.compile(r"Early Learning Parental Partnership — co-lead"))
    page.goto(f"{graph_server}/studies/necf")
    expect(page.locator(".study-sources li")).to_have_count(3)
    expect(page.locator(".passage-hit").first).to_be_visible()
    # each figure says which source states it: two sources give the case studies differently
    sixteen = page.locator(".meta .scale li", has_text="sixteen case studies")
    expect(sixteen.locator(".stated-in a")).to_have_attribute("href", "/sources/chat-resilience-article")
    eighteen = page.locator(".meta .scale li", has_text="eighteen partnership case studies")
    expect(eighteen.locator(".stated-in")).to_contain_text("necf-prevention-report")   # not in this library: no link
    expect(eighteen.locator(".stated-in a")).to_have_count(0)
    expect(page.locator(".meta .budget .stated-in a")).to_have_attribute("href", re.compile(r"^/sources/oxford-ref2014-impact"))
    # a fact no source states says it is the cataloguer's summary; a stated one does not
    longitudinal = page.locator(".meta .method li", has_text="longitudinal case studies")
    expect(longitudinal.locator(".basis")).to_have_text(re.compile(r"cataloguer’s summary, not quoted from a source"))
    expect(longitudinal.locator(".stated-in")).to_have_count(0)
    expect(sixteen.locator(".basis")).to_have_count(0)
    expect(page.locator(".meta .basis")).to_have_count(1)
    # search only the sources that report the study, and take the filter off again
    page.fill("#study-q", "relational agency")
    page.locator(".study-search button").click()
    page.wait_for_url("**/search?*study=necf*")
    expect(page.locator("#study-filter")).to_contain_text("Only the sources reporting NECF")
    expect(page.locator("#result-1")).to_be_visible()
    page.locator("#study-filter a.remove").click()
    page.wait_for_url("**/search?*")
    assert "study=" not in page.url and "q=relational+agency" in page.url
    expect(page.locator("#study-filter")).to_have_count(0)
    page.problems.assert_clean()


def test_sparql_examples_run_with_one_click(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/sparql")
    examples = page.locator("article.example")
    expect(examples.first).to_be_visible()
    page.locator("#example-prevention-levels .run-link").click()
    page.wait_for_url("**/sparql?*")
    expect(page.locator("#results tbody tr")).to_have_count(4)
    expect(page.locator("#results tbody tr").nth(2)).to_contain_text("heavy-end prevention")
    page.go_back()
    page.locator("#example-studies .run-link").click()
    expect(page.locator("#results tbody tr").first).to_be_visible()
    page.goto(f"{graph_server}/sparql")
    page.fill("#query", "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/common-knowledge/ontology#Passage> }")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#results tbody td").first).to_have_text("10")
    page.problems.assert_clean()



def test_a_failed_sparql_query_comes_back_to_the_editor(page, graph_server):  # noqa: F811
    """A query typed at the page that does not parse, or is refused, returns to the editor with the
    message and the query as typed (the status says so); a client asking for JSON keeps the protocol's
    JSON error."""
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/sparql")
    broken = "SELECT * WHERE { ?s ?p }"
    page.fill("#query", broken)
    with page.expect_response(lambda r: "/sparql?" in r.url) as answer:
        page.get_by_role("button", name="Run").click()
    assert answer.value.status == 400 and answer.value.headers["content-type"].startswith("text/html")
    expect(page.locator("#query-error")).to_contain_text("The query was not run")
    expect(page.locator("#query-error")).to_contain_text("could not be run")
    expect(page.locator("#query")).to_have_value(broken)
    page.fill("#query", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#query-error")).to_contain_text("SERVICE")
    expect(page.locator("#query")).to_have_value("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    response = page.request.get(f"{graph_server}/sparql", params={"query": broken, "format": "json"})
    assert response.status == 400 and response.json()["error"]["status"] == 400
    page.problems.console_errors[:] = [e for e in page.problems.console_errors if "400" not in e]   # the page's own status
    page.problems.assert_clean()

def test_concept_page_offers_its_rdf(page, graph_server):  # noqa: F811
    """The concept page links its Turtle and JSON-LD; what the links give parses as RDF about it."""
    from playwright.sync_api import expect
    from rdflib import Graph, URIRef

    page.goto(f"{graph_server}/concepts/relational-agency")
    links = page.locator("p.uri a.rdf-download")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_text("Turtle")
    expect(links.nth(1)).to_have_text("JSON-LD")
    concept = URIRef("https://w3id.org/common-knowledge/concept/relational-agency")
    for link, fmt in ((links.nth(0), "turtle"), (links.nth(1), "json-ld")):
        response = page.request.get(graph_server + link.get_attribute("href"))
        assert response.ok and response.headers["content-type"].startswith(link.get_attribute("type"))
        assert len(list(Graph().parse(data=response.body(), format=fmt).predicate_objects(concept))) > 5
    page.goto(f"{graph_server}/sparql")
    expect(page.locator(".intro .purpose")).to_contain_text("works the sources cite and their citations")
    page.problems.assert_clean()


def test_a_guessed_concept_address_offers_the_finder_and_the_full_text(page, graph_server):  # noqa: F811
    from playwright.sync_api import expect

    response = page.goto(f"{graph_server}/concepts/Relational-Agency")          # a guessed id lands on the concept
    assert response.status == 200 and page.url.endswith("/concepts/relational-agency")
    response = page.goto(f"{graph_server}/concepts/safeguarding")
    assert response.status == 404
    expect(page.locator("#missing-id")).to_contain_text("no concept with the id “safeguarding”")
    expect(page.locator("#label")).to_have_value("safeguarding")
    page.locator("#search-instead").click()
    page.wait_for_url("**/search?q=safeguarding")
    expect(page.locator("#q")).to_have_value("safeguarding")
    # a study's name typed as a concept's address is the study's page
    response = page.goto(f"{graph_server}/concepts/NECF")
    assert response.status == 200 and page.url.endswith("/studies/necf")
    # a dead study address offers the list it was meant to be in
    response = page.goto(f"{graph_server}/studies/no-such-study")
    assert response.status == 404
    page.locator("#way-back").click()
    page.wait_for_url("**/studies")
    expect(page.locator("h1")).to_contain_text("Studies")
    page.problems.console_errors[:] = [e for e in page.problems.console_errors if "404" not in e]   # the page's own status
    page.problems.assert_clean()


def test_a_concepts_passages_all_listed_from_its_page(page, graph_server):  # noqa: F811
    """"Strongest passages" shows a few; the link lists every passage linked to the concept on the
    search page (no query, the concept filter), defining ones first, with paging and facets."""
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts/relational-agency")
    page.locator("#all-passages").click()
    page.wait_for_url("**/search?concept=relational-agency")
    expect(page.locator("#result-count")).to_contain_text("every passage the filters let through")
    expect(page.locator("#concept-card h2")).to_have_text("relational agency")
    assert page.locator(".result").count() >= 1
    page.problems.assert_clean()


def test_the_search_pages_concept_card_labels_the_curators_note(page, graph_server):  # noqa: F811
    """Audit 21 F4: a concept no source defines shows the curator's gloss on the card, labelled as the
    concept page labels it, not as if it were a definition to cite."""
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/search?q=relational+expertise")
    note = page.locator("#concept-card #concept-card-scope-note")
    expect(note).to_contain_text("Edwards’ term for the additional expertise")
    expect(note.locator(".note")).to_have_text("(curator’s note: no source in the library defines relational expertise)")
    expect(page.locator("#concept-card blockquote")).to_have_count(0)
    page.problems.assert_clean()


def test_cite_this_says_when_the_reference_is_incomplete(page, graph_server):  # noqa: F811
    """Audit 21 F10: a cite box for a source the catalogue gives no year (or author, or journal) says
    in one line what the reference lacks; a complete one says nothing."""
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts/relational-expertise")
    description = page.locator(".descriptions .description").first
    description.locator(".cite summary").click()
    expect(description.locator(".cite .reference-gaps")).to_have_text("Incomplete reference: no year is known for this source.")
    page.goto(f"{graph_server}/concepts/relational-agency")
    definition = page.locator(".definitions .definition").first
    definition.locator(".cite summary").click()
    expect(definition.locator(".cite .in-text")).to_contain_text("(Edwards and Daniels, 2009")
    expect(definition.locator(".cite .reference-gaps")).to_have_count(0)
    page.problems.assert_clean()


def test_who_coined_it_says_when_the_evidence_has_no_page(page, graph_server):  # noqa: F811
    """Audit 21 F6: each "Who coined it" entry gives the page of its evidence, or says it is not known
    (the graph corpus's texts do not hold the evidence sentences), as the definitions do."""
    from playwright.sync_api import expect

    page.goto(f"{graph_server}/concepts/relational-agency")
    places = page.locator(".coined .coinage .from")
    expect(places.first).to_be_visible()
    for i in range(places.count()):
        expect(places.nth(i).locator(".page")).to_have_text(re.compile(r"^(p\. \w+|section .+|page not known)$"))
    page.problems.assert_clean()


def test_a_passage_taken_to_mention_a_concept_by_a_hidden_label_says_in_which_words(page, seed_build):  # noqa: F811
    # "working relationally" is a hidden label of relational agency: its passages were listed with
    # "1 mention" though they never name the concept; the page now says in which words
    import json
    import urllib.request

    from playwright.sync_api import expect

    from conftest import _serve

    for base in _serve(seed_build, "ckg-seed-hidden-label-server"):
        data = json.loads(urllib.request.urlopen(f"{base}/api/concepts/relational-agency").read())
        hidden = [p for p in data["passages"] if p["mentioned_as"]]
        assert hidden and all("relationally" in " ".join(p["mentioned_as"]).casefold() for p in hidden)
        assert all(0 < p["hidden_mentions"] <= p["mentions"] for p in hidden)
        assert not any(p["mentioned_as"] for p in data["passages"] if p["hidden_mentions"] == 0)
        page.goto(f"{base}/concepts/relational-agency")
        marked = page.locator(".evidence-passages .mentioned-as")
        expect(marked.first).to_contain_text("as “working relationally”")
        page.problems.assert_clean()
