"""What check_concepts.py and check_studies.py share: the seed texts and the normalisation under
which a curated quotation must be found in them."""
from __future__ import annotations

import re
from pathlib import Path

# Source id -> file.  corpus/<id>.txt in the repo is tried first; the seed copies (same bytes)
# are the fallback.
SEED_DIR = Path("/work/shared/seeds")
SEED_FILES = {
    "chat-resilience-article": "000_72bd2051d5980bda.txt",
    "necf-prevention-report": "001_400d1972066010d1.txt",
    "collaborative-agency-slides": "002_75ab2c940f341aa8.txt",
    "jopling-vincent-2020": "003_c37945f982ca0d4e.txt",
    "oxford-ref2014-impact": "004_73f4a3d735f3d3c3.txt",
}
PREFIXES = (
    ("https://w3id.org/common-knowledge/concept/", "ckc:"),
    ("https://w3id.org/common-knowledge/source/", "cks:"),
    ("https://w3id.org/common-knowledge/study/", "ckst:"),
    ("https://w3id.org/common-knowledge/person/", "ckp:"),
    ("https://w3id.org/common-knowledge/org/", "cko:"),
    ("https://w3id.org/common-knowledge/policy/", "ckpol:"),
    ("https://w3id.org/common-knowledge/ontology#", "ck:"),
    ("http://www.w3.org/2004/02/skos/core#", "skos:"),
)

WS = re.compile(r"\s+")
DASHES = re.compile("[-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
MARKUP = re.compile(r"\*|</?u>", re.IGNORECASE)
# the seeds' broken Symbol-font bullet ("\ufffd\u0192") and private-use bullet glyphs
GLYPHS = re.compile("\ufffd[\u0192\u00a7\u00d8\u00fc\u00a8\u00b7]?|[\uf000-\uf0ff]")
SINGLE_Q = re.compile("[\u2018\u2019\u201a\u201b\u2032\u0060\u00b4']")
DOUBLE_Q = re.compile('[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"]')


def normalise(text: str, unify_quotes: bool = True, drop_glyphs: bool = False) -> str:
    """Markup (and, if asked, bullet glyphs), whitespace and hyphens/dashes removed; quotes
    unified if asked."""
    text = MARKUP.sub("", text)
    if drop_glyphs:
        text = GLYPHS.sub("", text)
    text = WS.sub("", text)
    text = DASHES.sub("", text)
    if unify_quotes:
        text = SINGLE_Q.sub("'", text)
        text = DOUBLE_Q.sub("'", text)
    return text


def load_sources(corpus: Path) -> dict[str, str]:
    texts = {}
    for sid, seed in SEED_FILES.items():
        for candidate in (corpus / f"{sid}.txt", SEED_DIR / seed):
            if candidate.is_file():
                texts[sid] = candidate.read_text(encoding="utf-8")
                break
    return texts


def short(node) -> str:
    """An IRI with the project's prefixes ("ckc:relational-agency")."""
    s = str(node)
    for prefix, label in PREFIXES:
        if s.startswith(prefix):
            return label + s[len(prefix):]
    return s
