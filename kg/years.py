"""Years as the literature writes them: one spelling for every stage that reads them (the cleaner's
reference-list lines, reference entries, in-text citations, the pages that cite a work)."""
from __future__ import annotations

import re

# a publication year: 1500–2099 (older dates in these texts are not years of works)
YEAR_DIGITS = r"(?:1[5-9]|20)\d\d"
# a work's year as a citation gives it: "2004", "2004a", "2007-8", "2004/05", "2010–2011", "in press",
# "forthcoming", "n.d."
CITED_YEAR = rf"{YEAR_DIGITS}(?:[-–/]\d{{2,4}})?[a-z]?|in\s+press|forthcoming|n\.\s?d\."
# such a year alone in brackets, as an author–year reference entry writes it: "(2004)", "(in press)"
CITED_YEAR_IN_BRACKETS_RE = re.compile(rf"\(\s*({CITED_YEAR})\s*\)", re.I)
