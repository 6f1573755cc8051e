"""The quote finder: /quotes (page), /api/quotes (JSON) and /api/quotes/export (verified exports)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request, url_for

from kg.index.search import SearchError
from kg.quote_export import EXPORT_ALL, FORMATS, GROUPS, NOTHING_FOUND, ExportError, nearest_only
from kg.quotes import ROLE_NAMES, copy_with_citation, not_quoted_message, role_of, speakers_not_quoted
from kg.studies import study_short_name

from .. import searchdata
from ..conceptdata import incomplete_reference
from ..apidoc import documented, parameters_taken
from . import library

pages_bp = Blueprint("quotes", __name__)
api_bp = Blueprint("quotes_api", __name__)
FILTERS = ("speaker_role", "concept", "study", "source", "kind")
QUOTE_KINDS = ("participant", "literature")
QUOTES_K = 20       # quotes a search answers unless k says otherwise
ALIASES = {"role": "speaker_role"}      # the CLI's --role, typed into a URL


def _filter_args() -> dict[str, str]:
    """The filters the request gives, by their documented names (an alias counts when its name is not given)."""
    return searchdata.filter_params(request.args, FILTERS, ALIASES)


class _BadQuery(ValueError):
    """A parameter the quote finder cannot take; the message names it and what it takes."""


def _role_names(value: str) -> tuple[str, list[tuple[str, str]]]:
    """The roles a speaker_role value names, as the finder names them: any case, a plural or a job the
    role takes in ("Parent", "parents", "headteachers"); a word naming no role is refused. With them,
    the (words, role) of each value that is a job rather than a role's name ("teacher" → practitioner)."""
    names, jobs = [], []
    for typed in (v.strip() for v in value.split(",") if v.strip()):
        name = typed.casefold() if typed.casefold() in ROLE_NAMES else role_of(typed)
        if name not in ROLE_NAMES:
            raise _BadQuery(f"parameter 'speaker_role' (or 'role'): “{typed}” is not a speaker role; "
                            f"the roles are {', '.join(ROLE_NAMES)}")
        names.append(name)
        if typed.casefold() != name.casefold():
            jobs.append((typed, name))
    return ",".join(dict.fromkeys(names)), jobs


def _find_or_refuse(default_k: int = QUOTES_K):
    args = request.args
    try:
        k = searchdata.integer_param(args, "k", default_k, 1, EXPORT_ALL)
        page = searchdata.integer_param(args, "page", 1, 1, 10_000)     # as /api/search pages
        offset = searchdata.integer_param(args, "offset", (page - 1) * k, 0, 1_000_000)
        respell = searchdata.respell_param(args)
    except searchdata.BadParameter as exc:
        raise _BadQuery(str(exc)) from None
    filters = _filter_args()
    if filters.get("kind") and not {v.strip() for v in filters["kind"].split(",") if v.strip()} <= set(QUOTE_KINDS):
        raise _BadQuery(f"parameter 'kind' must be one of {', '.join(QUOTE_KINDS)}")
    jobs: list[tuple[str, str]] = []
    if filters.get("speaker_role"):
        filters["speaker_role"], jobs = _role_names(filters["speaker_role"])
    try:
        data = library().search_quotes(args.get("q", ""), k=k, filters=filters, respell=respell, offset=offset)
    except SearchError as exc:
        raise _BadQuery(str(searchdata.refusal(exc))) from None
    missing = speakers_not_quoted(jobs, library().quotes())
    if missing:     # speaker_role=teacher: the practitioners' quotes, and a word that no teacher is quoted
        data = {**data, "speakers_not_quoted": [*data.get("speakers_not_quoted", []), *(w for w, _ in missing)],
                "message": data.get("message") or not_quoted_message(missing)}
    return data, filters


def _find(default_k: int = QUOTES_K):
    try:
        return _find_or_refuse(default_k)
    except _BadQuery as exc:
        abort(400, description=str(exc))


@api_bp.get("/quotes")
@documented("Quotations ranked by meaning and words, with speaker, role, source, page and a ready citation; "
            "without q, every quote the filters let through in document order.",
            '{"query", "total", "offset", "results": [{"quote_id", "text", "speaker", "speaker_role", "kind", "cited", "source_id", '
            '"passage_id", "passage_ids", "page", "section", "citation", "unattributed", "repeats"}], "unknown_words", "did_you_mean", "searched_for", "message", "with_words", "speakers_not_quoted", "nearest_only"}',
            aliases=ALIASES, q="what the quote is about, or words of it", speaker_role="roles, separated by commas (or role=)",
            concept="concept ids",
            study="study ids or names", source="source ids", kind="participant or literature", k="how many (default 20)",
            offset="how many of the ranking to skip (default 0): the next page is offset=k",
            page="page of k quotes, from 1, instead of offset (as /api/search)", respell="as for /api/search")
def quotes_api():
    data, filters = _find()
    return searchdata.quotes_json(data, filters)


@api_bp.get("/quotes/export")
@documented("Quotes exported after each is checked again against its source (409 when one no longer matches).",
            "text/csv, application/x-research-info-systems (ris), application/x-bibtex, application/vnd.citationstyles.csl+json "
            "or text/markdown, as an attachment",
            format="csv (default), ris, bibtex, csl-json or markdown", ids="quote ids separated by commas",
            q="without ids: the quotes /api/quotes finds for q and the filters (with filters alone, all of them)",
            speaker_role="as for /api/quotes", concept="as for /api/quotes", study="as for /api/quotes",
            source="as for /api/quotes", kind="as for /api/quotes", k="how many, without ids",
            offset="as for /api/quotes, without ids", page="as for /api/quotes, without ids",
            respell="as for /api/quotes, without ids", aliases=ALIASES,
            group="quote (default): one reference per quote; source: one reference per source with its quotes as "
                  "notes (ris, bibtex, csl-json), the Markdown under each source's reference, the CSV's rows by source")
def quotes_export():
    fmt = request.args.get("format", "").strip().lower() or "csv"     # "format=" as a form leaves it: the default
    if fmt not in FORMATS:
        abort(400, description=f"parameter 'format' must be one of {', '.join(FORMATS)}")
    group = request.args.get("group", "").strip().lower() or "quote"
    if group not in GROUPS:
        abort(400, description=f"parameter 'group' must be one of {', '.join(GROUPS)}")
    ids = list(dict.fromkeys(i.strip() for i in request.args.get("ids", "").split(",") if i.strip()))   # each quote once
    if not ids and (request.args.get("q", "").strip() or _filter_args()):
        # no basket: the quotes the same query and filters find (k of them, as /api/quotes; with filters
        # alone, every quote they let through)
        data = _find(QUOTES_K if request.args.get("q", "").strip() else EXPORT_ALL)[0]
        if nearest_only(data):
            abort(400, description=nearest_only(data))
        ids = [quote["quote_id"] for quote in data["results"]]
        if not ids:
            abort(400, description=NOTHING_FOUND)
    try:
        body = library().export_quotes(ids, fmt, request.host_url.rstrip("/"), group)
    except ExportError as exc:
        abort(409 if "no longer match" in str(exc) else 400, description=str(exc))
    mimetype, extension = FORMATS[fmt]
    return Response(body, content_type=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="quotes.{extension}"'})


def _form_choices(lib, chosen_study: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """The source and study menus of the quote finder's form."""
    # a study is offered where a quote is filed under it (with how many), or when the URL chose it: a study
    # the sources merely report ("NECF partnership case studies") would find nothing
    studies = [(s["id"], study_short_name(s), lib.search_quotes("", k=1, filters={"study": s["id"]})["total"])
               for s in lib.studies().values() if s["sources"]]
    return {"sources": [(s["id"], s["title"]) for s in lib.sources()],
            "studies": [(sid, f"{name} ({count})") for sid, name, count in studies if count or sid == chosen_study]}


@pages_bp.get("/quotes")
def quotes_page():
    lib = library()
    try:
        data, filters = _find_or_refuse()
    except _BadQuery as exc:     # the page, with the form, says what to change (not a bare error page)
        view = {"query": request.args.get("q", "")[:1000], "total": 0, "offset": 0, "filters": _filter_args(), "roles": ROLE_NAMES,
                "error": str(exc), "results": [], "formats": list(FORMATS), "unknown_words": [], **_form_choices(lib)}
        return render_template("quotes.html", view=view), 400
    # the study a URL names by acronym or name ("study=NECF") shows as chosen, so the next search keeps it
    # (no study in the URL chooses none: an empty name once matched a study without an acronym)
    chosen = (lib.find_study(filters["study"]) or {}).get("id") if (filters.get("study") or "").strip() else None
    view = {
        "query": data["query"], "total": data["total"], "offset": data["offset"], "filters": filters, "roles": ROLE_NAMES,
        "unknown_words": data["unknown_words"], "searched_for": data["searched_for"], "with_words": data.get("with_words"),
        "as_typed": data["searched_for"] and "?" + urlencode({**request.args.to_dict(), "respell": "0"}),
        "did_you_mean": data["did_you_mean"] and "?" + urlencode({**request.args.to_dict(), "q": data["did_you_mean"]}),
        "respelt": data["did_you_mean"], "message": data.get("message"),
        **_form_choices(lib, chosen),
        "study_chosen": chosen,
        "results": [dict(q, source_title=(lib.source(q["source_id"]) or {}).get("title"),
                         incomplete_reference=incomplete_reference(lib.source(q["source_id"])),
                         copy_text=copy_with_citation(q)) for q in data["results"]],
        "formats": list(FORMATS),
    }
    shown = len(view["results"])
    # the same query and filters, exported whole; not when no word of the query is in the library (the
    # message says the ranking is by nearness in meaning only)
    if shown and (data["query"] or filters) and not nearest_only(data):
        taken = parameters_taken(quotes_export)     # the export refuses others
        args = {**{name: value for name, value in request.args.to_dict().items() if name in taken}, "k": shown}
        view["export_found"] = [(fmt, url_for("quotes_api.quotes_export", **{**args, "format": fmt}))
                                for fmt in FORMATS]
    if not shown and view["total"] and view["offset"] >= view["total"]:     # past the end: the last of them
        view["last_page"] = "?" + urlencode({**request.args.to_dict(), "offset": max(0, view["total"] - QUOTES_K)})
    if view["total"] > view["offset"] + shown:       # no pages: the same ranking (or document order), more of it
        view["more"] = "?" + urlencode({**request.args.to_dict(), "k": min(shown + 40, 1000)})
    return render_template("quotes.html", view=view)
