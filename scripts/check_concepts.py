#!/usr/bin/env python3
"""Check ontology/concepts.ttl: the SKOS concept scheme of Common Knowledge.

    .venv/bin/python scripts/check_concepts.py [--ttl PATH] [--corpus DIR] [--quiet] [--list]

What it does

* parses the Turtle file with rdflib (a syntax error is reported and is fatal);
* counts the concepts (``skos:Concept``), per family collection and per scheme;
* checks every quotation: each ``skos:definition`` and ``ck:sourcedDescription`` node's ``rdf:value`` and each
  ``ck:evidence`` (a literal on a ``ck:coinage`` node, or an ``rdf:value`` on an evidence
  node) must occur in the document named by its ``dcterms:source`` after normalising BOTH
  sides: markdown ``**``/``*``/``<u>``/``</u>`` and broken bullet glyphs deleted, all
  whitespace deleted, all hyphens and dashes deleted, quote characters unified.  A
  quotation found only after unifying quotes is a problem (the document's own quote marks
  must be kept).  A stricter comparison (whitespace collapsed, a line-break hyphen either
  kept or dropped, every other character as written) is reported as a warning when it fails;
* checks structure: every concept has a prefLabel@en, a scopeNote, at least one sourced
  definition (or, for a concept no document defines, a sourced description), skos:inScheme ckc:scheme and membership of at least one family collection;
  prefLabels are unique; the concept id is the slug of its prefLabel (warning);
  skos:broader / skos:narrower are symmetric; skos:related is symmetric;
  hasTopConcept / topConceptOf agree; every ckc: IRI used as an object is defined;
  the prevention-levels scheme has four concepts with notations "1".."4";
  an altLabel equal to the prefLabel, or shared by two concepts, is a warning;
  definitions outside 8-70 words are a warning; a definition that opens on a conjunction ("although …")
  or ends on ";" or "," is a fragment, a problem.

Exit status 0 when there are no problems (warnings allowed), 1 otherwise.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

try:
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, RDF, SKOS
except ImportError:  # pragma: no cover - the venv provides rdflib
    sys.exit("rdflib is not installed: run this with .venv/bin/python (or pip install rdflib)")

REPO = Path(__file__).resolve().parent.parent
CK = Namespace("https://w3id.org/common-knowledge/ontology#")
CKC = "https://w3id.org/common-knowledge/concept/"
CKS = "https://w3id.org/common-knowledge/source/"
SCHEME = URIRef(CKC + "scheme")
LEVELS = URIRef(CKC + "prevention-levels")
FAMILIES = ["family-chat", "family-relational-expertise", "family-collaboration", "family-prevention", "family-policy"]

from seedtext import GLYPHS, MARKUP, SEED_DIR, SEED_FILES, WS, load_sources, short  # noqa: E402
from seedtext import normalise as _normalise  # noqa: E402

_BREAK = "\x00"   # marks a line-break hyphen in the strict form of a source
# A quoted definition that opens mid-sentence on a conjunction ("although …", "and therefore …") or runs
# on into what follows ("…, leading to;") is a fragment, not a sentence that says what a concept is.
FRAGMENT = re.compile(r"^[…\s]*(?:and|but|or|although|though|because|whereas|while|which|so)\b|[;,]$")


def normalise(text: str, unify_quotes: bool = True) -> str:
    """Markup, glyphs, whitespace and hyphens/dashes removed; quotes unified if asked."""
    return _normalise(text, unify_quotes, drop_glyphs=True)


def strict_form(text: str) -> str:
    """Markup and glyphs removed, a line-break hyphen marked, other whitespace collapsed."""
    text = MARKUP.sub("", text)
    text = GLYPHS.sub("", text)
    text = re.sub(r"(?<=\w)-[ \t]*\n\s*(?=\w)", _BREAK, text)
    return WS.sub(" ", text)


def strict_pattern(quote: str) -> re.Pattern:
    """A quotation as a regex over strict_form(source): a hyphen may be a marked line-break
    hyphen, and a marked line-break hyphen may fall between any two word characters."""
    quote = WS.sub(" ", MARKUP.sub("", quote)).strip()
    parts = []
    for i, ch in enumerate(quote):
        if ch == "-":
            parts.append("(?:-|" + _BREAK + ")")
        else:
            parts.append(re.escape(ch))
        if i + 1 < len(quote) and ch.isalnum() and quote[i + 1].isalnum():
            parts.append(_BREAK + "?")
        elif ch == " ":
            parts.append(" ?")  # a bullet glyph removed at a line start can leave a double space
    return re.compile("".join(parts))


def slug(label: str) -> str:
    label = re.sub("['\u2019]", "", label.lower())
    return re.sub(r"[^a-z0-9]+", "-", label).strip("-")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ttl", type=Path, default=REPO / "ontology" / "concepts.ttl")
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    ap.add_argument("--studies", type=Path, default=REPO / "ontology" / "studies.ttl",
                    help="studies/people/policies file; ckst:/ckp:/cko:/ckpol: IRIs not described there are noted")
    ap.add_argument("--quiet", action="store_true", help="only print problems, warnings and the summary")
    ap.add_argument("--list", action="store_true", help="list every concept id per family")
    args = ap.parse_args(argv)

    problems: list[str] = []
    warnings: list[str] = []

    g = Graph()
    try:
        g.parse(args.ttl, format="turtle")
    except Exception as exc:  # rdflib raises several parser exception types
        print(f"PROBLEM: {args.ttl} does not parse: {exc}")
        return 1

    sources = load_sources(args.corpus)
    for sid in sorted(set(SEED_FILES) - set(sources)):
        problems.append(f"source text for cks:{sid} not found (corpus/ or {SEED_DIR})")
    norm_loose = {sid: normalise(t, True) for sid, t in sources.items()}
    norm_strict = {sid: normalise(t, False) for sid, t in sources.items()}
    strict_src = {sid: strict_form(t) for sid, t in sources.items()}

    concepts = sorted(set(g.subjects(RDF.type, SKOS.Concept)), key=str)
    concept_set = set(concepts)

    # ---- quotations ---------------------------------------------------------------------
    def check_quote(owner, kind: str, value, src) -> None:
        where = f"{short(owner)} {kind}"
        if not isinstance(value, Literal) or value.language != "en":
            problems.append(f"{where}: should be an @en literal: {value!r}")
        if src is None or not str(src).startswith(CKS) or str(src)[len(CKS):] not in sources:
            problems.append(f"{where}: dcterms:source {src!r} is not a known cks: source")
            return
        sid = str(src)[len(CKS):]
        text = str(value)
        if normalise(text, False) in norm_strict[sid]:
            pass
        elif normalise(text, True) in norm_loose[sid]:
            problems.append(f"{where}: found in cks:{sid} only after unifying quote marks "
                            f"(keep the document's own quotes): {text[:90]!r}")
            return
        else:
            problems.append(f"{where}: NOT FOUND in cks:{sid}: {text!r}")
            return
        if not strict_pattern(text).search(strict_src[sid]):
            warnings.append(f"{where}: found, but hyphenation/spacing differs from cks:{sid}: {text[:90]!r}")

    n_definitions = n_descriptions = 0
    for predicate, what in ((SKOS.definition, "definition"), (CK.sourcedDescription, "description")):
        for owner, node in g.subject_objects(predicate):
            if what == "definition":
                n_definitions += 1
            else:
                n_descriptions += 1
            if not isinstance(node, BNode):
                problems.append(f"{short(owner)}: {short(predicate)} should be a node with rdf:value and dcterms:source")
                continue
            vals = list(g.objects(node, RDF.value))
            srcs = list(g.objects(node, DCTERMS.source))
            if len(vals) != 1 or len(srcs) != 1:
                problems.append(f"{short(owner)} {what}: needs exactly one rdf:value and one dcterms:source "
                                f"(has {len(vals)} and {len(srcs)})")
                continue
            check_quote(owner, what, vals[0], srcs[0])
            if what == "definition" and FRAGMENT.search(str(vals[0]).strip()):
                problems.append(f"{short(owner)} definition is a fragment (it opens on a conjunction or ends on "
                                f"';' or ','): quote a sentence that says what the concept is, or make it a "
                                f"ck:sourcedDescription: {str(vals[0])[:90]!r}")
            words = len(str(vals[0]).split())
            if not 8 <= words <= 70:
                warnings.append(f"{short(owner)} {what} has {words} words: {str(vals[0])[:70]!r}")

    n_evidence = 0
    for holder, ev in g.subject_objects(CK.evidence):
        n_evidence += 1
        owner = next(iter(g.subjects(CK.coinage, holder)), holder)
        if isinstance(ev, Literal):
            srcs = list(g.objects(holder, DCTERMS.source))
            value = ev
        else:
            srcs = list(g.objects(ev, DCTERMS.source))
            vals = list(g.objects(ev, RDF.value))
            value = vals[0] if len(vals) == 1 else None
            if value is None:
                problems.append(f"{short(owner)} evidence: needs one rdf:value")
                continue
        if len(srcs) != 1:
            problems.append(f"{short(owner)} evidence: needs exactly one dcterms:source (has {len(srcs)})")
            continue
        check_quote(owner, "evidence", value, srcs[0])

    # ---- concepts -----------------------------------------------------------------------
    pref_owner: dict[str, list] = defaultdict(list)
    alt_owner: dict[str, set] = defaultdict(set)
    for c in concepts:
        prefs = [l for l in g.objects(c, SKOS.prefLabel) if isinstance(l, Literal) and l.language == "en"]
        if len(prefs) != 1:
            problems.append(f"{short(c)}: needs exactly one skos:prefLabel@en (has {len(prefs)})")
            continue
        pref = str(prefs[0])
        pref_owner[pref.lower()].append(c)
        if slug(pref) != str(c)[len(CKC):]:
            warnings.append(f"{short(c)}: id is not the slug of its prefLabel {pref!r} ({slug(pref)})")
        for alt in g.objects(c, SKOS.altLabel):
            if str(alt).lower() == pref.lower():
                warnings.append(f"{short(c)}: altLabel {str(alt)!r} repeats the prefLabel")
            alt_owner[str(alt).lower()].add(c)
        if not list(g.objects(c, SKOS.scopeNote)):
            problems.append(f"{short(c)}: no skos:scopeNote")
        defs = list(g.objects(c, SKOS.definition))
        if not defs and not list(g.objects(c, CK.sourcedDescription)):
            problems.append(f"{short(c)}: no skos:definition and no ck:sourcedDescription")
        if SCHEME not in set(g.objects(c, SKOS.inScheme)):
            problems.append(f"{short(c)}: not skos:inScheme ckc:scheme")
        if not any(True for _ in g.subjects(SKOS.member, c)):
            problems.append(f"{short(c)}: not a skos:member of any family collection")
    for label, owners in pref_owner.items():
        if len(owners) > 1:
            problems.append(f"prefLabel {label!r} used by {', '.join(short(o) for o in owners)}")
    for label, owners in alt_owner.items():
        if len(owners) > 1:
            warnings.append(f"altLabel {label!r} shared by {', '.join(sorted(short(o) for o in owners))}")
        if label in pref_owner and set(pref_owner[label]) != owners:
            warnings.append(f"altLabel {label!r} of {', '.join(sorted(short(o) for o in owners))} "
                            f"is the prefLabel of {short(pref_owner[label][0])}")

    # ---- relations ----------------------------------------------------------------------
    for s, o in g.subject_objects(SKOS.broader):
        if (o, SKOS.narrower, s) not in g:
            problems.append(f"{short(s)} skos:broader {short(o)} but not {short(o)} skos:narrower {short(s)}")
    for s, o in g.subject_objects(SKOS.narrower):
        if (o, SKOS.broader, s) not in g:
            problems.append(f"{short(s)} skos:narrower {short(o)} but not {short(o)} skos:broader {short(s)}")
    for s, o in g.subject_objects(SKOS.related):
        if (o, SKOS.related, s) not in g:
            problems.append(f"{short(s)} skos:related {short(o)} is not reciprocated (skos:related is symmetric: "
                            f"add {short(o)} skos:related {short(s)})")
        if (s, SKOS.broader, o) in g or (s, SKOS.narrower, o) in g:
            problems.append(f"{short(s)} is both skos:related and broader/narrower to {short(o)}")
    for s, p, o in g:
        if isinstance(o, URIRef) and str(o).startswith(CKC) and o not in concept_set:
            if (o, RDF.type, SKOS.ConceptScheme) in g or (o, RDF.type, SKOS.Collection) in g:
                continue
            problems.append(f"{short(s)} {short(p)} {short(o)}: {short(o)} is not defined")
    for c in concepts:
        if (c, SKOS.broader, c) in g:
            problems.append(f"{short(c)} is broader than itself")

    # ---- schemes, top concepts, collections -----------------------------------------------
    if (SCHEME, RDF.type, SKOS.ConceptScheme) not in g:
        problems.append("ckc:scheme is not a skos:ConceptScheme")
    if (LEVELS, RDF.type, SKOS.ConceptScheme) not in g:
        problems.append("ckc:prevention-levels is not a skos:ConceptScheme")
    for scheme in (SCHEME, LEVELS):
        for top in g.objects(scheme, SKOS.hasTopConcept):
            if (top, SKOS.topConceptOf, scheme) not in g:
                problems.append(f"{short(scheme)} hasTopConcept {short(top)} without topConceptOf")
        for top in g.subjects(SKOS.topConceptOf, scheme):
            if (scheme, SKOS.hasTopConcept, top) not in g:
                problems.append(f"{short(top)} topConceptOf {short(scheme)} without hasTopConcept")
            if (top, SKOS.inScheme, scheme) not in g:
                problems.append(f"{short(top)} topConceptOf {short(scheme)} but not inScheme it")
    if not list(g.objects(SCHEME, SKOS.hasTopConcept)):
        problems.append("ckc:scheme has no top concepts")
    levels = sorted(set(g.subjects(SKOS.inScheme, LEVELS)), key=str)
    notations = sorted(str(n) for c in levels for n in g.objects(c, SKOS.notation))
    if len(levels) != 4 or notations != ["1", "2", "3", "4"]:
        problems.append(f"ckc:prevention-levels should hold four concepts with notations 1-4 "
                        f"(has {len(levels)}: {notations})")
    if not list(g.objects(LEVELS, DCTERMS.source)):
        problems.append("ckc:prevention-levels has no dcterms:source")

    family_counts = {}
    for fam in FAMILIES:
        iri = URIRef(CKC + fam)
        if (iri, RDF.type, SKOS.Collection) not in g:
            problems.append(f"ckc:{fam} is not a skos:Collection")
        members = sorted(g.objects(iri, SKOS.member), key=str)
        family_counts[fam] = members
        for m in members:
            if m not in concept_set:
                problems.append(f"ckc:{fam} member {short(m)} is not a skos:Concept")

    # ---- cross-file references (notes only: studies.ttl belongs to another step) ---------
    notes: list[str] = []
    if args.studies.is_file():
        other = Graph()
        try:
            other.parse(args.studies, format="turtle")
        except Exception as exc:  # pragma: no cover
            notes.append(f"{args.studies} does not parse ({exc}); cross-file references not checked")
            other = None
        if other is not None:
            described = set(other.subjects())
            outside = defaultdict(set)
            for s_, p_, o_ in g:
                if isinstance(o_, URIRef) and any(str(o_).startswith("https://w3id.org/common-knowledge/" + k + "/")
                                                   for k in ("study", "person", "org", "policy")):
                    if o_ not in described:
                        outside[o_].add(s_)
            for iri in sorted(outside, key=str):
                notes.append(f"{short(iri)} is not described in {args.studies.name}")

    # ---- report -------------------------------------------------------------------------
    if not args.quiet:
        for fam, members in family_counts.items():
            print(f"{fam}: {len(members)} concepts")
            if args.list:
                for m in members:
                    print(f"    {short(m)}")
    multi = [c for c in concepts if len(list(g.objects(c, SKOS.definition))) > 1]
    senses = [c for c in concepts if any(True for d in g.objects(c, SKOS.definition) for _ in g.objects(d, CK.sense))]
    coined = [c for c in concepts if list(g.objects(c, CK.coinage))]
    if not args.quiet:
        for n in notes:
            print(f"NOTE: {n}")
    for w in warnings:
        print(f"WARNING: {w}")
    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"{len(concepts)} concepts ({len(levels)} in ckc:prevention-levels); {n_definitions} definitions, {n_descriptions} descriptions "
          f"({len(multi)} concepts with more than one, {len(senses)} with ck:sense-tagged senses); "
          f"{n_evidence} coinage evidence quotations on {len(coined)} concepts; "
          f"{len(warnings)} warnings; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
