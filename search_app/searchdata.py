"""View data for search: the same dict serves GET /api/search (JSON) and /search (HTML)."""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlencode

from kg.index.search import FILTERS, MODES, QueryTooLong, SearchError
from kg.library import Library
from kg.quotes import locator
from kg.studies import study_short_name

from .conceptdata import coined_by, concept_definitions, index as knowledge_index, named_concept

DEFAULT_K = 10


class BadParameter(ValueError):
    """A request parameter the search cannot take (answered with a 400): ``param`` its name (None when
    the search itself refused), ``problem`` what is wrong with it; the message says both."""

    def __init__(self, problem: str, param: str | None = None):
        super().__init__(f"parameter '{param}' {problem}" if param else problem)
        self.param, self.problem = param, problem


def refusal(error: SearchError) -> BadParameter:
    """The search's refusal as a 400 says it, naming the parameter when the search names one
    ("parameter 'q' is 5000 characters long; …", as every other parameter's error reads)."""
    if isinstance(error, QueryTooLong):
        return BadParameter(f"is {error.length} characters long; the limit is {error.limit}: shorten the query", "q")
    return BadParameter(str(error))


def parse(args: Mapping[str, str], max_results: int) -> dict[str, Any]:
    """Validated search parameters from a query string."""
    query = args.get("q", "") or ""
    mode = args.get("mode") or "hybrid"
    if mode not in MODES:
        raise BadParameter(f"must be one of {', '.join(MODES)}", "mode")
    k = integer_param(args, "k", DEFAULT_K, 1, max_results)
    page = integer_param(args, "page", 1, 1, 10_000)
    offset = integer_param(args, "offset", (page - 1) * k, 0, 1_000_000)
    filters = filter_params(args, FILTERS)
    if "kind" in filters:
        filters["kind"] = filters["kind"].lower()
    _check_filters(filters)
    return {"query": query, "mode": mode, "k": k, "offset": offset, "filters": filters, "respell": respell_param(args)}


def filter_params(args: Mapping[str, str], names: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """The filters a query string gives, by name (an alias counts when its name is not given), each a
    comma-separated list without empty values; a filter of nothing but commas is not given."""
    out: dict[str, str] = {}
    for name, given in [*((n, n) for n in names), *((name, alias) for alias, name in (aliases or {}).items())]:
        values = [v.strip() for v in (args.get(given) or "").split(",") if v.strip()]
        if values and name not in out:
            out[name] = ",".join(values)
    return out


def respell_param(args: Mapping[str, str]) -> bool:
    """``respell``: 1 (the default) searches for a respelling when no word of the query is in the
    library; 0 takes the words as typed."""
    respell = args.get("respell", "1") or "1"
    if respell not in ("0", "1"):
        raise BadParameter("must be 0 (take the words as typed) or 1", "respell")
    return respell == "1"


PASSAGE_KINDS = ("text", "list", "table", "caption", "references", "slide", "quote", "definition")
MAX_FILTER_CHARS = 500


def _check_filters(filters: dict[str, str]) -> None:
    """Filters with a fixed vocabulary (kind) or form (year) are checked; an unknown source or
    concept id is a filter that matches nothing, not an error."""
    for name, value in filters.items():
        if len(value) > MAX_FILTER_CHARS:
            raise BadParameter(f"is longer than {MAX_FILTER_CHARS} characters", name)
        values = [v.strip() for v in value.split(",") if v.strip()]
        if name == "year" and not all(re.fullmatch(r"\d{1,4}", v) for v in values):
            raise BadParameter(f"must be a year or years separated by commas, not {value[:40]!r}", "year")
        if name == "kind" and not set(values) <= set(PASSAGE_KINDS):
            raise BadParameter(f"must be one of {', '.join(PASSAGE_KINDS)}", "kind")


def integer_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"must be a whole number, not {raw[:40]!r}", name) from None
    if not low <= value <= high:
        raise BadParameter(f"must be between {low} and {high}", name)
    return value


def search(library: Library, params: dict[str, Any]) -> dict[str, Any]:
    """Run the search; the JSON answer of /api/search."""
    try:
        response = library.search(params["query"], k=params["k"], mode=params["mode"], offset=params["offset"],
                                  filters=params["filters"], respell=params.get("respell", True))
    except SearchError as exc:
        raise refusal(exc) from None
    data = {name: getattr(response, name) for name in ("query", "mode", "total", "offset", "results", "facets", "facets_over",
                                                       "facets_about", "with_words", "concepts", "message", "unknown_words", "did_you_mean",
                                                       "searched_for")}
    data["k"] = params["k"]
    data["filters"] = params["filters"]
    # the card shows the concept the concept finder reads in a short query ("relationl agency" is
    # relational agency, not the "agency" its second word names), else the first the query names
    named = named_concept(library, response.query)
    data["concept_card"] = concept_card(library, [named] * bool(named) + response.concepts, response.query)
    data["study_card"] = study_card(library, response.query)
    return data


def study_card(library: Library, query: str) -> dict[str, Any] | None:
    """The first catalogued study the query names ("NECF", "relational agency in LIW"): what it was,
    who funded and led it, when, and how many of the library's sources report it."""
    named = library.studies_named_in(query) if query else []
    study = library.study(named[0]) if named else None
    if not study:
        return None
    return {
        "id": study["id"],
        "name": study["name"] or study["label"],
        "acronym": study.get("acronym"),
        "years": study.get("years"),
        "funders": study.get("funder_names", []),
        "leads": [lead["name"] for lead in study.get("leads", [])],
        "study_type": study.get("study_type"),
        "description": study.get("description"),
        "sources": study.get("sources", []),
        "also_named": [{"id": n, "name": study_short_name(library.study(n))} for n in named[1:] if library.study(n)],
    }


QUOTE_FIELDS = ("quote_id", "text", "speaker", "speaker_role", "kind", "cited", "source_id", "passage_id", "passage_ids", "page",
                "page_label", "section", "citation", "introduction", "study", "unattributed", "repeats", "score")


def quotes_json(data: dict[str, Any], filters: dict[str, str]) -> dict[str, Any]:
    """The JSON answer of GET /api/quotes (and ``ckg quotes --json``) from the quote finder's answer:
    the documented fields of each quote; ``score`` only when the quotes were ranked for a query."""
    return {"query": data["query"], "total": data["total"], "offset": data.get("offset", 0), "filters": filters,
            "unknown_words": data["unknown_words"], "did_you_mean": data["did_you_mean"],
            "searched_for": data["searched_for"], "message": data.get("message"), "with_words": data.get("with_words"),
            "speakers_not_quoted": data.get("speakers_not_quoted", []), "nearest_only": data.get("nearest_only", False),
            "results": [{f: q.get(f) for f in QUOTE_FIELDS if f in q or f != "score"} for q in data["results"]]}


def concept_card(library: Library, concept_ids: list[str], query: str = "") -> dict[str, Any] | None:
    """The first concept the query names: label, alternative labels and a sourced definition, and
    the other concepts a query that is nothing but a homonym ("mediation") may mean."""
    for concept_id in concept_ids:
        concept = library.concept(concept_id)
        if not concept:
            continue
        # the definition the concept page shows first (plainest first; one found in a document a user
        # added when the curators have none)
        definitions = concept_definitions(library, concept_id)
        definition = definitions[0] if definitions else None
        return {
            "id": concept_id,
            "pref_label": concept["pref_label"],
            "alt_labels": _distinct_labels(concept["pref_label"], concept.get("alt_labels", []))[:8],
            "definition": definition and {
                "text": definition["text"],
                "source_id": definition.get("source_id"),
                "source_title": definition.get("source_title") if definition.get("in_library") else None,
                "passage_id": definition.get("passage_id"),
                "page": definition.get("page"),
                "page_label": definition.get("page_label"),
                "page_marker": locator(definition.get("page"), definition.get("page_label"),
                                       library.source(definition.get("source_id") or ""),
                                       definition.get("end_page"), definition.get("end_page_label")),
                "sense": definition.get("sense"),
                "reviewed": definition.get("reviewed", True),
            },
            # a contested concept ("resilience"): the senses its definitions take, in the order first met
            "senses": list(dict.fromkeys(d["sense"] for d in concept.get("definitions", []) if d.get("sense"))),
            "definition_count": len(definitions),
            "scope_note": concept.get("scope_note") or None,
            "coined_by": coined_by(library, concept),
            "broader": concept.get("broader", []),
            "related": concept.get("related", [])[:6],
            "other_senses": _other_senses(library, concept_id, query),
        }
    return None


def _other_senses(library: Library, concept_id: str, query: str) -> list[dict[str, str]]:
    """The concepts a query names as well as ``concept_id``, equally well: the senses of a homonym
    typed alone ("mediation": Smith's factor and, as "mediation (activity theory)", CHAT's
    mediational means), each with the label it is known by there."""
    named = knowledge_index(library).resolver.named_exactly(query) if query else []
    if concept_id not in {m["id"] for m in named}:
        return []
    return [{"id": m["id"], "pref_label": library.concept(m["id"])["pref_label"], "label": m["label"]}
            for m in named if m["id"] != concept_id and library.concept(m["id"])]


def page(library: Library, params: dict[str, Any], has_concept_pages: bool) -> dict[str, Any]:
    """The search page: the JSON data plus what the HTML needs (highlighted text, links, paging)."""
    view: dict[str, Any] = {"params": params, "has_concept_pages": has_concept_pages, "error": None}
    if not params["query"].strip() and not params["filters"]:     # filters alone list what they let through
        view.update(data=None)
        return view
    try:
        data = search(library, params)
    except BadParameter as exc:
        view.update(data=None, error=str(exc))
        return view
    for result in data["results"]:
        result["segments"] = highlight(result["text"], result["highlights"])
        result["heading_segments"] = highlight(result["heading"], result["highlights"]) if result.get("heading") else []
        result["concept_labels"] = [(cid, _pref_label(library, cid)) for cid in result["concepts"][:8]]
        why = result.get("why") or {}
        # the page names concepts; the JSON keeps their ids
        result["why_labels"] = {key: [_pref_label(library, cid) for cid in why.get(key) or []] for key in ("concepts", "defines")}
    view["data"] = data
    view["facets_about"] = [_pref_label(library, cid) for cid in data.get("facets_about") or []]
    view["coined"] = _coined_line(data["concept_card"])
    base = {"q": params["query"], "mode": params["mode"], **params["filters"]}
    if not params.get("respell", True):
        base["respell"] = "0"
    if params["k"] != DEFAULT_K:
        base["k"] = params["k"]
    current = params["offset"] // params["k"] + 1
    pages = (data["total"] + params["k"] - 1) // params["k"]
    view["paging"] = {
        "current": current,
        "pages": pages,
        "previous": "?" + urlencode({**base, "page": current - 1}) if current > 1 else None,
        "next": "?" + urlencode({**base, "page": current + 1}) if current < pages else None,
        "first": params["offset"] + 1,
        "last": min(params["offset"] + params["k"], data["total"]),
        # a page past the end (an old link, a typed page=): where the results end
        "past_end": "?" + urlencode({**base, "page": pages}) if data["total"] and not data["results"] and current > pages else None,
    }
    view["facet_links"] = _facet_links(library, params, data, base)
    view["clear_filters"] = "?" + urlencode({"q": params["query"], "mode": params["mode"]}) if params["filters"] else None
    view["study_filter"] = _study_filter(library, params, base)
    card = data["study_card"]
    view["study_card_filter"] = ("?" + urlencode({**base, "study": card["id"]})
                                 if card and params["filters"].get("study") != card["id"] else None)
    return view


def _facet_links(library: Library, params: dict[str, Any], data: dict[str, Any],
                 base: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each facet row with the link that filters by it, its count being what the link gives.

    Counted over the results about the concepts the query names ("prevention": the 90 of 302 linked
    to it), a row's link keeps that scope: the concept filter joins it, so "NECF report 79" gives the
    79 passages of the report about prevention, not the 170 of the whole ranking. A row the scope
    cannot be kept for (another concept: the filter takes any of its concepts, not all; a concept
    filter already narrowing to another concept) is counted by running its link's search."""
    about = list(data.get("facets_about") or [])
    scope = ",".join(about)
    chosen = params["filters"].get("concept")
    keeps_scope = bool(about) and chosen in (None, scope)
    links: dict[str, list[dict[str, Any]]] = {}
    for name, rows in data["facets"].items():
        out = []
        for row in rows:
            filters = {**params["filters"], name: row["value"]}
            count = row["count"]
            if about:
                if name != "concept" and keeps_scope:
                    filters["concept"] = scope
                elif not (name == "concept" and row["value"] in about and keeps_scope):
                    count = _link_total(library, params, filters)
                    if count is None:
                        continue
            out.append(dict(row, count=count, href="?" + urlencode({**base, **filters}),
                            active=params["filters"].get(name) == row["value"]))
        links[name] = out
    return links


def _link_total(library: Library, params: dict[str, Any], filters: dict[str, str]) -> int | None:
    """How many results the search page gives for the query with ``filters`` (None if it refuses)."""
    try:
        return library.search(params["query"], k=1, mode=params["mode"], filters=filters,
                              respell=params.get("respell", True)).total
    except SearchError:
        return None


def _pref_label(library: Library, concept_id: str) -> str:
    return (library.concept(concept_id) or {}).get("pref_label", concept_id)


def _distinct_labels(pref_label: str, alt_labels: list[str]) -> list[str]:
    """The alternative labels a card shows: not those that differ from the preferred label or from
    one already shown only in case, hyphens or spaces ("heavy end prevention" beside "heavy-end
    prevention"); the concept page lists them all."""
    def key(label: str) -> str:
        return re.sub(r"[\s\-‐‑–]+", "", label.casefold())

    seen = {key(pref_label)}
    shown = []
    for label in alt_labels:
        if key(label) not in seen:
            seen.add(key(label))
            shown.append(label)
    return shown


def _study_filter(library: Library, params: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | None:
    """The study filter has no facet: the page names the studies it keeps and links to removing it."""
    value = params["filters"].get("study")
    if not value:
        return None
    studies = []
    for name in (v.strip() for v in str(value).split(",") if v.strip()):
        study = library.find_study(name)
        studies.append({"id": study["id"], "short": study_short_name(study)} if study else {"id": None, "short": name})
    return {"studies": studies, "remove": "?" + urlencode({k: v for k, v in base.items() if k != "study"})}


def _coined_line(card: dict[str, Any] | None) -> list[tuple[str, list[str]]]:
    """The concept card's "Coined by": each coiner once, with every citation the sources give."""
    grouped: dict[str, list[str]] = {}
    for coinage in (card or {}).get("coined_by") or []:
        if coinage["traced_to"] and not coinage["by"] + coinage["introduced_by"]:
            continue        # where a source starts its tradition is no coinage ("start with Vygotsky"): the concept page says so
        people = [p["name"] for p in coinage["by"] + coinage["introduced_by"]]
        citations = grouped.setdefault(", ".join(people) or "the authors of the source", [])
        if coinage.get("citation") and coinage["citation"] not in citations:
            citations.append(coinage["citation"])
    return list(grouped.items())


def highlight(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_match) so the template escapes every piece and marks the matches."""
    if not terms:
        return [(text, False)]
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")(?![\w])")
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            pieces.append((text[last:match.start()], False))
        pieces.append((match.group(0), True))
        last = match.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces
