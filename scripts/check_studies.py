#!/usr/bin/env python3
"""Check ontology/studies.ttl: list the studies and verify every evidence quotation.

    .venv/bin/python scripts/check_studies.py [--ttl PATH] [--corpus DIR] [--quiet]

What it does

* parses the Turtle file with rdflib (a syntax error is reported and is fatal);
* prints one block per ``ck:Study`` with its properties (title, acronym, funders, years,
  leads, scale, method, sources ...), then counts of people, organisations and policies;
* checks every ``ck:evidence`` node (whatever its subject): it must have one ``rdf:value``
  and one ``dcterms:source`` naming a known source, and the value must occur in that source
  after normalising both sides — all whitespace deleted, all hyphens and dashes deleted,
  asterisks and ``<u>``/``</u>`` tags deleted, quote characters unified.  A quotation found
  only after unifying quote characters (the document uses other quote marks) is a warning;
* checks structure: studies have a title, a prefLabel and at least one
  dcterms:isReferencedBy; every source an evidence node cites for a subject is among that
  subject's dcterms:isReferencedBy; years are xsd:gYear and start <= end; every ckp:/cko:/
  ckpol:/ckst: IRI used as an object is described in the file with a type; people have
  foaf:name, organisations foaf:name, policies dcterms:title.

Exit status 0 when there are no problems (warnings allowed), 1 otherwise.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

try:
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS, XSD
except ImportError:  # pragma: no cover - the venv provides rdflib
    sys.exit("rdflib is not installed: run this with .venv/bin/python (or pip install rdflib)")

REPO = Path(__file__).resolve().parent.parent
CK = Namespace("https://w3id.org/common-knowledge/ontology#")
CKS = "https://w3id.org/common-knowledge/source/"
CKST = "https://w3id.org/common-knowledge/study/"
CKP = "https://w3id.org/common-knowledge/person/"
CKO = "https://w3id.org/common-knowledge/org/"
CKPOL = "https://w3id.org/common-knowledge/policy/"

from seedtext import SEED_DIR, SEED_FILES, load_sources, normalise, short  # noqa: E402,F401


def values(g: Graph, s, p) -> list:
    return sorted(g.objects(s, p), key=str)


def fmt(items) -> str:
    return "; ".join(short(i) for i in items) if items else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ttl", type=Path, default=REPO / "ontology" / "studies.ttl")
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    ap.add_argument("--quiet", action="store_true", help="only print problems, warnings and the summary")
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
    missing_sources = set(SEED_FILES) - set(sources)
    for sid in sorted(missing_sources):
        problems.append(f"source text for cks:{sid} not found (corpus/ or {SEED_DIR})")
    norm_loose = {sid: normalise(t, True) for sid, t in sources.items()}
    norm_strict = {sid: normalise(t, False) for sid, t in sources.items()}

    # ---- evidence -------------------------------------------------------------------------
    n_evidence = 0
    cited_by_subject: dict = defaultdict(set)
    for subj, ev in g.subject_objects(CK.evidence):
        n_evidence += 1
        vals = list(g.objects(ev, RDF.value))
        srcs = list(g.objects(ev, DCTERMS.source))
        where = f"{short(subj)} evidence"
        if len(vals) != 1 or len(srcs) != 1:
            problems.append(f"{where}: needs exactly one rdf:value and one dcterms:source "
                            f"(has {len(vals)} and {len(srcs)})")
            continue
        val, src = vals[0], srcs[0]
        if not isinstance(val, Literal) or val.language != "en":
            problems.append(f"{where}: rdf:value should be an @en literal: {val!r}")
        if not str(src).startswith(CKS) or str(src)[len(CKS):] not in SEED_FILES:
            problems.append(f"{where}: unknown source {src}")
            continue
        sid = str(src)[len(CKS):]
        cited_by_subject[subj].add(src)
        if sid not in sources:
            continue
        text = str(val)
        if not text.strip():
            problems.append(f"{where}: empty quotation")
            continue
        if normalise(text, False) in norm_strict[sid]:
            continue
        if normalise(text, True) in norm_loose[sid]:
            warnings.append(f"{where} [{sid}]: found only after unifying quote marks: {text[:90]}…")
            continue
        problems.append(f"{where} [{sid}]: NOT FOUND: {text[:120]}…")

    # ---- structure -----------------------------------------------------------------------
    studies = sorted(set(g.subjects(RDF.type, CK.Study)), key=str)
    people = sorted(set(g.subjects(RDF.type, FOAF.Person)), key=str)
    orgs = sorted(set(g.subjects(RDF.type, FOAF.Organization)), key=str)
    policies = sorted(set(g.subjects(RDF.type, CK.Policy)), key=str)
    typed = set(studies) | set(people) | set(orgs) | set(policies)

    expected_type = {CKST: studies, CKP: people, CKO: orgs, CKPOL: policies}
    for s, p, o in g:
        if isinstance(s, URIRef) and str(s).startswith((CKST, CKP, CKO, CKPOL)) and s not in typed:
            problems.append(f"{short(s)} is described but has no (expected) rdf:type")
        if isinstance(o, URIRef) and p != RDF.type:
            for prefix, members in expected_type.items():
                if str(o).startswith(prefix) and o not in members:
                    problems.append(f"{short(s)} {short(p)} {short(o)}: object not defined with its type")
    for s, p, o in g:
        if p in (CK.startYear, CK.endYear, DCTERMS.date):
            if not (isinstance(o, Literal) and o.datatype == XSD.gYear and re.fullmatch(r"\d{4}", str(o))):
                problems.append(f"{short(s)} {short(p)}: not an xsd:gYear: {o!r}")

    subjects_with_refs = set(g.subjects(DCTERMS.isReferencedBy, None))
    for subj, cited in cited_by_subject.items():
        refs = set(g.objects(subj, DCTERMS.isReferencedBy))
        if subj in typed and (subj in subjects_with_refs or subj in studies):
            for src in cited - refs:
                problems.append(f"{short(subj)}: evidence cites {short(src)} but dcterms:isReferencedBy lacks it")
    for r in set(g.objects(None, DCTERMS.isReferencedBy)):
        if not str(r).startswith(CKS) or str(r)[len(CKS):] not in SEED_FILES:
            problems.append(f"dcterms:isReferencedBy names an unknown source {r}")

    for st in studies:
        for p, name in ((DCTERMS.title, "dcterms:title"), (SKOS.prefLabel, "skos:prefLabel"),
                        (DCTERMS.isReferencedBy, "dcterms:isReferencedBy"), (CK.evidence, "ck:evidence")):
            if not list(g.objects(st, p)):
                problems.append(f"{short(st)}: missing {name}")
        if len(list(g.objects(st, SKOS.prefLabel))) > 1:
            problems.append(f"{short(st)}: more than one skos:prefLabel")
        starts = [int(str(y)) for y in g.objects(st, CK.startYear)]
        ends = [int(str(y)) for y in g.objects(st, CK.endYear)]
        if len(starts) > 1 or len(ends) > 1:
            problems.append(f"{short(st)}: more than one start/end year")
        if starts and ends and min(starts) > max(ends):
            problems.append(f"{short(st)}: startYear after endYear")
    for person in people:
        if not list(g.objects(person, FOAF.name)):
            problems.append(f"{short(person)}: missing foaf:name")
    for org in orgs:
        if not list(g.objects(org, FOAF.name)):
            problems.append(f"{short(org)}: missing foaf:name")
    for pol in policies:
        if not list(g.objects(pol, DCTERMS.title)):
            problems.append(f"{short(pol)}: missing dcterms:title")

    # ---- listing -------------------------------------------------------------------------
    if not args.quiet:
        rows = [
            ("title", DCTERMS.title), ("prefLabel", SKOS.prefLabel), ("altLabel", SKOS.altLabel),
            ("acronym", CK.acronym), ("partOf", CK.partOf), ("evaluates", CK.evaluates),
            ("funder", CK.funder), ("startYear", CK.startYear), ("endYear", CK.endYear),
            ("date", DCTERMS.date), ("creator", DCTERMS.creator),
            ("duration", CK.duration), ("lead", CK.lead), ("coLead", CK.coLead),
            ("teamMember", CK.teamMember), ("partner", CK.partnerOrganisation),
            ("budget", CK.budget), ("scale", CK.scale), ("method", CK.method), ("output", CK.output),
            ("policyContext", CK.policyContext), ("sources", DCTERMS.isReferencedBy),
        ]
        for st in studies:
            print(f"== {short(st)}")
            for label, p in rows:
                vs = values(g, st, p)
                if vs:
                    print(f"   {label:<13} {fmt(vs)}")
            print(f"   {'evidence':<13} {len(list(g.objects(st, CK.evidence)))} quotations")
        print()

    print(f"studies: {len(studies)}  people: {len(people)}  organisations: {len(orgs)}  "
          f"policies: {len(policies)}  evidence nodes: {n_evidence}  triples: {len(g)}")
    for w in warnings:
        print(f"WARNING: {w}")
    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"{len(problems)} problem(s), {len(warnings)} warning(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
