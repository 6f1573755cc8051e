"""The JSON API and the HTTP behaviour of the web app (test client on the tiny build)."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from kg.library import LibraryError
from search_app import create_app
from search_app.config import SETTINGS, defaults
from kg.quotes import harvard_name, harvard_reference
from search_app.viewdata import is_web_url

SOURCE_FIELDS = {"id", "title", "authors", "year", "type", "file", "venue", "publisher", "studies",
                 "passage_count", "page_count", "reported_studies"}
PASSAGE_FIELDS = {"passage_id", "source_id", "page", "page_label", "start", "end", "heading", "kind", "text"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _error(response, status: int) -> str:
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


# --- app factory and settings ---------------------------------------------------------------------

def test_settings_table_declares_defaults_and_help():
    names = {s.name for s in SETTINGS}
    assert {"BUILD_DIR", "TESTING", "MAX_CONTENT_LENGTH"} <= names
    assert defaults()["BUILD_DIR"] == "build"
    assert defaults()["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert all(s.help for s in SETTINGS)


def test_library_is_loaded_per_app(app, library):
    loaded = app.extensions["ckg_library"]
    assert loaded.counts == library.counts
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.testing


def test_missing_build_raises_library_error(tmp_path):
    with pytest.raises(LibraryError):
        create_app({"BUILD_DIR": str(tmp_path / "nothing-here")})


# --- endpoints --------------------------------------------------------------------------------------

def test_health(client, library):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["sources"] == 3 == len(library.sources())
    assert body["passages"] == len(library.passages())
    assert set(body["build"]) == {"created", "corpus_hash", "format_version", "release"}
    assert body["build"]["release"] == library.root.name
    assert body["build"]["corpus_hash"] == library.manifest["corpus_hash"]
    assert body["build"]["format_version"] == library.manifest["format_version"]
    assert body["build"]["created"] == library.manifest["created"]


def test_sources_list(client, library):
    response = client.get("/api/sources")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["id"] for r in results] == [s["id"] for s in library.sources()]
    for result in results:
        assert set(result) == SOURCE_FIELDS
        assert result["passage_count"] == len(library.passages(result["id"]))
    by_id = {r["id"]: r for r in results}
    article = by_id["team-around-the-child"]
    assert article["title"] == "Working together around the child: learning in multi-agency teams"
    assert article["authors"] == ["Jopling, Michael", "Vincent, Sharon"]
    assert article["year"] == 2020
    assert article["type"] == "book chapter"
    assert article["venue"] == "Childhood Well-being and Resilience"
    assert article["publisher"] == "Routledge"
    assert article["studies"] == ["NECF", "LIW"]
    assert article["file"] == "team-around-the-child.txt"
    assert by_id["pagelabels-sample"]["page_count"] == library.source("pagelabels-sample")["page_count"] > 1
    assert by_id["practice-notes"]["authors"] == []      # no sources.toml entry
    assert by_id["practice-notes"]["year"] is None
    # the studies each source reports are those its row on the home page links to, in order
    home = client.get("/").get_data(as_text=True)
    for result in results:
        row = re.search(rf'<tr id="source-{re.escape(result["id"])}">(.*?)</tr>', home, re.S).group(1)
        linked = re.findall(r'href="/studies/([^"]+)"', row)
        assert [s["id"] for s in result["reported_studies"] if s["id"]] == linked
        assert all(set(s) == {"id", "name", "acronym"} for s in result["reported_studies"])
    assert [s["id"] for s in article["reported_studies"]][:1] == ["necf"]


def test_source_detail_has_all_metadata_and_passages(client, library):
    for source in library.sources():
        response = client.get(f"/api/sources/{source['id']}")
        assert response.status_code == 200
        body = response.get_json()
        assert body["id"] == source["id"]
        assert list(body)[0] == "id"
        for key, value in source.items():
            assert body[key] == value, key
        assert [p["passage_id"] for p in body["passages"]] == [p["passage_id"] for p in library.passages(source["id"])]
        listed = next(r for r in client.get("/api/sources").get_json()["results"] if r["id"] == source["id"])
        assert body["reported_studies"] == listed["reported_studies"]
        for passage in body["passages"]:
            assert set(passage) == PASSAGE_FIELDS
            assert passage == library.passage(passage["passage_id"])


def test_passage_text_is_the_cleaned_text(client):
    body = client.get("/api/sources/team-around-the-child").get_json()
    text = " ".join(p["text"] for p in body["passages"])
    assert "Effective collaborative practice" in text          # "collab-\norative" repaired
    assert "“We stopped asking whose job it was and started asking what the child needed.”" in text
    pdf = client.get("/api/sources/pagelabels-sample").get_json()
    assert pdf["passages"][0]["page"] == 1 and pdf["passages"][0]["page_label"] == "iii"


def test_json_is_utf8_not_escaped(client):
    response = client.get("/api/sources/team-around-the-child")
    assert "“We stopped".encode() in response.data


# --- errors -----------------------------------------------------------------------------------------

def test_unknown_source_is_json_404(client):
    message = _error(client.get("/api/sources/no-such-source"), 404)
    assert "no-such-source" in message


@pytest.mark.parametrize("path", ["/api/nope", "/api/sources/a/b", "/api/health/extra"])     # /api is the index
def test_unknown_api_path_is_json_404(client, path):
    _error(client.get(path), 404)


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_wrong_method_on_api_is_json_405(client, method):
    response = getattr(client, method)("/api/health", data=b"x")
    _error(response, 405)
    assert "GET" in response.headers["Allow"]
    _error(getattr(client, method)("/api/sources/team-around-the-child"), 405)


def test_large_body_gets_a_json_error(client):
    response = client.post("/api/sources", data=b"x" * (1024 * 1024 + 10))
    # the route takes no body: a wrong method answers before the body is read
    assert response.status_code in (405, 413)
    _error(response, response.status_code)


def test_server_error_uses_the_json_shape(tiny_build):
    app = create_app({"BUILD_DIR": str(tiny_build)})     # not TESTING: errors are handled, not raised

    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/boom", "boom", boom)
    app.add_url_rule("/boom", "boom_page", boom)
    client = app.test_client()
    response = client.get("/api/boom")
    message = _error(response, 500)
    assert "secret detail" not in message
    page = client.get("/boom")
    assert page.status_code == 500 and page.content_type.startswith("text/html")
    assert b"secret detail" not in page.data


def test_html_errors_are_pages(client):
    response = client.get("/sources/no-such-source")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert b"no-such-source" in response.data
    assert client.post("/").status_code == 405
    assert client.get("/no/such/page").status_code == 404


def test_a_data_files_errors_are_json_as_the_apis_are(client):
    """A bibliography, a concept's RDF or the citation graph's SVG is read by a program: its errors
    have the API's JSON shape, as /api/works and /export answer them; the pages keep HTML errors."""
    for path in ("/works/export.bib?source=nope", "/works/export.xyz", "/concepts/nope.ttl",
                 "/concepts/lead-professional.xml", "/citations/graph.svg?source=nope"):
        _error(client.get(path), 404)
    for path in ("/concepts/nope-nope-nope", "/sources/x.y", "/sources/notes.txt", "/citations/graph?source=nope"):
        response = client.get(path)
        assert response.status_code == 404 and response.content_type.startswith("text/html"), path


def test_html_error_page_escapes_input(client):
    response = client.get("/sources/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert response.status_code == 404
    assert b"<img src=x" not in response.data
    assert b"&lt;img src=x onerror=alert(1)&gt;" in response.data
    api = client.get("/api/sources/%3Cscript%3E")
    _error(api, 404)


@pytest.mark.parametrize("path", ["/sources/%FF%FE", "/api/sources/%FF", "/sources/" + "a" * 5000,
                                  "/api/sources/..%2F..%2Fetc%2Fpasswd", "/sources/?x=%00"])
def test_bad_input_never_500(client, path):
    assert client.get(path).status_code < 500


# --- headers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/sources/team-around-the-child", "/api/health", "/api/sources",
                                  "/api/nope", "/sources/nope", "/static/style.css", "/static/reader.js"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'self'")
    assert "unsafe-inline" not in csp
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_security_headers_on_405(client):
    response = client.post("/api/health")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_pages_have_no_inline_script_or_style(client, library):
    for path in ["/"] + [f"/sources/{s['id']}" for s in library.sources()]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html.replace("&lt;script&gt;", "")
        assert " style=" not in html and "<style" not in html
        assert "//fonts." not in html and "cdn" not in html.lower()


def test_the_favicon_browsers_ask_for_is_served_and_every_page_links_it(client):
    # /favicon.ico was a 404 (browsers ask for it on JSON pages, which link no icon)
    import struct

    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.headers["X-Content-Type-Options"] == "nosniff" and "max-age=86400" in response.headers["Cache-Control"]
    icon = response.get_data()
    reserved, kind, count = struct.unpack("<HHH", icon[:6])
    assert (reserved, kind) == (0, 1) and count == 2                      # an icon with two images
    sizes = [struct.unpack("<BBBBHHII", icon[6 + 16 * n:22 + 16 * n]) for n in range(count)]
    assert [(w, h) for w, h, *_ in sizes] == [(16, 16), (32, 32)]
    assert all(offset + length <= len(icon) for *_, length, offset in sizes)
    assert client.get("/static/favicon.svg").status_code == 200
    for path in ("/", "/search", "/works", "/concepts", "/sources/nope"):
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/favicon.ico"' in html and 'href="/static/favicon.svg"' in html, path


# --- HTML content (test client) ---------------------------------------------------------------------

def test_home_lists_sources_counts_and_failures(client, library):
    html = client.get("/").get_data(as_text=True)
    assert "Common Knowledge" in html
    assert "Working together around the child: learning in multi-agency teams" in html
    assert 'href="/sources/team-around-the-child"' in html
    assert "Jopling, Michael; Vincent, Sharon" in html
    assert "Childhood Well-being and Resilience; Routledge" in html
    assert re.search(r'<a href="/studies/necf"[^>]*>NECF</a>, <a href="/studies/liw"[^>]*>LIW</a>', html)
    assert f"<strong>{library.counts['passages']}</strong>" in html
    assert "Not ingested" in html and "steering-minutes.docx" in html and "unsupported" in html


def test_reader_lays_out_passages(client, library):
    html = client.get("/sources/team-around-the-child").get_data(as_text=True)
    for passage in library.passages("team-around-the-child"):
        assert f'id="{passage["passage_id"]}"' in html
        assert f'href="#{passage["passage_id"]}"' in html
    assert "Jopling, M. and Vincent, S. (2020) Working together around the child: learning in multi-agency teams. " \
           "In: Childhood Well-being and Resilience. London: Routledge." in html
    assert '<a href="https://example.org/working-together"' in html
    assert html.count('class="text-heading"') == 2    # each heading once, not repeated per passage
    # two paragraphs in one passage become two <p>
    assert "referral forms.</p>" in html and "<p class=\"block-paragraph\">Managers played" in html


def test_reader_page_markers_use_labels(client, library):
    html = client.get("/sources/pagelabels-sample").get_data(as_text=True)
    passages = library.passages("pagelabels-sample")
    pages = library.document("pagelabels-sample")["pages"]
    assert passages[0]["page"] == 1 and passages[0]["page_label"] == "iii"
    for passage in passages:
        start = html.index(f'id="{passage["passage_id"]}"')
        marker = f'<span class="page-marker">p. {passage["page_label"] or passage["page"]}</span>'
        assert html.index(marker, start) < html.index("</div>", start)    # in this passage's margin
    # a later page that starts inside a passage is marked where it starts
    inside = [(p, page) for p in passages for page in pages
              if page["number"] > p["page"] and p["start"] < page["start"] < p["end"]]
    assert inside, "the tiny PDF should have a passage that runs over a page break"
    for passage, page in inside:
        where = f'p. {page["label"] or page["number"]}'
        # announced as a page break (DPUB-ARIA), not read as words of the sentence it falls in
        assert (f'<span class="page-break" role="doc-pagebreak" aria-label="{where} starts here" '
                f'title="Page starts here">{where}</span>') in html
    # a javascript: URL in the catalogue is no web address: the build leaves it out, saying so, so it is never a link
    assert "javascript:alert(2)" not in html and 'href="javascript:' not in html
    assert any("url 'javascript:alert(2)' must be a web address" in w for w in library.manifest["warnings"])


def test_reader_without_pages_has_no_marker(client):
    html = client.get("/sources/team-around-the-child").get_data(as_text=True)
    assert 'class="page-marker"' not in html


def test_reader_escapes_source_text(client):
    html = client.get("/sources/practice-notes").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "[n.d.]" in html     # no year in the citation


# --- citation and helpers ---------------------------------------------------------------------------

def test_harvard_reference_forms():
    assert harvard_name("Jopling, Michael") == "Jopling, M."
    assert harvard_name("Edwards, Anne Mary-Jane") == "Edwards, A.M.-J."
    assert harvard_name("National Evaluation of the Children's Fund") == "National Evaluation of the Children's Fund"
    source = {"title": "Title", "authors": ["Jopling, Michael", "Vincent, Sharon"], "year": 2020,
              "type": "book chapter", "venue": "Venue", "publisher": "Publisher"}
    assert harvard_reference(source) == "Jopling, M. and Vincent, S. (2020) Title. In: Venue. Publisher."
    three = dict(source, authors=["A, B", "C, D", "E, F"], type="journal article", pages="12-30", place="", publisher="")
    assert harvard_reference(three) == "A, B., C, D. and E, F. (2020) Title. Venue. pp. 12-30."
    bare = {"title": "[A supplied title]", "authors": [], "year": None}
    assert harvard_reference(bare) == "[A supplied title] [n.d.]."
    editors = dict(source, editors=["Smith, Jo", "Brown, Al"], place="London")
    assert harvard_reference(editors) == ("Jopling, M. and Vincent, S. (2020) Title. In: Smith, J. and Brown, A. (eds.) "
                                         "Venue. London: Publisher.")


def test_is_web_url():
    assert is_web_url("https://example.org/x")
    assert is_web_url("HTTP://example.org")
    assert not is_web_url("javascript:alert(1)")
    assert not is_web_url("//example.org")
    assert not is_web_url("http://")
    assert not is_web_url("")


# --- the real server ----------------------------------------------------------------------------------

def test_live_server_serves_the_api(live_server):
    with urllib.request.urlopen(f"{live_server}/api/health", timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Frame-Options"] == "DENY"
        assert json.load(response)["status"] == "ok"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{live_server}/api/nope", timeout=10)
    assert caught.value.code == 404
    body = json.load(caught.value)
    assert body["error"]["status"] == 404 and body["error"]["message"]


def test_api_index_lists_every_endpoint_with_its_documentation(client, app):
    """GET /api lists the JSON and data endpoints from the app's own routes; an endpoint added without
    @documented fails here."""
    body = client.get("/api").get_json()
    assert client.get("/api").status_code == 200 and client.get("/api/").get_json() == body
    listed = {e["path"]: e for e in body["endpoints"]}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert routes <= set(listed), routes - set(listed)
    for path, endpoint in listed.items():
        assert endpoint["summary"] and endpoint["methods"] and endpoint["returns"], path
        assert all(p["name"] and p["description"] for p in endpoint["parameters"]), path
    search = {p["name"] for p in listed["/api/search"]["parameters"]}
    assert {"q", "k", "mode", "source", "concept", "kind", "page", "respell"} <= search
    assert {"label"} == {p["name"] for p in listed["/api/concepts"]["parameters"]}
    assert listed["/sparql"]["methods"] == ["GET", "POST"] and "/export/<fmt>" in listed
    assert "/search" not in listed and "/concepts" not in listed       # pages are not the API
    assert "text/plain" in listed["/sources/<source_id>/text"]["returns"]     # what the offsets count into


def _documented_fields(returns: str, at: int = 0) -> tuple[dict, int]:
    """The shape a `returns` line documents, as {name: nested shape or None}: '{"a", "b": [{"c"}], "d"?}' →
    {"a": None, "b": {"c": None}}; names marked ? (optional) and "…" (more fields) are left out."""
    shape: dict = {}
    assert returns[at] == "{", returns[at:]
    at += 1
    while returns[at] != "}":
        if returns[at] != '"':
            at += 1
            continue
        end = returns.index('"', at + 1)
        name, at = returns[at + 1:end], end + 1
        optional = returns[at] == "?"
        nested = None
        rest = returns[at:].lstrip(" ?")
        if rest.startswith(":"):
            at = returns.index("{", at)
            nested, at = _documented_fields(returns, at)
            at = returns.index("]", at) + 1 if returns[at:].lstrip().startswith("]") else at
        if not optional:
            shape[name] = nested
    return shape, at + 1


def _holds(answer: object, shape: dict, where: str, top: bool = True) -> None:
    assert isinstance(answer, dict), where
    assert set(shape) <= set(answer), (where, set(shape) - set(answer))
    for name, nested in shape.items():
        if nested is None or answer[name] is None:
            continue
        rows = answer[name] if isinstance(answer[name], list) else [answer[name]]
        assert rows or not top, (where, name)       # the sample requests are chosen so that these have rows
        for row in rows[:5]:
            _holds(row, nested, f"{where} {name}", top=False)


def test_every_json_endpoint_answers_the_fields_api_documents(seed_build):
    """GET /api's `returns` is what the endpoints answer: every documented field is in a real answer, down to
    the rows of its lists (the references and lineage shapes were documented nowhere, /api/quotes's
    passage_ids missing: API audit). On the seed corpus, which has reference lists."""
    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    listed = {e["path"]: e["returns"] for e in client.get("/api").get_json()["endpoints"]}
    source = next(s["id"] for s in client.get("/api/sources").get_json()["results"]
                  if client.get(f"/api/sources/{s['id']}/references").get_json()["results"]
                  and client.get(f"/api/sources/{s['id']}/citations").get_json()["results"])
    concepts = [c["id"] for c in client.get("/api/concepts").get_json()["results"]]
    concept = next(c for c in concepts if all(client.get(f"/api/concepts/{c}/lineage").get_json()[f] for f in ("results", "origins"))
                   and all(client.get(f"/api/concepts/{c}").get_json()[f] for f in ("definitions", "passages")))
    study = next(s["id"] for s in client.get("/api/studies").get_json()["results"]
                 if client.get(f"/api/studies/{s['id']}").get_json()["passages"])
    works = [w for w in client.get("/api/works").get_json()["results"] if w["cited_by"] and w["authors"] and w["year"]]
    work = works[0]["id"]
    pasted = "; ".join(f"{w['authors'][0].split(',')[0]} ({w['year']})" for w in works[:2])     # "Daniels (2002); …"
    person = next(s["funder"][0] for s in client.get("/api/studies").get_json()["results"] if s["funder"])
    samples = {
        "/api/": "/api", "/api/health": "/api/health", "/api/sources": "/api/sources",
        "/api/sources/<source_id>": f"/api/sources/{source}",
        "/api/sources/<source_id>/references": f"/api/sources/{source}/references",
        "/api/sources/<source_id>/citations": f"/api/sources/{source}/citations",
        "/api/concepts": "/api/concepts?label=" + client.get(f"/api/concepts/{concept}").get_json()["pref_label"],
        "/api/concepts/<concept_id>": f"/api/concepts/{concept}",
        "/api/concepts/<concept_id>/lineage": f"/api/concepts/{concept}/lineage",
        "/api/studies": "/api/studies", "/api/studies/<study_id>": f"/api/studies/{study}",
        "/api/works": "/api/works?q=" + quote(pasted), "/api/works/<work_id>": f"/api/works/{work}",
        "/api/people/<person_id>": f"/api/people/{person}",
        "/api/search": "/api/search?q=child", "/api/quotes": "/api/quotes?q=child",
    }
    json_endpoints = {path for path, returns in listed.items() if returns.startswith("{")}
    assert json_endpoints == set(samples), json_endpoints ^ set(samples)
    for path, url in samples.items():
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200 and response.is_json, url
        _holds(response.get_json(), _documented_fields(listed[path])[0], url)


def test_a_study_named_only_in_a_reference_list_is_not_one_the_source_reports():
    """Jopling and Vincent list an LIW report among their references: the home page's "studies each
    reports" and the study filter leave LIW out for them; a study their text names stays."""
    from kg.library import Library

    passages = {"ref": {"passage_id": "ref", "source_id": "jv", "kind": "references", "heading": "References"},
                "body": {"passage_id": "body", "source_id": "jv", "kind": "text", "heading": "Programme A"},
                "other": {"passage_id": "other", "source_id": "chat", "kind": "text", "heading": ""}}

    references = {"jv": [{"authors": ["Edwards, A."], "title": "Improving inter-professional collaborations"}],
                  "chat": [{"authors": ["Clarke-Phillips, J."], "title": "Strengthening Relations"}]}

    class Passages:         # the two Library methods the check reads
        def passage(self, passage_id):
            return passages.get(passage_id)

        def references(self, source_id):
            return references.get(source_id)

    def reporting(study: dict) -> list[str]:
        return Library.reporting_sources(Passages(), {"sources": ["jv", "chat"], **study})

    assert reporting({"passages": [{"passage_id": "ref"}, {"passage_id": "other"}]}) == ["chat"]
    assert reporting({"passages": [{"passage_id": "ref"}, {"passage_id": "body"}]}) == ["jv", "chat"]
    assert reporting({"passages": []}) == ["jv", "chat"]      # a curated link with no mention stays
    # a source listing the study's report (authors, the study's title) among its references cites it
    assert reporting({"passages": [{"passage_id": "other"}], "name": "Strengthening relations"}) == ["jv"]


def test_addresses_typed_with_a_trailing_slash_or_another_case_lead_to_the_resource(client):
    for typed, meant in [("/concepts/relational-agency/", "/concepts/relational-agency"),
                         ("/api/concepts/relational-agency/?x=1", "/api/concepts/relational-agency?x=1"),
                         ("/studies/necf/", "/studies/necf"), ("/concepts/", "/concepts"), ("/sparql/", "/sparql")]:
        response = client.get(typed)
        assert response.status_code == 308 and response.headers["Location"].endswith(meant), typed
    assert client.get("/no-such-page/").status_code == 404
    # the JSON API takes an id typed in another case or by acronym, as the pages do
    for typed, meant in [("/api/concepts/RELATIONAL-AGENCY", "/api/concepts/relational-agency"),
                         ("/api/studies/NECF", "/api/studies/necf")]:
        response = client.get(typed)
        assert response.status_code == 302 and response.headers["Location"].endswith(meant), typed
    assert client.get("/api/concepts/zzqx").status_code == 404
    assert client.get("/api/studies/zzqx").status_code == 404


def test_a_quotation_starting_or_stopping_inside_its_sentence_is_shown_with_an_ellipsis():
    from search_app.viewdata import as_excerpt

    assert as_excerpt("although “co-production” remains more common") == "… although “co-production” remains more common"
    assert as_excerpt("‘the area and community components’") == "… ‘the area and community components’"
    assert as_excerpt("It proposes four levels of prevention:") == "It proposes four levels of prevention …"
    assert as_excerpt("Relational agency is a capacity.") == "Relational agency is a capacity."


def test_cite_this_definition_cites_words_a_source_reproduces_as_secondary():
    from search_app.conceptdata import cite_definition

    report = {"id": "r", "title": "Prevention and Early Intervention", "authors": [], "year": None,
              "type": "research report"}
    cited = cite_definition(report, 12, None, "CYPU 2001: 37, adapted from Hardiker, Exton and Barker 1991")
    assert cited["in_text"].startswith("(CYPU 2001: 37, adapted from Hardiker, Exton and Barker 1991, cited in ")
    assert cited["in_text"].endswith(", n.d., p. 12)")
    # an attribution naming no dated work ("a partnership board member") is not a work to cite
    assert ", cited in" not in cite_definition(report, 12, None, "a partnership board member")["in_text"]


def test_the_concept_finder_points_to_a_study_it_names(client):
    html = client.get("/concepts?label=NECF").get_data(as_text=True)
    assert 'id="other-matches"' in html and 'href="/studies/necf"' in html
    html = client.get("/concepts?label=zzqx").get_data(as_text=True)
    assert 'id="other-matches"' not in html and "No concept matches" in html


def test_the_concept_finder_takes_the_four_levels_of_prevention_to_the_ladder(client):
    # "four levels of prevention" went to the concept "prevention"; the levels are a scheme, shown as a ladder
    for typed in ("four+levels+of+prevention", "levels+of+prevention"):
        moved = client.get(f"/concepts?go=1&label={typed}")
        assert moved.status_code == 302 and moved.headers["Location"].endswith("/concepts#ladder"), typed
    html = client.get("/concepts?label=levels+of+prevention").get_data(as_text=True)
    assert 'id="ladder-match"' in html and 'href="#ladder"' in html
    assert client.get("/concepts?go=1&label=prevention").headers["Location"].endswith("/concepts/prevention")


def test_ckg_sources_json_is_what_the_api_gives(client, tiny_build):
    """`ckg sources --json`: one line per source, each the object /api/sources/<id> gives, without
    its passages (reported_studies included)."""
    import json as json_module

    from click.testing import CliRunner

    from kg.cli import main

    run = CliRunner().invoke(main, ["sources", "--json", "--build", str(tiny_build)])
    assert run.exit_code == 0, run.output
    lines = [json_module.loads(line) for line in run.output.splitlines() if line.strip()]
    assert lines and len(lines) == len(client.get("/api/sources").get_json()["results"])
    for record in lines:
        api = client.get(f"/api/sources/{record['id']}").get_json()
        api.pop("passages")
        assert record == api and "reported_studies" in record


def test_a_definition_is_cited_as_secondary_only_where_the_words_are_the_cited_work_s(seed_build):
    """"Cite this definition" on the seed library: words the source quotes from a work (with its page,
    or inside a quotation) are cited as secondary, "(Leont’ev 1978, p. 62, cited in …)"; the source's
    own sentence about a work ("Relational agency is identified in the latter as an enabler …", on
    Wong et al. 2012) is cited as the source's, not put in that work's mouth."""
    from search_app import create_app

    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    agency = client.get("/api/concepts/relational-agency").get_json()
    (wong,) = [d for d in agency["descriptions"] if d.get("citation") == "Wong et al. 2012"]
    assert wong["cited_words"] is False and "Wong" not in wong["cite"]["in_text"]
    assert wong["cite"]["in_text"].startswith("(University of Oxford")
    levels = client.get("/api/concepts/heavy-end-prevention").get_json()["definitions"]
    assert levels[0]["cited_words"] is True and ", cited in " in levels[0]["cite"]["in_text"]
    page = client.get("/concepts/relational-agency").get_data(as_text=True)
    assert "(the source&#39;s own words, on Wong et al. 2012)" in page or "(the source's own words, on Wong et al. 2012)" in page
    prevention = client.get("/api/concepts/prevention").get_json()["definitions"]
    board = [d for d in prevention if d.get("citation") == "a Children’s Fund partnership board member"]
    assert board and board[0]["cited_words"] is True      # a participant's words, inside the quotation


def test_a_concept_s_strongest_passages_are_about_it_not_passing_mentions(seed_build):
    """After the passages that define it: those holding a curated quotation about it, then by how much
    of the passage is about it, so a short passage's one passing mention does not come first."""
    from search_app import create_app

    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    rule = client.get("/api/concepts/rule-bending").get_json()["passages"]
    assert "'rule-bending' as a sign of the need for system change" in rule[0]["text"]
    exclusion = [p["text"] for p in client.get("/api/concepts/social-exclusion").get_json()["passages"][:3]]
    assert any("main source of social exclusion in England is poverty" in text for text in exclusion)
    # a description written with list dashes ("four factors: - establishing … - mediation …") is found in
    # its passage, whose list lost them, as the linker finds curated definitions (punctuation aside)
    trust = client.get("/api/concepts/trust").get_json()["passages"]
    assert any(p["described"] and "Smith (2013) emphasised four factors" in p["text"] for p in trust[:3])


# --- audit 21 of the web UI -----------------------------------------------------------------------

def test_a_facet_link_gives_as_many_results_as_its_count_says(seed_build):
    """Audit 21 F1: for a query naming a concept the facets count the results about it ("Counts among
    the 90 results about prevention"); each facet's link keeps that scope, or its count is what the
    link gives, so "Prevention and Early Intervention… 79" leads to 79 results, not 170."""
    import html

    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    for query in ("q=prevention", "q=relational+agency", "q=trust&mode=bm25", "q=prevention&concept=resilience",
                  "q=relational+agency&source=chat-resilience-article"):
        page = client.get(f"/search?{query}").get_data(as_text=True)
        assert re.search(r'id="facet-scope">Counts among the \d+ results? about ', page), query
        rows = re.findall(r'<li><a href="(\?[^"]*)"[^>]*>[^<]*</a> <span class="count">(\d+)</span>', page)
        assert len(rows) > 5, query
        for href, count in rows:
            total = client.get("/api/search" + html.unescape(href)).get_json()["total"]
            assert total == int(count), (query, html.unescape(href), count, total)


def test_what_introduced_a_concept_has_the_id_and_kind_its_own_endpoint_knows(seed_build):
    """A body that introduced a concept is "org-dfes", as /api/people has it (it was "dfes", a 404 there),
    and an Act the scheme holds as a concept says kind "concept" and links to its concept page."""
    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    introducers = [p for concept in client.get("/api/concepts").get_json()["results"]
                   for k in client.get(f"/api/concepts/{concept['id']}").get_json()["coined_by"] for p in k["introduced_by"]]
    assert introducers and all(set(p) >= {"id", "name", "kind", "in_library"} for p in introducers)
    endpoint = {"organization": "/api/people/", "person": "/api/people/", "concept": "/api/concepts/", "study": "/api/studies/"}
    for p in introducers:
        if p["in_library"]:
            assert client.get(endpoint[p["kind"]] + p["id"]).status_code == 200, p
    assert {"id": "org-dfes", "kind": "organization"}.items() <= next(p for p in introducers if p["name"].startswith(
        "Department for Education and Skills")).items()
    act = next(p for p in introducers if p["kind"] == "concept")
    assert f'class="coiner" href="/concepts/{act["id"]}"' in client.get("/concepts/children-in-need").get_data(as_text=True)


def test_who_coined_it_gives_the_page_and_the_passage_of_its_evidence(seed_build):
    """Audit 21 F6: "Who coined it" gives the page of each evidence sentence and links to its passage
    in the reader, as a definition does (located as the build locates curated definitions)."""
    from kg.concepts import _squash

    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    coined = client.get("/api/concepts/relational-agency").get_json()["coined_by"]
    assert {(k["source_id"], k["page"]) for k in coined} == {("chat-resilience-article", 4), ("oxford-ref2014-impact", 2)}
    page = client.get("/concepts/relational-agency").get_data(as_text=True)
    for coinage in coined:
        passage = client.get(f"/api/sources/{coinage['source_id']}").get_json()
        (text,) = [p["text"] for p in passage["passages"] if p["passage_id"] == coinage["passage_id"]]
        assert _squash(coinage["evidence"]) in _squash(text)
        assert re.search(rf'<p class="from">— <a href="/sources/{coinage["source_id"]}#{coinage["passage_id"]}">[^<]*</a>, '
                         rf'<span class="page">p. {coinage["page"]}</span></p>', page)


def test_a_reference_the_catalogue_cannot_complete_says_what_it_lacks(client):
    """Audit 21 F10: beside a citation of a source whose author, year or journal is not known, one line
    says so; a complete reference has none."""
    from search_app.conceptdata import cite_definition, incomplete_reference

    article = {"id": "a", "title": "[A CHAT view]", "authors": [], "year": None, "type": "journal article", "venue": ""}
    assert incomplete_reference(article) == "Incomplete reference: no author, year or journal is known for this source."
    assert cite_definition(article, 4, None)["missing"] == ["author", "year", "journal"]
    assert incomplete_reference({**article, "authors": ["Edwards, Anne"], "venue": "J"}) == \
        "Incomplete reference: no year is known for this source."
    complete = {**article, "authors": ["Edwards, Anne"], "year": 2009, "venue": "Journal"}
    assert incomplete_reference(complete) is None and cite_definition(complete, 4, None)["incomplete"] is None
    # the reader's suggested citation: the sample has no year, the chapter is complete
    assert "Incomplete reference: no year is known" in client.get("/sources/pagelabels-sample").get_data(as_text=True)
    assert 'id="citation-incomplete"' not in client.get("/sources/team-around-the-child").get_data(as_text=True)


def test_the_small_things_of_the_pages(client):
    """Audit 21 F12: a basket item's label is cut at a word with an ellipsis; a query of spaces is no
    query in the page title; the home page is not the current "Sources" item of the menu (a source's
    reader is)."""
    import html

    page = client.get("/quotes").get_data(as_text=True)
    cards = re.findall(r'<blockquote class="quote-text">([^<]*)</blockquote>.*?data-label="([^"]*)"', page, re.S)
    assert cards and any(len(html.unescape(text)) > 85 for text, _ in cards)
    for text, label in cards:
        text, label = html.unescape(text), html.unescape(label)
        if label != text:
            assert label.endswith("…") and len(label) <= 80
            kept = label[:-1]
            assert text.startswith(kept) and not text[len(kept)].isalnum(), label
    assert "<title>Search — " in client.get("/search?q=%20%20%20").get_data(as_text=True)
    sources_link = re.compile(r'<a href="/#sources"( aria-current="page")?>Sources</a>')
    assert sources_link.search(client.get("/").get_data(as_text=True)).group(1) is None
    assert sources_link.search(client.get("/sources/team-around-the-child").get_data(as_text=True)).group(1)


def test_a_parameter_an_endpoint_does_not_take_or_given_twice_is_a_400_naming_it(client):
    """A misspelt filter ("sourse=") or the quote finder's offset asked for as "page=" was silently
    ignored: the answer looked filtered or paged and was not."""
    for url, name in [("/api/search?q=trust&sourse=team-around-the-child", "sourse"),
                      ("/api/search?q=trust&speaker_role=parent", "speaker_role"),
                      ("/api/quotes?q=trust&year=1800", "year"),
                      ("/api/concepts?label=agency&q=agency", "q"),
                      ("/api/health?verbose=1", "verbose")]:
        answer = client.get(url)
        message = answer.get_json()["error"]["message"]
        assert answer.status_code == 400 and message.startswith(f"parameter '{name}' is not one "), url
        assert "GET /api lists them" in message
    twice = client.get("/api/search?q=trust&k=10&k=abc")
    assert twice.status_code == 400 and twice.get_json()["error"]["message"].startswith("parameter 'k' is given 2 times")
    # a cache-buster, the documented alias role= and the quote finder's page= are taken
    assert client.get("/api/search?q=trust&_=1700000000").status_code == 200
    assert client.get("/api/quotes?q=child&role=headteacher").get_json()["filters"] == {"speaker_role": "headteacher"}
    paged = client.get("/api/quotes?q=child&k=2&page=2").get_json()
    assert paged["offset"] == 2
    assert [q["quote_id"] for q in paged["results"]] == [
        q["quote_id"] for q in client.get("/api/quotes?q=child&k=2&offset=2").get_json()["results"]]


def test_a_filter_of_nothing_but_commas_is_no_filter_and_a_type_matches_in_any_case(client):
    unfiltered = client.get("/api/search?q=child&k=50").get_json()
    for empty in (",,", " , ", ""):
        answer = client.get("/api/search", query_string={"q": "child", "k": 50, "source": empty}).get_json()
        assert answer["filters"] == {} and answer["total"] == unfiltered["total"], repr(empty)
    assert client.get("/api/search?q=child&source=,team-around-the-child,").get_json()["filters"] == {
        "source": "team-around-the-child"}
    typed = [client.get("/api/search", query_string={"q": "child", "type": t}).get_json() for t in ("book chapter", "Book Chapter")]
    assert typed[0]["total"] == typed[1]["total"] > 0
    assert client.get("/api/quotes?q=child&kind=,").get_json()["filters"] == {}


def test_words_running_over_a_page_break_are_cited_with_both_pages(seed_build):
    """Masten and Coatsworth's definition of resilience starts on p. 4 of the article and ends on p. 5: it
    was cited "p. 4". A quote on one page keeps its one page; a deck's range is in slides."""
    from kg.library import Library
    from kg.quotes import locator
    from search_app.conceptdata import concept_detail, concept_page, coined_by

    assert locator(4, None, None, 5) == "pp. 4–5" and locator(4, None, None, 4) == "p. 4"
    assert locator(6, None, {"type": "presentation slides"}, 7) == "slides 6–7"
    assert locator(3, "iii", None, 4, "iv") == "pp. iii–iv"
    library = Library(seed_build)
    definitions = concept_detail(library, "resilience")["definitions"]
    masten = next(d for d in definitions if "Masten and Coatsworth" in d["text"])
    assert (masten["page"], masten["end_page"]) == (4, 5) and masten["cite"]["in_text"].endswith(", n.d., pp. 4–5)")
    one_page = [d for d in definitions if d["page"] is not None and d["end_page"] is None]
    assert one_page and all(d["cite"]["in_text"].endswith(f"p. {d['page_label'] or d['page']})") for d in one_page)
    assert any(d["page_marker"] == "pp. 4–5" for d in concept_page(library, "resilience")["definitions"])
    jack = next(c for c in coined_by(library, library.concept("area-factors")) if "Jack" in (c["citation"] or ""))
    assert (jack["page"], jack["end_page"]) == (5, 6)
