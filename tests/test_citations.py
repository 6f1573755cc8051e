"""Citation lineage: the reference and in-text parsers on realistic strings, property tests that
they never raise and keep their offsets, works across documents, the JSON API and CLI on the
citations fixture corpus (tests/data/citations), BibTeX/RIS exports read back by standard parsers,
and every new page in Debian's chromium."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.citations import analyse_document, find_citations, parse_reference, parse_references, resolve_works
from kg.citations.intext import without_citations
from kg.citations.names import fold, surname_key

from conftest import build_corpus

ROOT = Path(__file__).resolve().parent.parent
CITATIONS_CORPUS = ROOT / "tests" / "data" / "citations"
CKG = [sys.executable, "-m", "kg.cli"]


# --- reference entries -------------------------------------------------------------------------------

def test_author_year_entry_with_several_authors_and_a_journal():
    ref = parse_reference("Tanaka, H., Brennan, M.J. and Oduya, P. (2013) Working across agencies: a review, "
                          "Journal of Social Care, 14(2), 101-119.")
    assert ref.surnames == ["Tanaka", "Brennan", "Oduya"]
    assert ref.authors == ["Tanaka, H.", "Brennan, M.J.", "Oduya, P."]
    assert (ref.year, ref.year_suffix) == ("2013", "")
    assert ref.title == "Working across agencies: a review"
    assert ref.container == "Journal of Social Care" and ref.pages == "101-119"


def test_initials_written_without_full_stops_are_shown_as_a_reference_list_prints_them():
    # the impact case study's "Edwards, A, Barnes, M., …": one list, one way of writing initials
    ref = parse_reference("Edwards, A, Barnes, M., Plewis, I. and Morris, K. (2006) Working to Prevent the Social "
                          "Exclusion of Children and Young People, London, DfES Research Report 734.")
    assert ref.authors == ["Edwards, A.", "Barnes, M.", "Plewis, I.", "Morris, K."]
    ref = parse_reference("Glendinning C, Powell MA (2002) Partnerships, New Labour and the Governance of Welfare. Bristol: Policy Press")
    assert ref.authors == ["Glendinning, C.", "Powell, M. A."] and ref.surnames == ["Glendinning", "Powell"]
    # initials already dotted, hyphenated or of two letters stay as written
    ref = parse_reference("Punamäki, R.-J., Miettinen, R. and Engeström, Y. (1999) Perspectives on Activity Theory. "
                          "Cambridge: Cambridge University Press")
    assert ref.authors == ["Punamäki, R.-J.", "Miettinen, R.", "Engeström, Y."]


def test_corporate_author_with_year_suffix_and_place_publisher():
    ref = parse_reference("Department for Work and Pensions (2011b) Family Support Today. London: The Stationery Office")
    assert ref.corporate and ref.surnames == ["Department for Work and Pensions"]
    assert (ref.year, ref.year_suffix) == ("2011", "b")
    assert ref.title == "Family Support Today"
    assert (ref.place, ref.publisher) == ("London", "The Stationery Office")


def test_place_and_publisher_after_a_title_without_a_full_stop():
    # British reports' style: "The Children Act London, HMSO"
    ref = parse_reference("Department of Health (1989) The Children Act London, HMSO")
    assert (ref.title, ref.place, ref.publisher) == ("The Children Act", "London", "HMSO")
    ref = parse_reference("Edwards, A. (2010) Being an Expert Professional Practitioner: the relational turn in expertise "
                          "Dordrecht, Springer.")
    assert (ref.title, ref.place, ref.publisher) == (
        "Being an Expert Professional Practitioner: the relational turn in expertise", "Dordrecht", "Springer")
    assert parse_reference("Home Office, The (1998) Supporting Families: A consultation document London HMSO").title == \
        "Supporting Families: A consultation document"
    ref = parse_reference("Edwards, A. (2006) Working to Prevent Exclusion: final lessons from the National Evaluation, "
                          "London, DfES Research Report 734.")
    assert (ref.title, ref.place) == ("Working to Prevent Exclusion: final lessons from the National Evaluation", "London")
    # a place that belongs to the title stays in it
    assert parse_reference("Jones, K. (2005) Working in Berlin and Paris, Routledge.").title == \
        "Working in Berlin and Paris, Routledge"
    assert parse_reference("Smith, J. (2001) Children in London, England. Bristol: Policy Press.").title == \
        "Children in London, England"
    # a note on what the work is, after its title, is no subtitle; the place is the last sentence's before the colon
    ref = parse_reference("Wong, S. et al. (2012) Collaborative Practices in Victorian Early Years Services. A study "
                          "commissioned by Victorian Department of Education and Early Childhood Development. Australia: "
                          "Charles Sturt University", "C9")
    assert (ref.title, ref.place, ref.publisher) == ("Collaborative Practices in Victorian Early Years Services", "Australia",
                                                     "Charles Sturt University")
    assert parse_reference("Ng, T. (2011) Joint Work. The view from the front line. Bristol: Policy Press.").title == \
        "Joint Work. The view from the front line"


def test_in_press_et_al_chapter_and_url():
    ref = parse_reference("Ferreira, L. et al. (in press) Agency at work. Bristol: Policy Press.")
    assert ref.surnames == ["Ferreira"] and ref.et_al and ref.year == "in press"
    chapter = parse_reference("Kowalski, A. (2008) Boundaries and brokers, in Hart, D. (ed.) Inter-agency Work. "
                              "Leeds: Unit Press, pp. 40-58.")
    assert chapter.title == "Boundaries and brokers" and chapter.container == "Inter-agency Work"
    assert chapter.editors == ["Hart, D."] and chapter.publisher == "Unit Press" and chapter.pages == "40-58"
    report = parse_reference("Rowe, K. & Lund, E. (2019) Early Help in Practice. Report to the Council. "
                             "https://example.org/early-help.pdf")
    assert report.surnames == ["Rowe", "Lund"] and report.url == "https://example.org/early-help.pdf"


def test_names_with_apostrophes_diacritics_and_particles():
    ref = parse_reference("O'Connell, B., Ødegaard, T. and Ní Bhriain, A. (2016) Three kinds of agency. Oslo: Nordic Press.")
    assert ref.surnames == ["O'Connell", "Ødegaard", "Ní Bhriain"]
    assert surname_key("Leont’ev") == surname_key("Leont'ev") == "leontev"
    assert fold("Engeström") == "engestrom"


def test_keyed_list_entries_and_a_list_with_broken_lines():
    text = ("Outputs\n\n[R1] Moss, P. (2015) Working together. London: Routledge.\n\n"
            "[R2] Moss, P. and Kay, J. (2017) Leading change, Journal of Leading, 3(1), 1-9.\n\n"
            "[S1] FSP - Family Support Partnership (County Council) 2014-16 (Moss) £20k\n\n"
            "References\n\nAbara, T. (2001) Practice and theory. Englewood Cliffs NJ:\n\nPrentice Hall\n\n"
            "Home Office, The (1998) Supporting Carers London HMSO Department of Health (1989) The Care Act London, HMSO\n\n"
            "Appendix 1\n\nSome text that is not a reference (Abara, 2001).")
    refs = parse_references(text)
    assert [r.key for r in refs[:3]] == ["R1", "R2", "S1"]
    assert refs[1].surnames == ["Moss", "Kay"] and refs[1].year == "2017"
    # a funded study: its acronym beside its name, the period it states as its year
    assert refs[2].surnames == [] and refs[2].year == "2014-16"
    assert (refs[2].acronym, refs[2].title) == ("FSP", "Family Support Partnership")
    rest = refs[3:]
    assert [r.surnames[0] for r in rest] == ["Abara", "Home Office", "Department of Health"]
    assert rest[1].authors == ["Home Office, The"]
    assert rest[0].publisher == "Prentice Hall"          # the broken line joined its entry
    assert all(text[r.start:r.end] == r.raw for r in refs)


def test_a_keyed_entry_that_is_not_a_study_takes_no_date_from_its_text():
    refs = parse_references("Sources to corroborate the impact\n\n"
                            "[C1] Head of Research and Assistant Director CWDC (2007-2011)\n\n"
                            "[C2] Letter from the Early Intervention Manager, County Council, 2012\n\n"
                            "[C3] Smith, J. (2011) An evaluation. London: HMSO.")
    assert [(r.key, r.year, r.acronym) for r in refs] == [("C1", "", ""), ("C2", "", ""), ("C3", "2011", "")]
    assert refs[0].title == "Head of Research and Assistant Director CWDC"


# a title, then a journal whose name may itself hold commas (a serial list: "Learning, Culture and
# Social Interaction"), then its volume, issue and pages
_TITLE_WORDS = st.lists(st.sampled_from(["The", "Role", "of", "Common", "Knowledge", "Across", "Practices", "agency",
                                         "Working", "with", "Children", "learning", "Expertise"]), min_size=2, max_size=9)
_NAME_WORD = st.sampled_from(["Learning", "Culture", "Social", "Interaction", "Society", "Theory", "Policy", "Care"])
_JOURNAL = st.one_of(
    st.lists(_NAME_WORD, min_size=1, max_size=3).map(lambda w: "Journal of " + " ".join(w)),
    st.tuples(st.lists(_NAME_WORD, min_size=1, max_size=3), _NAME_WORD, _NAME_WORD).map(
        lambda t: ", ".join(t[0]) + f" and {t[1]} {t[2]}"))


@settings(max_examples=120, deadline=None)
@given(_TITLE_WORDS, _JOURNAL, st.integers(1, 99), st.integers(1, 12), st.integers(1, 500), st.integers(1, 40),
       st.sampled_from(["{v}({i}), {p}", "{v}({i}): {p}", "{v}, {i}, {p}", "{v}, {i}. {p}", "vol. {v}, no. {i}, pp. {p}"]))
def test_a_journal_name_with_commas_its_volume_and_issue(words, journal, volume, issue, first, length, style):
    title = " ".join(["Knowledge"] + words)
    pages = f"{first}-{first + length}"
    ref = parse_reference(f"Edwards, A. (2012) {title}, {journal}, " + style.format(v=volume, i=issue, p=pages) + ".")
    assert (ref.title, ref.container) == (title, journal)
    assert (ref.volume, ref.issue, ref.pages) == (str(volume), str(issue), pages)


def test_journal_examples_of_the_corpus():
    # the REF case study's [R6]: the title ended at the journal's own comma ("…Practices, Learning")
    ref = parse_reference("[R6] Edwards, A. (2012) The Role of Common Knowledge in Achieving Collaboration Across "
                          "Practices, Learning, Culture and Social Interaction, 1(1), 22-32.")
    assert ref.title == "The Role of Common Knowledge in Achieving Collaboration Across Practices"
    assert (ref.container, ref.volume, ref.issue, ref.pages) == ("Learning, Culture and Social Interaction", "1", "1", "22-32")
    # a volume without an issue, after "vol." and before "pp" (the NECF report's Smith 1999 lost its journal)
    ref = parse_reference("Smith, T. (1999) Neighbourhood and preventative strategies with children and families: "
                          "What works? Children and Society vol. 13 pp 265-277.")
    assert (ref.container, ref.volume, ref.issue, ref.pages) == ("Children and Society", "13", "", "265-277")
    # a book's pages in brackets are no volume: the container keeps its list ("…Children, Young People and Families")
    ref = parse_reference("Potter, T., & Brotherton, G. (2013). What do we mean when we talk about ‘vulnerability’? "
                          "in G. Brotherton and M. Cronin (eds.) Working with Vulnerable Children, Young People and "
                          "Families (1-15). London: Routledge.")
    assert (ref.container, ref.volume, ref.pages) == ("Working with Vulnerable Children, Young People and Families", "", "1-15")
    assert (ref.place, ref.publisher) == ("London", "Routledge")
    # a report's number is no volume; a title that is itself a list keeps it
    ref = parse_reference("Edwards, A. (2006) Working to Prevent Exclusion: final lessons, London, DfES Research Report 734.")
    assert (ref.container, ref.volume, ref.publisher) == ("", "", "DfES Research Report 734")
    ref = parse_reference("Lee, J. (2000) Risk, Trust and Reflexivity, Theory, Culture and Society, 17(4), 1-22.")
    assert (ref.title, ref.container, ref.volume, ref.issue) == ("Risk, Trust and Reflexivity", "Theory, Culture and Society", "17", "4")


_CAPITALISED = st.sampled_from(["Director", "Edwards", "Lead", "Daniels", "Co-PI", "Evaluation", "Smith", "Chair"])


@settings(max_examples=120, deadline=None)
@given(_CAPITALISED, _CAPITALISED, st.integers(1990, 2030), st.integers(1, 15), st.integers(1, 999),
       st.sampled_from(["k", "m", ""]), st.booleans())
def test_a_study_entry_has_no_place_publisher_or_pages_from_its_brackets_sum_or_period(
        role, name, start, years, sum_, unit, long_end):
    # the REF case study's [S1] "… ended March 2006 (Director: Edwards) £6m" had place "Director" and
    # publisher "Edwards) £6m"; [S3] "… – 2007-8 (Edwards and Lunt) £90k" had pages "2007-8"
    end = str(start + years) if long_end else str(start + years)[-2:]
    ref = parse_reference(f"[S1] ABC - A Study of Working Together (Funder)- {start}-{end} ({role}: {name}) £{sum_}{unit}",
                          section="Studies since 2005")
    assert (ref.place, ref.publisher, ref.pages) == ("", "", "")
    assert ref.year == f"{start}-{end}"
    ref = parse_reference(f"Okafor, C. ({start}) A title. London: Routledge ({role}: {name}) £{sum_}{unit}.")
    assert (ref.place, ref.publisher, ref.pages) == ("London", "Routledge", "")


def test_year_ranges_and_numbers_in_names_are_not_pages():
    ref = parse_reference("[S1] NECF - National Evaluation of the Children's Fund (DfES)- 3.5 year award ended "
                          "March 2006 (Director: Edwards) £6m", section="Studies since 2005")
    assert (ref.title, ref.year, ref.place, ref.publisher) == ("National Evaluation of the Children's Fund", "2006", "", "")
    for period in ("2007-8", "2010-11", "2011-13", "2007-2011"):
        assert parse_reference(f"[S6] DIW - Developing Interagency Working (LGA) {period} (Edwards and Daniels) £65k").pages == ""
    # a number glued to letters ("tcm8-17373") is no page range; "pp." marks one even when it looks like years
    assert parse_reference("Moss, P. (2011) A report. Leeds: Unit Press, tcm8-17373.").pages == ""
    assert parse_reference("Moss, P. (2011) A chapter. Leeds: Unit Press, pp. 1998-2004.").pages == "1998-2004"
    assert parse_reference("Moss, P. (2011) A chapter. Leeds: Unit Press, pp.40-58.").pages == "40-58"


@settings(max_examples=120, deadline=None)
@given(st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,7}(-[0-9]{1,6})?", fullmatch=True), min_size=1, max_size=5),
       st.sampled_from(["pdf", "html", "docx"]))
@example(["www"], "pdf")    # a file named "www.pdf" is a file name, not another address (found by a CI run)
def test_a_url_broken_after_a_slash_is_kept_whole_and_gives_no_pages(pieces, extension):
    # Parson (2011): "http://www.esrc.ac.uk/ images/TLRP Impact Evaluation tcm8-17373.pdf" was cut to
    # "http://www.esrc.ac.uk/" and its file name gave pages "8-17373"
    path = "images/" + " ".join(pieces) + "." + extension
    ref = parse_reference(f"[C2] Parson, D. & Burkey, S. (2011) The Evaluation. Report to the ESRC. "
                          f"HOST Policy Research. http://www.example.ac.uk/ {path}")
    assert ref.url == f"http://www.example.ac.uk/{path}"
    assert ref.pages == "" and ref.publisher == "HOST Policy Research"


def test_a_report_s_publisher_is_its_last_sentence_when_that_names_a_body():
    ref = parse_reference("Parson, D. & Burkey, S. (2011) The Evaluation of the TLRP 2nd Phase. Report to the ESRC. "
                          "HOST Policy Research. http://www.esrc.ac.uk/ images/TLRP Impact Evaluation tcm8-17373.pdf")
    assert (ref.title, ref.publisher, ref.place, ref.pages) == ("The Evaluation of the TLRP 2nd Phase", "HOST Policy Research", "", "")
    assert ref.url == "http://www.esrc.ac.uk/images/TLRP Impact Evaluation tcm8-17373.pdf"
    # a last sentence that names no body is no publisher; a URL not broken stays as it was
    ref = parse_reference("Rowe, K. (2019) Early Help. Report to the Council. Keynote Address. https://example.org/a.pdf")
    assert (ref.publisher, ref.url) == ("", "https://example.org/a.pdf")


# --- in-text citations ------------------------------------------------------------------------------

def _cites(text):
    return [(c.surnames, c.year + c.year_suffix, c.page, c.key) for c in find_citations(text)]


def test_parenthetical_citations():
    assert _cites("Many have argued this (Yates 2005, 2007, in press).") == [
        (["Yates"], "2005", "", ""), (["Yates"], "2007", "", ""), (["Yates"], "in press", "", "")]
    assert _cites("as shown before (Barr, 2001; Ito and Salas, 2005).") == [
        (["Barr"], "2001", "", ""), (["Ito", "Salas"], "2005", "", "")]
    assert _cites("the true motive (Vasquez, 1978, p. 62).") == [(["Vasquez"], "1978", "62", "")]
    assert _cites("as others have (Lowe et al, 2006; see also DfWP 2004a: 7).") == [
        (["Lowe"], "2006", "", ""), (["DfWP"], "2004a", "7", "")]
    assert _cites("both projects (Moreau & Chen, 2016; 2019).") == [
        (["Moreau", "Chen"], "2016", "", ""), (["Moreau", "Chen"], "2019", "", "")]
    # a financial or academic year is cited whole, as its reference entry writes it, and the page after it kept
    assert _cites("as the evaluation found (Odum, 2004/05).") == [(["Odum"], "2004/05", "", "")]
    assert _cites("in the report (DfWP 2007-08, p. 4).") == [(["DfWP"], "2007-08", "4", "")]
    assert parse_reference("Odum, T. (2004/05) Annual report. Leeds: Northway Press.").year == "2004/05"


def test_a_body_and_year_in_running_text_cite_when_the_text_cites_the_body():
    # the CHAT article: "(DfES, 2005)" in one paragraph, "the DfES 2005 Common Core framework" in another
    text = ("The Common Core was introduced to support multi-agency working (DfWP, 2005). Later, what follows "
            "echoes the priorities of the DfWP 2005 Common Core framework. In the UK 2004 was a busy year.")
    assert _cites(text) == [(["DfWP"], "2005", "", ""), (["DfWP"], "2005", "", "")]
    assert _cites("In the UK 2004 was a busy year; the DfWP 2005 framework followed.") == []


def test_year_suffixes_particles_and_capitalised_surnames():
    assert _cites("as argued (Hale 2001a, b; Ng 2011).") == [
        (["Hale"], "2001a", "", ""), (["Hale"], "2001b", "", ""), (["Ng"], "2011", "", "")]
    assert _cites("Van der Berg (2011) and de Souza (2009) agree (van der Berg, 2011).") == [
        (["Van der Berg"], "2011", "", ""), (["de Souza"], "2009", "", ""), (["van der Berg"], "2011", "", "")]
    assert parse_reference("HALE, J. (2004) A title. London: Sage.").surnames == ["HALE"]


def test_narrative_citations_and_what_is_not_a_citation():
    assert _cites("Lindgren (2006) extends this.") == [(["Lindgren"], "2006", "", "")]
    assert _cites("as Obi et al. (2004, p. 7) put it") == [(["Obi"], "2004", "7", "")]
    assert _cites("drawing on Kemp's (2013) four factors") == [(["Kemp"], "2013", "", "")]
    assert _cites("Research staff were Larsen and Quist (2005-06).") == []
    assert _cites("He left in 2012 (retired 2012) and the report Every Child Counts (2003) followed.") == []
    # a writer named after a noun and "of" ("the work of", "the study of"), not a title's capitalised words
    assert _cites("These findings are consistent with the work of Edwards (2010) on common knowledge.") == \
        [(["Edwards"], "2010", "", "")]
    assert _cites("In the view of Obi et al. (2004), this holds.") == [(["Obi"], "2004", "", "")]
    assert _cites("The Review of Child Protection (2011) and the Evaluation of Family Services (2004) agree.") == []


def test_a_body_s_reports_by_acronym_and_a_quoted_speaker():
    assert _cites("As shown in earlier CYPU reports (2002, 2003b), the plan") == [(["CYPU"], "2002", "", ""),
                                                                               (["CYPU"], "2003b", "", "")]
    assert _cites("Anna Lind, Minister for Schools, said that the plan offers “a fresh start for all” (2009:14).") == \
        [(["Lind"], "2009", "14", "")]
    # its span is the bracket, not the whole sentence from the speaker's name
    (spoken,) = find_citations("Anna Lind, Minister for Schools, said that the plan offers “a fresh start for all” (2009:14).")
    assert spoken.surface == "(2009:14)" and spoken.surnames == ["Lind"]
    assert _cites("The minister said that the plan offers “a fresh start” (2009:14).") == []
    assert _cites("Summer reports (2004) were late, and the Terms reports (2005) too.") == []


def test_keyed_citations_expand_ranges_and_keep_pages():
    assert [c[3] for c in _cites("used widely [S1-3, 6][R2]")] == ["S1", "S2", "S3", "S6", "R2"]
    assert _cites("as the report says [C2, pp. 2 and 52].") == [([], "", "2 and 52", "C2")]


def test_citation_context_passage_and_page():
    text = "First sentence here. Kaur (2010) showed it clearly. Last one.\n\nNext page text (Kaur, 2010)."
    split = text.index("\n\n")
    passages = [{"passage_id": "p1", "start": 0, "end": split, "page": 1, "page_label": "i"},
                {"passage_id": "p2", "start": split + 2, "end": len(text), "page": 2, "page_label": None}]
    found = find_citations(text, passages)
    assert [(c.passage_id, c.doc_page, c.context) for c in found] == [
        ("p1", 1, "Kaur (2010) showed it clearly."), ("p2", 2, "Next page text (Kaur, 2010).")]


def test_resolution_inside_a_document():
    text = ("Body text cites (Price, 2011) and the Department (DWP 2004b) and Price and Lowe (2011).\n\n"
            "References\n\nDepartment for Work and Pensions (2004a) Plan One. London: TSO\n\n"
            "Department for Work and Pensions (2004b) Plan Two. London: TSO\n\n"
            "Price, S. (2011) Alone. Leeds: Unit.\n\nPrice, S. and Lowe, T. (2011) Together. Leeds: Unit.\n")
    doc = analyse_document(text)
    titles = [doc["references"][c["reference"]]["title"] for c in doc["citations"]]
    assert titles == ["Alone", "Plan Two", "Together"]


def test_a_citation_on_its_own_line_after_a_quoted_list_has_the_list_as_its_sentence():
    # the NECF report: "The Act defines a child as being ‘in need if: (a) … (b) … or (c) he is disabled’" with
    # "(Children Act HMSO 1989)" on the line below; cited-by showed the parenthesis alone
    text = ("Local authorities must act. The Act defines a child as being ‘in need if:\n\n"
            "(a) he is unlikely to achieve a reasonable standard of health;\n\n"
            "(b) his health is likely to be impaired; or\n\n(c) he is disabled’\n\n(Children Act HMSO 1989)\n\n"
            "Practice followed. As Leont’ev put it:\n\nThe object of the activity is its true motive.\n\n"
            "(Leont’ev, 1978, p. 62)\n")
    found = {c.surface: c.context for c in find_citations(text)}
    assert found["Children Act HMSO 1989"].startswith("The Act defines a child as being ‘in need if: (a) he is unlikely")
    assert found["Children Act HMSO 1989"].endswith("(c) he is disabled’ (Children Act HMSO 1989)")
    assert found["Leont’ev, 1978, p. 62"].endswith("The object of the activity is its true motive. (Leont’ev, 1978, p. 62)")
    assert "(c) he is" not in found["Leont’ev, 1978, p. 62"]


def test_a_paper_cited_by_its_title_and_year_resolves_to_its_entry():
    """"Every Child Matters (2003)", "Supporting Families: A consultation document (1998)": a title the
    list gives, followed by its year in brackets, cites that entry; the same words without the year,
    or with another year, do not; a title in the list itself is no citation."""
    text = ("The Green Paper, Every Child Matters (2003), calls for better prevention. Papers such as Supporting\n"
            "Families: A consultation document (1998) began it. Every Child Matters: Next Steps (2004a) followed,\n"
            "and Every Child Matters was read widely; Every Child Matters (2010) is another year.\n\n"
            "References\n\nDepartment for Education and Skills (2003) Every Child Matters London, TSO\n\n"
            "Department for Education and Skills (2004a) Every Child Matters: Next Steps London, TSO\n\n"
            "Home Office, The (1998) Supporting Families: A consultation document London HMSO\n")
    doc = analyse_document(text)
    titled = [c for c in doc["citations"] if c["kind"] == "title"]
    assert [(c["surface"], doc["references"][c["reference"]]["title"]) for c in titled] == [
        ("Every Child Matters (2003)", "Every Child Matters"),
        ("Supporting\nFamilies: A consultation document (1998)", "Supporting Families: A consultation document"),
        ("Every Child Matters: Next Steps (2004a)", "Every Child Matters: Next Steps")]
    assert titled[2]["year_suffix"] == "a" and all(c["start"] < text.index("References") for c in titled)
    # only the titles of the document's own list are looked for
    assert not [c for c in find_citations("Every Child Matters (2003) asks.") if c.kind == "title"]
    assert [c.title for c in find_citations("Every Child Matters (2003) asks.", titles=[("Every Child Matters", "2003")])] \
        == ["Every Child Matters"]
    # with a page in the brackets (the NECF report's "The Children’s Fund Guidance (2001:37) represents …")
    paged = [c for c in find_citations("The Children’s Fund Guidance (2001:37) represents four levels; "
                                       "Every Child Matters (2003, p. 9) too.",
                                       titles=[("Children’s Fund Guidance", "2001"), ("Every Child Matters", "2003")])
             if c.kind == "title"]
    assert [(c.surface, c.year, c.page) for c in paged] == [("Children’s Fund Guidance (2001:37)", "2001", "37"),
                                                            ("Every Child Matters (2003, p. 9)", "2003", "9")]


def test_a_work_with_no_author_is_labelled_by_its_title_cut_between_words():
    from kg.citations.works import _label

    assert _label({"title": "National Evaluation of the Children's Fund", "year": "2006"}) == \
        "National Evaluation of the Children's… (2006)"
    assert _label({"title": "Leading for Learning", "year": "2011-12"}) == "Leading for Learning (2011-12)"
    assert _label({"surnames": ["Halden", "Moss"], "year": "2018"}) == "Halden and Moss (2018)"


def test_works_merge_renderings_across_documents():
    a = analyse_document("It began with (Leont’ev, 1978, p. 62).")
    b = analyse_document("See Leont'ev (1978).\n\nReferences\n\nLeont'ev, A.N. (1978). Activity, consciousness and personality. "
                         "Englewood Cliffs NJ: Prentice Hall\n\nRowe, K. (1978) Other work. Leeds: Unit.\n")
    c = analyse_document("References\n\nLeontev, A. N. (1978) Activity, Consciousness, and Personality, Prentice-Hall.\n")
    result = resolve_works({"a": a, "b": b, "c": c})
    leontev = [w for w in result["works"].values() if surname_key(w["surnames"][0]) == "leontev"]
    assert len(leontev) == 1
    assert sorted({x["source_id"] for x in leontev[0]["cited_by"]}) == ["a", "b", "c"]
    assert len(leontev[0]["renderings"]) == 2
    assert leontev[0]["authors"][0]["id"] in result["people"]


def test_one_series_two_works_are_not_merged():
    a = analyse_document("References\n\nDepartment for Education and Skills (2004) Every Child Matters: Next Steps "
                         "London, The Stationery Office\n")
    b = analyse_document("References\n\nDepartment for Education and Skills (2004) Every Child Matters: Change for "
                         "children. London: TSO.\n")
    c = analyse_document("References\n\nDfES (2004) Every Child Matters: Next steps. London: DfES.\n")
    works = resolve_works({"a": a, "b": b, "c": c})["works"].values()
    titles = sorted((w["title"], sorted({x["source_id"] for x in w["cited_by"]})) for w in works)
    assert titles == [("Every Child Matters: Change for children", ["b"]), ("Every Child Matters: Next Steps", ["a", "c"])]


def test_text_without_its_citations_reads_as_prose():
    assert (without_citations("findings from the ESRC-funded PSE study [S3][R5] on lack of training, again emphasised in "
                              "ELPP **[S4][R4]**, led to two reports")
            == "findings from the ESRC-funded PSE study on lack of training, again emphasised in ELPP, led to two reports")
    assert (without_citations("As Fleer (2006) and Warmington et al. (2004, p. 7) argue, risk (Bynner, 2001; France and "
                              "Utting, 2005) grows (e.g. Rincon-Gallardo & Fullan, 2016).")
            == "As Fleer and Warmington et al. argue, risk grows.")
    # a parenthesis that says more than whom it cites stays whole; no citation, no change
    kept = "an account of it (see Kozulin, 1986 for one account) follows"
    assert without_citations(kept) == kept
    assert without_citations("Phase 2 (2004) began.") == "Phase 2 (2004) began."
    assert without_citations("[R4]") == "[R4]"      # nothing but a citation: kept rather than emptied
    # an Act named with its year is the subject of the sentence: kept, and no other parenthesis is touched
    act = "The duties of a local authority (Children Act 1989) and those of the 2004 Children Act grew."
    assert without_citations(act) == act


# --- properties -----------------------------------------------------------------------------------------

REFERENCE_LIKE = st.text(alphabet=st.sampled_from(list("Aa Bb,.;:()[]-–&'’\n0123456789ReSCfpPsiEdaln")), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), REFERENCE_LIKE))
def test_parsers_never_raise_and_offsets_hold(text):
    for ref in parse_references(text):
        assert 0 <= ref.start <= ref.end <= len(text)
        assert text[ref.start:ref.end] == ref.raw
    for citation in find_citations(text):
        assert 0 <= citation.start <= citation.end <= len(text)
        assert text[citation.start:citation.end] == citation.surface
    analyse_document(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), REFERENCE_LIKE))
def test_taking_citations_out_only_deletes(text):
    cleaned = without_citations(text)
    if not find_citations(text):
        assert cleaned == text
    position = 0                     # every character left is the text's own, in order (spaces may be merged)
    squeezed = re.sub(r"[ \t]+", " ", text)
    for char in re.sub(r"[ \t]+", " ", cleaned):
        if char == " ":
            continue
        position = squeezed.index(char, position) + 1


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(["Okafor", "Ní Bhriain", "O'Neill", "Smith", "DfES"]), min_size=1, max_size=3),
                 st.sampled_from([["Department of Health"], ["Office for National Statistics"]])),
       st.integers(1900, 2030), st.text(max_size=60))
def test_a_generated_citation_is_found(names, year, filler):
    filler = filler.replace("(", " ").replace(")", " ").replace("[", " ")
    cited = " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
    text = f"{filler} (for example {cited}, {year}) end."
    found = [c for c in find_citations(text) if c.year == str(year)]
    assert found and found[0].surnames[0] == names[0]


def test_a_failing_citation_step_is_a_build_warning(tmp_path):
    from kg.build import BuildReport, _citations

    report = BuildReport(out_dir=tmp_path, release_dir=None)
    _citations(tmp_path, [{"id": "missing-document"}], [], report)      # its documents/*.json is absent
    assert len(report.warnings) == 1 and "citations could not be extracted" in report.warnings[0]


@pytest.mark.parametrize("text", ["(" + "Van der Aaa " * 40 + ")", "(" + "Aaa Bbb, " * 60 + ")", "Aaa Bbb Ccc " * 400 + "(2004)",
                                  "(Aaa " + "and Bbb " * 150 + "2001", "References\n\n" + "Aaa, B., " * 200 + "\n",
                                  ("(" + "Abc Def of Ghi, " * 30 + "2004 and ") * 5])
def test_parsers_stay_fast_on_long_runs_of_names(text):
    import time

    started = time.monotonic()
    analyse_document(text)
    without_citations(text)
    assert time.monotonic() - started < 2.0


# --- the fixture corpus: build, API, CLI ------------------------------------------------------------

@pytest.fixture(scope="module")
def cites_build(tmp_path_factory) -> Path:
    out_dir, report = build_corpus(tmp_path_factory, CITATIONS_CORPUS, "citations-build", 3)
    assert not [w for w in report.warnings if "citations" in w]
    return out_dir


@pytest.fixture(scope="module")
def client(cites_build):
    from search_app import create_app

    return create_app({"BUILD_DIR": str(cites_build), "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def cites_server(cites_build):
    from conftest import _serve

    yield from _serve(cites_build, "ckg-citations-server")


def test_build_writes_citations_json(cites_build):
    data = json.loads((cites_build / "current" / "citations.json").read_text())
    assert set(data) >= {"sources", "works", "people"}
    assert len(data["sources"]["boundary-article"]["references"]) == 10
    assert len(data["sources"]["impact-study"]["references"]) == 7


def test_api_works_search_fields(client):
    data = client.get("/api/works?q=Halden 2018").get_json()
    assert len(data["results"]) == 1
    work = data["results"][0]
    assert set(work) >= {"id", "authors", "year", "title", "cited_by"}
    assert work["year"] == "2018" and work["authors"][0].startswith("Halden")
    # the article is a corpus source: the impact study lists it as [R1] and the note cites it
    assert sorted(work["cited_by"]) == ["impact-study", "review-note"]
    assert work["source_id"] == "boundary-article"
    assert client.get("/api/works?q=" + "x" * 300).status_code == 400


def test_a_work_is_found_by_a_citation_as_a_reader_pastes_it(client):
    """"Edwards et al. (2006, p. 62)", "France and Utting 2005", "Leontiev 1978": the words that name
    no work are passed over, and a surname may differ by one letter (transliterations)."""
    from kg.citations.works import work_matches

    leontev = {"surnames": ["Leont’ev"], "year": "1978", "title": "Activity, consciousness and personality"}
    for q in ("Leontiev", "Leontyev 1978", "(Leont’ev, 1978, p. 62)", "Leont'ev and activity", "leontev"):
        assert work_matches(leontev, q), q
    for q in ("Leontiev 1979", "Lenin 1978", "Leo", "p. 62", "et al", ""):
        assert not work_matches(leontev, q), q
    team = {"surnames": ["Edwards", "Barnes", "Evans"], "year": "2006", "title": "Working to prevent the social exclusion of children"}
    for q in ("Edwards et al. (2006)", "Edwards and Barnes 2006", "Edwardes 2006", "edwards, barnes & evans",
              "the social exclusion of children"):
        assert work_matches(team, q), q
    for q in ("Edwards et al. 2007", "et al", "Howard 2006", "Edwards 2006 pp. 12-14 inclusion"):
        assert not work_matches(team, q), q
    found = client.get("/api/works", query_string={"q": "Halden et al. (2018, p. 4)"}).get_json()["results"]
    assert [w["year"] for w in found] == ["2018"]


def test_a_citation_of_several_works_pasted_whole_finds_each_work_in_its_order(client, cites_build):
    """"(Okafor, 2015, 2016, in press)", the same without brackets, and two groups split by ";" are
    read as the in-text parser reads them: the works they name, in their order, each by its first
    author and year; the page, the JSON and `ckg cited-by` say which work each part is."""
    def listed(q: str) -> tuple[list[tuple[str, str]], list[dict]]:
        data = client.get("/api/works", query_string={"q": q}).get_json()
        return [(w["authors"][0].split(",")[0], w["year"]) for w in data["results"]], data.get("citations")

    okafor = [("Okafor", "2015"), ("Okafor", "2016"), ("Okafor", "in press")]
    assert listed("(Okafor, 2015, 2016, in press)")[0] == okafor
    assert listed("Okafor 2015, 2016, in press")[0] == okafor
    assert listed("Okafor in press, 2015")[0] == [okafor[2], okafor[0]]
    assert listed("Halden 2009, 2018")[0] == [("Halden", "2009"), ("Halden", "2018")]
    works, parts = listed("(Department for Children and Families, 2007; Morgan and Price, 2011)")
    assert works == [("Department for Children and Families", "2007"), ("Morgan", "2011")]
    assert [p["citation"] for p in parts] == ["Department for Children and Families (2007)", "Morgan and Price (2011)"]
    # a part the library has no work for is said, the others still listed
    works, parts = listed("Okafor 2015, 1999")
    assert works == [("Okafor", "2015")] and [p["work_ids"] == [] for p in parts] == [False, True]
    assert listed("Okafor 2015")[1] == []              # one work: the words search, as before
    page = client.get("/works", query_string={"q": "(Okafor, 2015, 2016, in press)"}).get_data(as_text=True)
    assert page.count('class="work-item"') == 3 and "No work matches" not in page
    assert "Okafor (1999) (no work matches)" in client.get("/works?q=Okafor 2015, 1999").get_data(as_text=True)
    out = subprocess.run(CKG + ["cited-by", "Okafor 2015, 2016", "--build", str(cites_build)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("Okafor 2015, 2016 cites 2 works: Okafor (2015) → okafor-2015")
    out = subprocess.run(CKG + ["cited-by", "(Okafor, 2015, 2016, in press)", "--build", str(cites_build), "--json"],
                         capture_output=True, text=True, check=True)
    assert [w["year"] for w in json.loads(out.stdout)] == ["2015", "2016", "in press"]
    bad = subprocess.run(CKG + ["cited-by", "Nobody 1999, 2000", "--build", str(cites_build)], capture_output=True, text=True)
    assert bad.returncode != 0 and "Nobody (1999); Nobody (2000)" in bad.stderr


def test_api_work_detail_fields(client):
    wid = client.get("/api/works?q=Halden 2009").get_json()["results"][0]["id"]
    work = client.get(f"/api/works/{wid}").get_json()
    assert set(work) >= {"id", "authors", "year", "title", "cited_by", "cites"}
    assert work["title"].lower().startswith("relational agency in the work of teachers")
    by = {(c["source_id"], c["passage_id"] is not None) for c in work["cited_by"]}
    assert {("boundary-article", True), ("impact-study", True), ("review-note", True)} <= by
    assert all(set(c) >= {"source_id", "passage_id", "context"} for c in work["cited_by"])
    assert any("relational agency" in c["context"] for c in work["cited_by"])
    source_work = client.get("/api/works?q=Halden 2018").get_json()["results"][0]["id"]
    cites = client.get(f"/api/works/{source_work}").get_json()["cites"]
    assert wid in cites                          # the article (a corpus source) cites Halden 2009
    error = client.get("/api/works/no-such-work")
    assert error.status_code == 404 and "no-such-work" in error.get_json()["error"]["message"]


def _study_work(client, title_start: str) -> dict:
    works = client.get("/api/works").get_json()["results"]
    (wid,) = [w["id"] for w in works if w["title"].startswith(title_start)]
    return client.get(f"/api/works/{wid}").get_json()


TWICE = "The partnership's training days [S1] and the guidance that grew out of them [S1, 2] were evaluated together."


def test_a_sentence_citing_a_work_twice_is_one_citing_sentence(client):
    # the seed case study's "… 'relational agency' [R3][S1, 2, 6] … [R4, 6][S1-4, 6]." was listed twice under NECF
    work = _study_work(client, "Family Services Partnership study")
    sentences = [c["context"] for c in work["cited_by"]]
    assert sentences.count(TWICE) == 1 and len(sentences) == len(set(sentences))
    assert all(set(c) >= {"source_id", "passage_id", "context", "page", "surfaces"} for c in work["cited_by"])
    (twice,) = [c for c in work["cited_by"] if c["context"] == TWICE]
    assert twice["surfaces"] == ["[S1]", "[S1, 2]"] and twice["source_id"] == "impact-study" and twice["passage_id"]
    # the other work the sentence cites once has it once, with its one marker
    other = _study_work(client, "Evaluation of the Early Help Pilot")
    assert [c["surfaces"] for c in other["cited_by"] if c["context"] == TWICE] == [["[S1, 2]"]]
    # a person's sentences: one per work and sentence
    halden = client.get("/api/people/" + client.get(f"/api/works/{client.get('/api/works?q=Halden 2009').get_json()['results'][0]['id']}")
                        .get_json()["people"][0]["id"]).get_json()
    pairs = [(c["work_id"], c["source_id"], c["passage_id"], c["context"]) for c in halden["cited_in"]]
    assert len(pairs) == len(set(pairs))


def test_api_source_references_and_citations_fields(client):
    refs = client.get("/api/sources/impact-study/references").get_json()["results"]
    assert all(set(r) >= {"key", "authors", "year", "title", "raw", "work_id"} for r in refs)
    assert [r["key"] for r in refs] == ["R1", "R2", "R3", "S1", "S2", "C1", "C2"]
    s1, s2 = refs[3], refs[4]       # funded studies: the acronym beside the name, the stated period as the year
    assert (s1["acronym"], s1["title"], s1["year"]) == ("FSP", "Family Services Partnership study", "2012-14")
    assert (s2["acronym"], s2["year"]) == ("", "")
    cites = client.get("/api/sources/impact-study/citations").get_json()["results"]
    assert all(set(c) >= {"surnames", "year", "page", "key", "context", "work_id", "kind", "title"} for c in cites)
    c1 = next(c for c in cites if c["key"] == "C1")
    assert c1["page"] == "4 and 9" and "guidance for local authorities" in c1["context"]
    article = client.get("/api/sources/boundary-article/citations").get_json()["results"]
    bakhtin = next(c for c in article if c["surnames"] == ["Bakhtin"])
    assert (bakhtin["year"], bakhtin["page"]) == ("1986", "92") and bakhtin["work_id"]
    assert client.get("/api/sources/nope/references").status_code == 404


def test_api_concept_lineage_is_a_timeline(client):
    data = client.get("/api/concepts/relational-agency/lineage").get_json()
    rows = data["results"]
    assert rows and all(set(r) >= {"work_id", "year", "sentence", "source_id"} for r in rows)
    for attached in (True, False):      # the works cited for it, then the others: each a timeline
        years = [int(r["year"][:4]) for r in rows if r["year"][:4].isdigit() and r["attached"] == attached]
        assert years == sorted(years) and years
        if attached:
            assert years[0] == 2009
    assert "relational agency" in rows[0]["sentence"]
    assert client.get("/api/concepts/no-such-concept/lineage").status_code == 404
    # a guessed address redirects as the concept page's does
    for path in ("/api/concepts/Relational-Agency/lineage", "/concepts/Relational-Agency/lineage"):
        moved = client.get(path)
        assert moved.status_code == 302 and moved.headers["Location"].endswith("/concepts/relational-agency/lineage"), path


def test_lineage_tells_the_works_cited_for_the_concept_from_those_cited_beside_it(client):
    listed = client.get("/api/concepts/relational-agency/lineage").get_json()["results"]
    # the JSON lists them as the page does: the works cited for it first, each group earliest first
    attached = [r["attached"] for r in listed]
    assert True in attached and False in attached and attached == sorted(attached, reverse=True)
    rows = {r["label"]: r for r in listed}
    # "The concept of relational agency [R2, 3] informed training for service leaders [S1-2] and guidance …"
    assert rows["Halden (2009)"]["attached"] and rows["Morgan et al. (2014)"]["attached"]
    study = rows["Family Services Partnership study (2012-14)"]
    assert study["in_sentence"] and not study["attached"]
    # "Okafor (2015) argued that relational agency is learnt …, and Ní Bhriain et al. (2012, p. 14) showed …"
    assert rows["Okafor (2015)"]["attached"] and rows["Ní Bhriain et al. (2012)"]["attached"]
    # cited in a passage about the concept, in a sentence that does not name it
    assert not rows["Okafor (in press)"]["in_sentence"] and not rows["Okafor (in press)"]["attached"]
    # one sentence citing several works: the rows after the first point to it
    halden = rows["Halden (2009)"]
    assert halden["same_sentence_as"] is None and halden["sentence"].startswith("The concept of relational agency [R2, 3]")
    assert rows["Morgan et al. (2014)"]["same_sentence_as"] == study["same_sentence_as"] == halden["work_id"]
    assert rows["Okafor (2015)"]["same_sentence_as"] is None or rows["Ní Bhriain et al. (2012)"]["same_sentence_as"] is None


def test_search_asking_where_a_concept_came_from_puts_the_passage_crediting_its_earliest_work_first(client):
    lineage = client.get("/api/concepts/relational-agency/lineage").get_json()["results"]
    earliest = [r for r in lineage if r["attached"]][0]["label"]
    for query in ("who introduced relational agency", "where does the idea of relational agency come from"):
        first = client.get("/api/search", query_string={"q": query, "k": 5}).get_json()["results"][0]
        credits = first["why"]["credits"]
        assert credits[0]["concept_id"] == "relational-agency" and credits[0]["works"][0] == earliest, query
    # naming the concept alone asks for no origin: nothing is credited
    plain = client.get("/api/search", query_string={"q": "relational agency", "k": 10}).get_json()["results"]
    assert not any("credits" in r["why"] for r in plain)


def test_origin_intent_is_told_from_other_questions():
    from kg.index.search import _ORIGIN_INTENT_RE

    asking = ["who introduced relational agency", "Who coined co-configuration?", "origins of common knowledge",
              "where did the idea of resilience come from", "which author first wrote about the object of activity",
              "who is credited with distributed expertise"]
    other = ["what is relational agency", "who funded the NECF study", "who said that relational agency matters",
             "relational agency in schools", "what did a parent say about trust"]
    assert all(_ORIGIN_INTENT_RE.search(q) for q in asking)
    assert not any(_ORIGIN_INTENT_RE.search(q) for q in other)


def test_api_person(client):
    wid = client.get("/api/works?q=Halden 2009").get_json()["results"][0]["id"]
    pid = client.get(f"/api/works/{wid}").get_json()["people"][0]["id"]
    person = client.get(f"/api/people/{pid}").get_json()
    assert person["name"].startswith("Halden") and len(person["works"]) >= 3    # shared across works
    assert person["cited_in"]
    assert set(person) >= {"id", "name", "kind", "uri", "aliases", "works", "cited_in", "concepts_credited", "studies"}
    # a study's co-lead and a funder whom no cited work names are in the graph, so they answer too
    sylva = client.get("/api/people/kathy-sylva").get_json()
    assert sylva["name"] == "Kathy Sylva" and sylva["works"] == [] and sylva["kind"] == "person"
    assert {"id": "elpp", "name": "Evaluation of the Early Learning Parental Partnership", "role": "co-lead"} in sylva["studies"]
    esrc = client.get("/api/people/org-esrc").get_json()
    assert esrc["kind"] == "organization" and {"liw", "pse"} <= {s["id"] for s in esrc["studies"] if s["role"] == "funder"}
    assert client.get("/api/people/no-such-person").status_code == 404


def test_bibtex_and_ris_exports_parse(client):
    import bibtexparser
    import rispy

    bib = client.get("/works/export.bib?q=Okafor")
    assert bib.status_code == 200
    library = bibtexparser.parse_string(bib.get_data(as_text=True))
    assert len(library.entries) == 3 and not library.failed_blocks
    assert {e.fields_dict["year"].value for e in library.entries} == {"2015", "2016", "in press"}
    ris = rispy.loads(client.get("/works/export.ris?q=Okafor").get_data(as_text=True))
    assert len(ris) == 3 and all(r["authors"] == ["Okafor, C."] for r in ris)
    # "Child & Family Studies, 9(2), 44-58": the journal's volume and issue reach the work and both exports
    article = next(e for e in library.entries if e.fields_dict["year"].value == "2016")
    assert (article.fields_dict["volume"].value, article.fields_dict["number"].value) == ("9", "2")
    (journal,) = [r for r in ris if r.get("volume")]
    assert (journal["volume"], journal["number"]) == ("9", "2")
    work = client.get(f"/api/works/{article.key}").get_json()
    assert (work["container"], work["volume"], work["issue"]) == ("Child & Family Studies", "9", "2")
    assert client.get("/works/export.bib?ids=nope").status_code == 400
    # an id in another case (or of an older build's form) is the work /api/works/<id> redirects it to
    assert client.get(f"/api/works/{article.key.upper()}").status_code == 301
    again = bibtexparser.parse_string(client.get(f"/works/export.bib?ids={article.key.upper()}").get_data(as_text=True))
    assert [e.key for e in again.entries] == [article.key]


def test_a_work_cited_as_et_al_is_labelled_and_exported_with_et_al(client):
    import bibtexparser

    from search_app import workdata

    # the CHAT article's "(Evans et al, 2006)" showed in /works as "Evans (2006)", [C9] "Wong, S. et al." as "Wong, S."
    work = {"id": "evans-2006", "authors": [{"id": "evans", "name": "Evans"}], "surnames": ["Evans"], "corporate": False,
            "et_al": True, "year": "2006", "year_suffix": "", "title": "", "container": "", "publisher": "", "place": "",
            "pages": "", "url": "", "editors": [], "cited_by": []}
    summary = workdata.work_summary(work)
    assert summary["et_al"] and summary["label"] == "Evans et al. (2006)"
    macro = client.application.jinja_env.from_string('{% import "_macros.html" as m %}{{ m.work_name(w) }}')
    assert macro.render(w=summary) == "Evans et al. (2006)"
    assert macro.render(w={**summary, "et_al": False}) == "Evans (2006)"
    (entry,) = bibtexparser.parse_string(workdata.export_bibtex([work])).entries
    assert entry.fields_dict["author"].value == "Evans and others"
    # in the built fixture: a work without et al. keeps its authors as listed
    listed = client.get("/api/works?q=Halden 2009").get_json()["results"][0]
    assert not listed["et_al"] and listed["label"] == "Halden (2009)"
    assert "Okafor, C. (2015)" in client.get("/works?q=Okafor").get_data(as_text=True)


def test_works_bibtex_escapes_as_the_quote_exports_do():
    """One BibTeX escaping for every export: an address read as written (no "\\_" or "\\#" in the
    link), a backslash and "&" escaped, a body's name braced whole."""
    import bibtexparser

    from search_app import workdata

    body = {"id": "dfes-2004", "authors": [{"id": "dfes", "name": "Department for Education & Skills"}],
            "surnames": [], "year": "2004", "year_suffix": "", "container": "", "publisher": "", "place": "",
            "pages": "", "editors": [], "cited_by": [], "corporate": True, "et_al": False, "title": "Every Child Matters: C:\\plans 100% done",
            "url": "https://example.org/every_child#matters"}
    (entry,) = bibtexparser.parse_string(workdata.export_bibtex([body])).entries
    assert entry.fields_dict["url"].value == "https://example.org/every_child#matters"
    assert entry.fields_dict["author"].value == "{Department for Education \\& Skills}"
    assert entry.fields_dict["title"].value == "Every Child Matters: C:\\textbackslash{}plans 100\\% done"


def test_a_chapter_s_editors_listed_initials_first_are_each_a_name_and_exported():
    """"in Y. Engeström, R. Miettinen & R.-J. Punamäki (Eds.)" was kept as one editor string, and the
    BibTeX and RIS of a chapter named no editor at all."""
    import bibtexparser

    from search_app import workdata

    ref = parse_reference("Engeström, Y. (1999a) Activity theory and individual and social transformation, in "
                          "Y. Engeström, R. Miettinen & R.-J. Punamäki (Eds.) Perspectives on activity theory. "
                          "Cambridge: Cambridge University Press.")
    assert ref.editors == ["Engeström, Y.", "Miettinen, R.", "Punamäki, R.-J."]
    assert ref.container == "Perspectives on activity theory"
    assert parse_reference("Potter, T. (2013) What is vulnerability? in G. Brotherton and M. Cronin (eds.) "
                           "Working with Vulnerable Children. London: Routledge.").editors == ["Brotherton, G.", "Cronin, M."]
    chapter = {"id": "engestrom-1999a", "authors": [{"id": "engestrom-y", "name": "Engeström, Y."}], "surnames": ["Engeström"],
               "year": "1999", "year_suffix": "a", "container": ref.container, "publisher": "Cambridge University Press",
               "place": "Cambridge", "pages": "", "editors": ref.editors, "cited_by": [], "corporate": False,
               "et_al": False, "title": "Activity theory and individual and social transformation", "url": ""}
    (entry,) = bibtexparser.parse_string(workdata.export_bibtex([chapter])).entries
    assert entry.entry_type == "incollection"
    assert entry.fields_dict["editor"].value == "Engeström, Y. and Miettinen, R. and Punamäki, R.-J."
    assert [line for line in workdata.export_ris([chapter]).splitlines() if line.startswith("A2")] == [
        "A2  - Engeström, Y.", "A2  - Miettinen, R.", "A2  - Punamäki, R.-J."]


def test_a_work_listed_in_two_lists_of_one_source_says_which_list_each_line_is_from():
    # Jopling and Vincent list Brown et al. (2017) under "Recommended reading" and "References": the work
    # page showed the line twice, as if duplicated
    entry = "Brown, K., Ecclestone, K., & Emmel, N. (2017). Review article: The many faces of vulnerability, Social Policy and Society, 16(3) 497-510."
    text = (f"Vulnerability has many faces (Brown et al., 2017).\n\nRecommended reading\n\n{entry}\n\n"
            f"References\n\n{entry}\n\nSmith, R. (2013) Working together. Harlow: Pearson.\n")
    works = resolve_works({"chapter": analyse_document(text)})["works"]
    (brown,) = [w for w in works.values() if w["title"].startswith("Review article")]
    assert [r["section"] for r in brown["renderings"]] == ["Recommended reading", "References"]


def test_cli_cites_and_cited_by(cites_build):
    out = subprocess.run(CKG + ["cites", "impact-study", "--build", str(cites_build), "--json"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert len(data["references"]) == 7 and data["citations"]
    out = subprocess.run(CKG + ["cited-by", "Okafor in press", "--build", str(cites_build), "--json"],
                         capture_output=True, text=True, check=True)
    work = json.loads(out.stdout)
    assert work["year"] == "in press" and {c["source_id"] for c in work["cited_by"]} == {"boundary-article", "review-note"}
    bad = subprocess.run(CKG + ["cites", "nope", "--build", str(cites_build)], capture_output=True, text=True)
    assert bad.returncode != 0 and "nope" in bad.stderr


def test_a_concepts_passages_put_reference_lists_last(client):
    passages = client.get("/api/concepts/relational-agency").get_json()["passages"]
    kind_of = {p["passage_id"]: p["kind"] for source in {p["source_id"] for p in passages}
               for p in client.get(f"/api/sources/{source}").get_json()["passages"]}
    kinds = [kind_of[p["passage_id"]] for p in passages]
    # the reference list names the concept in titles, more densely than the prose that discusses it
    assert "references" in kinds and kinds == sorted(kinds, key=lambda kind: kind == "references")
    assert [p["reference_list"] for p in passages] == [kind == "references" for kind in kinds]
    # the page's strongest passages are evidence: a title in a reference list is not, and the source's
    # count says how many of its passages are its reference list
    data = client.get("/api/concepts/relational-agency").get_json()
    listed = {c["source_id"]: c for c in data["source_counts"]}
    in_lists = {p["source_id"] for p in passages if p["reference_list"]}
    assert all(listed[s]["reference_list_passages"] >= 1 for s in in_lists)
    html = client.get("/concepts/relational-agency").get_data(as_text=True)
    strongest = html.split('id="passages-heading"', 1)[1]
    assert "reference list</span>" not in strongest
    for passage in passages:
        anchor = f'#{passage["passage_id"]}"'
        if passage["reference_list"]:
            assert anchor not in strongest
    assert "in the reference list)" in html.split('id="used-heading"', 1)[1].split("</section>", 1)[0]


def test_cli_lineage(cites_build):
    text = subprocess.run(CKG + ["lineage", "Relational Agencies", "--build", str(cites_build)],
                          capture_output=True, text=True, check=True).stdout
    assert text.startswith("relational agency  (relational-agency): ")
    cited_for = text.split("cited for it:", 1)[1]
    assert "Halden (2009)" in cited_for and "Family Services Partnership study" not in cited_for
    # a sentence citing several works is printed once
    assert cited_for.count("The concept of relational agency [R2, 3]") == 1 and "(the same sentence as Halden (2009))" in cited_for
    # the impact study has no page numbers: its sentence is placed by its numbered section, as a quote's citation is
    assert "informed training for service leaders [S1-2] and guidance for local authorities [C1, pp. 4 and 9].” — impact-study, section 1" in cited_for
    everything = subprocess.run(CKG + ["lineage", "relational agency", "--all", "--build", str(cites_build)],
                                capture_output=True, text=True, check=True).stdout
    assert "Family Services Partnership study" in everything.split("cited where it is discussed:", 1)[1]
    # a letter named to corroborate a claim is no publication (nor is a funded study, dated by its award): the line says so
    assert "Head of Early Help, Northfield Council (a corroborating source, not a publication)" in everything
    data = json.loads(subprocess.run(CKG + ["lineage", "relational agency", "--json", "--build", str(cites_build)],
                                     capture_output=True, text=True, check=True).stdout)
    assert data["concept_id"] == "relational-agency" and all("attached" in r for r in data["results"])
    searched = subprocess.run(CKG + ["search", "who introduced relational agency", "-k", "1", "--build", str(cites_build)],
                              capture_output=True, text=True, check=True).stdout
    assert "credits relational agency to Halden (2009)" in searched
    missing = subprocess.run(CKG + ["lineage", "qqqzzz", "--build", str(cites_build)], capture_output=True, text=True)
    assert missing.returncode == 1 and "no concept matches" in missing.stderr


def test_cli_says_et_al_and_when_no_page_is_known(cites_build, client):
    # "(Evans et al., 2006)", no list entry: the sources name only the first author, and a work printed as
    # "Evans (2006)" reads as another reference; the review note has no page numbers, which is said, not left
    # blank (its only heading is its own title, which names no section)
    text = subprocess.run(CKG + ["cited-by", "Evans 2006", "--build", str(cites_build)],
                          capture_output=True, text=True, check=True).stdout
    assert text.splitlines()[0].endswith(": Evans et al. (2006)"), text
    assert "  review-note, page not known: So do parents (Evans et al., 2006)." in text
    listing = subprocess.run(CKG + ["cites", "review-note", "--build", str(cites_build)],
                             capture_output=True, text=True, check=True).stdout
    assert "the source has no page numbers" in listing.splitlines()[0]
    work = client.get("/api/works?q=Evans 2006").get_json()["results"][0]
    html = client.get(f"/works/{work['id']}").get_data(as_text=True)
    assert re.search(r'<h1 class="work-heading">[^<]*</h1>', html) and "et al." in html.split('class="work-authors"')[1].split("</dd>")[0]
    person = client.get("/api/works/" + work["id"]).get_json()["people"][0]["id"]
    page = client.get(f"/people/{person}").get_data(as_text=True)
    assert "cited in 1 source (1 sentence)" in page and "et al. (2006)" in page


def test_graph_holds_cito_and_in_text_annotations(cites_build):
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from kg.graph import GRAPH_FILE, read_dataset, union_graph, validate_dataset
    from kg.vocab import CITO, CK, OA, SOURCE

    dataset = read_dataset(cites_build / "current" / GRAPH_FILE)
    conforms, report = validate_dataset(dataset, ROOT / "ontology")
    assert conforms, report
    graph = union_graph(dataset)
    cited = set(graph.objects(SOURCE["impact-study"], CITO.cites))
    assert SOURCE["boundary-article"] in cited            # a corpus source cited as [R1]
    annotations = list(graph.subjects(RDF.type, CK.InTextCitation))
    assert annotations
    sentences = {str(graph.value(a, CK.citingSentence)) for a in annotations}
    assert any("Bakhtin, 1986, p. 92" in s for s in sentences)
    body = graph.value(annotations[0], OA.hasBody)
    assert isinstance(body, URIRef)


# --- pages in chromium ---------------------------------------------------------------------------------

@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    context.close()


@pytest.mark.browser
def test_works_page_and_work_page(page, cites_server):
    from playwright.sync_api import expect

    page.goto(f"{cites_server}/works")
    page.fill("#works-q", "Halden 2009")
    page.click("form.works-search button")
    expect(page.locator(".work-item")).to_have_count(1)
    page.click(".work-item .work-link")
    expect(page.locator("h1.work-heading")).to_contain_text(re.compile("relational agency in the work of teachers", re.I))
    expect(page.locator(".cited-by .citing-sentence").first).to_be_visible()
    expect(page.locator(".work-authors a")).to_contain_text("Halden")
    # a work with no author (a corroborating letter) is listed by its title
    page.goto(f"{cites_server}/works?q=Head+of+Early+Help")
    expect(page.locator(".work-item .work-link").first).to_contain_text("Head of Early Help")
    page.click(".work-item .work-link")
    expect(page.locator("h1.work-heading")).to_contain_text("Head of Early Help")
    assert page.title().startswith("Head of Early Help")
    assert not page.errors, page.errors


@pytest.mark.browser
def test_a_work_page_shows_a_sentence_citing_it_twice_once(page, cites_server):
    from playwright.sync_api import expect

    page.goto(f"{cites_server}/works?q=Family+Services+Partnership")
    page.click(".work-item .work-link")
    expect(page.locator("h1.work-heading")).to_contain_text("Family Services Partnership study")
    expect(page.locator(".cited-by .citing-sentence", has_text="training days")).to_have_count(1)
    sentences = page.locator(".cited-by .citing-sentence").all_inner_texts()
    assert len(sentences) == len(set(sentences)) and len(sentences) >= 3
    assert not page.errors, page.errors


@pytest.mark.browser
def test_person_page(page, cites_server):
    from playwright.sync_api import expect

    page.goto(f"{cites_server}/works?q=Halden+2009")
    page.click(".work-item .work-link")
    page.click(".work-authors a")
    expect(page.locator("h1.person-name")).to_contain_text("Halden")
    expect(page.locator(".person-works li")).to_have_count(3)
    expect(page.locator(".person-cited li").first).to_be_visible()
    assert not page.errors, page.errors


@pytest.mark.browser
def test_concept_lineage_page_linked_from_the_concept_page(page, cites_server):
    from playwright.sync_api import expect

    page.goto(f"{cites_server}/concepts/relational-agency")
    page.click(".lineage-link a")
    expect(page.locator("h1")).to_contain_text("relational agency")
    first = page.locator(".timeline-item").first
    expect(first.locator(".timeline-year")).to_have_text("2009")
    expect(first.locator(".timeline-sentence")).to_contain_text("relational agency")
    cited_for = page.locator("#cited-for .timeline-work")
    expect(cited_for.first).to_have_text("Halden (2009)")
    assert "Family Services Partnership study (2012-14)" not in cited_for.all_inner_texts()
    study = page.locator("#also-cited .timeline-item", has_text="Family Services Partnership study")
    expect(study).to_be_visible()
    # its sentence is quoted once, under the work cited for the concept in it
    expect(study.locator(".timeline-sentence")).to_have_count(0)
    study.locator(".timeline-same a").click()
    expect(page.locator(":target .timeline-work")).to_have_text("Halden (2009)")
    expect(page.locator(":target .timeline-sentence")).to_contain_text("The concept of relational agency [R2, 3]")
    rows = page.evaluate("fetch('/api/concepts/relational-agency/lineage').then(r => r.json())")["results"]
    expect(page.locator(".timeline-sentence")).to_have_count(len({(r["passage_id"], r["sentence"]) for r in rows}))
    expect(page.locator(".lineage-sources li").first).to_be_visible()
    # the search says why a passage answers "who introduced …": the work it credits the concept to
    page.goto(f"{cites_server}/search?q=who+introduced+relational+agency")
    page.locator(".result").first.locator("details.why summary").click()
    expect(page.locator(".result").first.locator(".why-credits")).to_contain_text("credits relational agency to Halden (2009)")
    assert not page.errors, page.errors


@pytest.mark.browser
def test_citation_graph_page_draws_svg_without_scripts(page, cites_server):
    from playwright.sync_api import expect

    page.goto(f"{cites_server}/citations/graph")
    svg = page.locator("svg.citation-graph")
    expect(svg).to_be_visible()
    assert page.locator("svg.citation-graph circle.src").count() == 3
    assert page.locator("svg.citation-graph path.edge").count() >= 10
    page.locator("svg.citation-graph a[href*='/works/']").first.click()
    expect(page.locator("h1.work-heading")).to_be_visible()
    assert not page.errors, page.errors
    with urllib.request.urlopen(f"{cites_server}/citations/graph.svg") as response:
        assert response.headers["Content-Type"].startswith("image/svg+xml")


@pytest.mark.browser
def test_citation_graph_page_counts_in_the_singular_and_says_when_no_work_matches(page, cites_server):
    from playwright.sync_api import expect

    summary = page.locator("p", has_text="(left)")
    page.goto(f"{cites_server}/citations/graph?q=Halden+2018")
    expect(summary).to_contain_text("2 sources (left) cite 1 work (right);")
    expect(page.locator("svg.citation-graph")).to_have_attribute("aria-label", "Citation graph: 2 sources cite 1 work")
    page.goto(f"{cites_server}/citations/graph?q=Bakhtin")
    expect(summary).to_contain_text("1 source (left) cites 1 work (right);")
    page.goto(f"{cites_server}/citations/graph?q=Okafor")
    expect(summary).to_contain_text(re.compile(r"^\d+ sources? \(left\) cites? [2-9] works \(right\);"))
    # nothing found: said as the works page says it, and no empty drawing
    page.goto(f"{cites_server}/citations/graph?q=zzzz")
    expect(page.locator(".empty")).to_have_text("No work matches “zzzz”; nothing to draw.")
    expect(page.locator("svg.citation-graph")).to_have_count(0)
    expect(summary).to_have_count(0)
    assert not page.errors, page.errors


def test_reference_lists_answer_questions_about_works_not_about_ideas(cites_build):
    """A bibliography holds every title word of its field: its passages lose `reference_penalty`
    unless the query asks about works (a year, 'cites', 'references'…); other passages keep their score."""
    from kg.index.search import is_bibliography
    from kg.library import Library
    from kg.settings import Settings

    def scores(query: str, penalty: float) -> dict[str, tuple[bool, float]]:
        library = Library(cites_build, Settings.from_env().with_overrides(reference_penalty=penalty))
        # every candidate (k=100), so that none drops out of the list between the two runs
        return {r["passage_id"]: (is_bibliography(r), r["score"]) for r in library.search(query, k=100).results}

    for query, penalised in (("boundary work and professional identity", True),
                             ("boundary work and professional identity 2016", False),
                             ("who cites boundary work and professional identity", False)):
        plain, penalty = scores(query, 0.0), scores(query, 0.25)
        assert {True, False} <= {bibliography for bibliography, _ in plain.values()}, query
        assert plain.keys() == penalty.keys()
        for passage_id, (bibliography, score) in plain.items():
            expected = score - 0.25 if penalised and bibliography else score
            assert penalty[passage_id][1] == pytest.approx(expected, abs=1e-3), (query, passage_id)


def test_subtitle_after_full_stop_stays_in_title():
    ref = parse_reference("Marsh, P. (2019) Streets Without Names. The Hidden Maps of Small Towns. Leeds: Northgate Press.")
    assert ref.title == "Streets Without Names. The Hidden Maps of Small Towns"
    assert (ref.place, ref.publisher) == ("Leeds", "Northgate Press")
    italic = parse_reference("Marsh, P. (2019) *Streets Without Names. A Study* Leeds: Northgate.")
    assert italic.title == "Streets Without Names. A Study"


def test_a_parenthesis_after_the_full_stop_cites_the_sentence_before_it_whole():
    from kg.citations.intext import find_citations

    text = ("The initiative engaged families in the ‘design, delivery and evaluation of services’. "
            "(Edwards et al, 2006; Evans et al, 2006). The government therefore took a service-led view.")
    found = find_citations(text)
    assert [c.surface for c in found] == ["Edwards et al, 2006", "Evans et al, 2006"]
    # both belong to the sentence before, and the citing sentence ends with the whole parenthesis
    assert {c.context for c in found} == {"The initiative engaged families in the ‘design, delivery and evaluation of "
                                          "services’. (Edwards et al, 2006; Evans et al, 2006)"}


# --- people, bodies and year suffixes (tests/data/citations-bodies) ---------------------------------

BODIES_CORPUS = ROOT / "tests" / "data" / "citations-bodies"


@pytest.fixture(scope="module")
def bodies_build(tmp_path_factory) -> Path:
    out_dir, report = build_corpus(tmp_path_factory, BODIES_CORPUS, "bodies-build", 1, workers=1)
    assert not [w for w in report.warnings if "citations" in w or "graph" in w]
    return out_dir


@pytest.fixture(scope="module")
def bodies_client(bodies_build):
    from search_app import create_app

    return create_app({"BUILD_DIR": str(bodies_build), "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def bodies_server(bodies_build):
    from conftest import _serve

    yield from _serve(bodies_build, "ckg-bodies-server")


def _work(client, q: str) -> dict:
    found = client.get("/api/works", query_string={"q": q}).get_json()["results"]
    assert len(found) == 1, (q, found)
    return client.get(f"/api/works/{found[0]['id']}").get_json()


def test_a_person_has_one_id_in_the_api_the_pages_and_the_graph(bodies_build, bodies_client):
    from rdflib.namespace import DCTERMS, FOAF, RDF

    from kg.citation_graph import person_node
    from kg.graph import GRAPH_FILE, read_dataset, union_graph
    from kg.library import Library
    from kg.vocab import PERSON, WORK

    client = bodies_client
    # the concept's coiner (an ontology person) is the author of the works the report cites
    coined = client.get("/api/concepts/activity-system").get_json()["coined_by"]
    by = {p["id"]: p for c in coined for p in c["by"]}
    assert by["yrjo-engestrom"]["in_library"]
    for pid, entry in by.items():
        assert (client.get(f"/api/people/{pid}").status_code == 200) == entry["in_library"], pid
    person = client.get("/api/people/yrjo-engestrom").get_json()
    assert set(person) >= {"id", "name", "kind", "uri", "aliases", "works", "cited_in"}
    assert person["uri"] == str(PERSON["yrjo-engestrom"]) and person["kind"] == "person"
    assert sorted(w["year"] for w in person["works"]) == ["1999a", "1999b"]
    assert _work(client, "Engestrom 1999a")["people"][0]["id"] == "yrjo-engestrom"
    # the id it had before (surname and initial) leads to it
    assert "engestrom-y" in person["aliases"]
    moved = client.get("/api/people/engestrom-y")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/api/people/yrjo-engestrom")
    assert client.get("/people/engestrom-y").headers["Location"].endswith("/people/yrjo-engestrom")
    assert client.get("/api/people/nobody-x").status_code == 404
    # an address typed as a reader guesses it: a surname one person has, the name with a space
    for guessed in ("engestrom", "Yrjo%20Engestrom", "YRJO-ENGESTROM"):
        moved = client.get(f"/people/{guessed}")
        assert moved.status_code == 301 and moved.headers["Location"].endswith("/people/yrjo-engestrom"), guessed
    # the graph names every person and body by the API's id, and the works' creators are those
    graph = union_graph(read_dataset(bodies_build / "current" / GRAPH_FILE))
    people = Library(bodies_build).people()
    nodes = {person_node(pid) for pid in people}
    for pid in people:
        assert {FOAF.Person, FOAF.Organization} & set(graph.objects(person_node(pid), RDF.type)), pid
    creators = {o for s, o in graph.subject_objects(DCTERMS.creator) if str(s).startswith(str(WORK))}
    assert creators and creators <= nodes, creators - nodes


def test_a_body_cited_by_its_acronym_is_the_body_of_the_reference_list(bodies_build, bodies_client):
    from rdflib.namespace import DCTERMS, FOAF, RDF

    from kg.graph import GRAPH_FILE, read_dataset, union_graph
    from kg.vocab import SOURCE

    client = bodies_client
    dfes = {_work(client, q)["people"][0]["id"] for q in ("DfES 2004a", "DfES 2004b", "DfES 2005")}
    assert len(dfes) == 1
    dfes_id = dfes.pop()
    # a body's address typed without "org-", by its acronym or its name
    for guessed in ("dfes", "DfES", "Department%20for%20Education%20and%20Skills"):
        moved = client.get(f"/api/people/{guessed}")
        assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/api/people/{dfes_id}"), guessed
    body = client.get(f"/api/people/{dfes_id}").get_json()
    assert body["kind"] == "organization" and body["name"] == "Department for Education and Skills"
    assert len(body["works"]) == 3
    # "Home Office, The" (the list) and "Home Office" (the text) are one body
    home = {_work(client, q)["people"][0]["id"] for q in ("Home Office 1998", "Home Office 2000")}
    assert len(home) == 1 and client.get(f"/api/people/{home.pop()}").get_json()["kind"] == "organization"
    # no body is a person
    people = [client.get(f"/api/people/{p['id']}").get_json() for w in client.get("/api/works").get_json()["results"]
              for p in client.get(f"/api/works/{w['id']}").get_json()["people"]]
    assert not [p["name"] for p in people if p["kind"] == "person" and not p["name"].startswith(("Engeström", "Y. "))]
    # the report's author (curly apostrophe) is the body of its list entry (straight apostrophe)
    graph = union_graph(read_dataset(bodies_build / "current" / GRAPH_FILE))
    author = set(graph.objects(SOURCE["bodies-report"], DCTERMS.creator))
    necf = _work(client, "NECF 2004b")["people"][0]
    assert client.get("/people/necf").headers["Location"].endswith(f"/people/{necf['id']}")
    assert {str(a) for a in author} == {client.get(f"/api/people/{necf['id']}").get_json()["uri"]}
    bodies = {o for o in graph.subjects(RDF.type, FOAF.Organization)
              if any("Evaluation of the Children" in str(n) for n in graph.objects(o, FOAF.name))}
    assert len(bodies) == 1, bodies


def test_a_body_s_citation_as_printed_finds_its_work(bodies_build, bodies_client):
    def total(q: str) -> int:
        return bodies_client.get("/api/works", query_string={"q": q}).get_json()["total"]

    assert _work(bodies_client, "DfES 2004a")["title"] == "Every Child Matters: Next Steps"
    assert total("DfES 2004") == 2 and total("(DfES, 2004b)") == 1
    assert _work(bodies_client, "CYPU 2001:7")["title"] == "Children's Fund Guidance"
    assert _work(bodies_client, "NECF 2004b")["year"] == "2004b"
    assert total("DfE 2004") == 0            # another department: an acronym is matched whole
    out = subprocess.run(CKG + ["cited-by", "CYPU 2001", "--build", str(bodies_build)], capture_output=True, text=True)
    assert out.returncode == 0 and "Children's Fund Guidance" in out.stdout, out.stderr


def test_a_work_s_key_is_cut_between_words(bodies_client):
    # "department-for-education-and-s-2004-children-act": the body's name was cut at 30 characters
    from kg.citations.names import TITLE_STOP, fold, slug

    client = bodies_client
    assert _work(client, "DfES 2004a")["id"] == "department-for-education-and-skills-2004a-every-child-matters"
    assert _work(client, "DfES 2004b")["id"] == "department-for-education-and-skills-2004b-every-child-matters"
    assert _work(client, "CYPU 2001")["id"] == "children-and-young-peoples-unit-2001-childrens-fund-guidance"
    assert _work(client, "NECF 2004b")["id"] == "national-evaluation-of-the-childrens-fund-2004b-developing-collaboration"
    assert _work(client, "Engestrom 1999a")["id"] == "engestrom-1999a-activity-theory"      # not "…-and", no "-2"
    for found in client.get("/api/works").get_json()["results"]:
        work = client.get(f"/api/works/{found['id']}").get_json()
        words = set(re.findall(r"[a-z0-9]+", fold(" ".join(work["authors"][:1] + [work["label"], work["title"], work["year"]]))))
        pieces = work["id"].split("-")
        assert all(p in words or p == "nd" or p.isdigit() for p in pieces), work["id"]
        assert pieces[-1] not in TITLE_STOP and len(work["id"]) <= 80, work["id"]
        assert client.get(f"/works/{work['id']}").status_code == 200
    # the pages link the works by these keys
    html = client.get("/works?q=DfES").get_data(as_text=True)
    assert 'href="/works/department-for-education-and-skills-2004a-every-child-matters"' in html
    assert slug("Department for Education and Skills", 30) == "department-for-education-and"
    assert slug("Supercalifragilistic", 5) == "super" and slug("", 5) == "x"


def test_the_year_suffix_is_shown_wherever_a_work_is_labelled(bodies_build, bodies_client):
    found = bodies_client.get("/api/works", query_string={"q": "Engestrom 1999"}).get_json()["results"]
    assert sorted(w["year"] for w in found) == ["1999a", "1999b"]
    assert _work(bodies_client, "Engestrom 1999b")["year"] == "1999b"
    out = subprocess.run(CKG + ["cited-by", "Engestrom, 1999a", "--build", str(bodies_build)],
                         capture_output=True, text=True, check=True).stdout
    heading = out.splitlines()[0]
    assert "(1999a) Activity theory and individual" in heading and "Innovative" not in out


def test_bibtex_braces_a_body_whole_and_reads_back_as_its_name(bodies_client):
    import bibtexparser
    from bibtexparser import middlewares

    text = bodies_client.get("/works/export.bib", query_string={"q": "Department for Education and Skills"}).get_data(as_text=True)
    assert "\\{" not in text
    library = bibtexparser.parse_string(text, append_middleware=[middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])
    assert len(library.entries) == 3 and not library.failed_blocks
    for entry in library.entries:
        (name,) = entry.fields_dict["author"].value
        assert not name.first and not name.von and name.last == ["{Department for Education and Skills}"]
    # a year stays a number for BibTeX (styles add a/b themselves); the keys tell the works apart
    years = {e.fields_dict["year"].value for e in library.entries}
    assert years == {"2004", "2005"}


AMBIGUOUS = "More details of the analysis and findings are available in NECF (2004)."


def test_a_citation_the_list_does_not_tell_apart_is_ambiguous_between_its_entries(bodies_build, bodies_client):
    # "NECF (2004)" where the list has only NECF's 2004a and 2004b resolved to nothing (a work "NECF (2004)"
    # of its own); it is either entry, and says so
    client = bodies_client
    a, b = _work(client, "NECF 2004a"), _work(client, "NECF 2004b")
    cites = client.get("/api/sources/bodies-report/citations").get_json()["results"]
    assert all(set(c) >= {"ambiguous", "candidates", "work_id"} for c in cites)
    (necf,) = [c for c in cites if c["surface"] == "NECF (2004)"]
    assert necf["ambiguous"] and necf["work_id"] is None and necf["candidates"] == [a["id"], b["id"]]
    assert not any(c["ambiguous"] or c["candidates"] for c in cites if c is not necf)
    # no work of its own: "NECF 2004" finds the two listed works
    found = client.get("/api/works", query_string={"q": "NECF 2004"}).get_json()["results"]
    assert sorted(w["year"] for w in found) == ["2004a", "2004b"]
    for work, other in ((a, b), (b, a)):
        (entry,) = [c for c in work["cited_by"] if c["context"] == AMBIGUOUS]
        assert entry["ambiguous"] and entry["surfaces"] == ["NECF (2004)"]
        assert entry["candidates"] == [{"id": a["id"], "label": "National Evaluation of the Children's Fund (2004a)"},
                                       {"id": b["id"], "label": "National Evaluation of the Children's Fund (2004b)"}]
        assert not any(c["ambiguous"] or c["candidates"] for c in work["cited_by"] if c["context"] != AMBIGUOUS)
    # the sentence citing 2004b by its letter is not ambiguous
    assert any(not c["ambiguous"] and "NECF 2004b" in c["context"] for c in b["cited_by"])
    out = subprocess.run(CKG + ["cited-by", "NECF 2004a", "--build", str(bodies_build)], capture_output=True, text=True, check=True).stdout
    assert f"{AMBIGUOUS}  [ambiguous: it may cite National Evaluation of the Children's Fund (2004b) instead]" in out
    out = subprocess.run(CKG + ["cites", "bodies-report", "--build", str(bodies_build)], capture_output=True, text=True, check=True).stdout
    assert f"NECF (2004)  → {a['id']} or {b['id']} (ambiguous)" in out


def test_the_graph_holds_an_ambiguous_citation_as_a_choice_and_an_act_as_a_statute(bodies_build, bodies_client):
    from kg.graph import GRAPH_FILE, read_dataset, validate_dataset
    from kg.library import Library

    conforms, report = validate_dataset(read_dataset(bodies_build / "current" / GRAPH_FILE), ROOT / "ontology")
    assert conforms, report
    a, b = _work(bodies_client, "NECF 2004a"), _work(bodies_client, "NECF 2004b")
    library = Library(bodies_build)
    rows = library.sparql("""
        PREFIX oa: <http://www.w3.org/ns/oa#>  PREFIX as: <https://www.w3.org/ns/activitystreams#>
        PREFIX ck: <https://w3id.org/common-knowledge/ontology#>  PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?sentence ?id WHERE {
          ?citation a ck:InTextCitation ; ck:citingSentence ?sentence ; oa:hasBody ?choice .
          ?choice a oa:Choice ; as:items/rdf:rest*/rdf:first ?work . ?work dcterms:identifier ?id }""").dicts()
    assert {(r["sentence"], r["id"]) for r in rows} == {(AMBIGUOUS, a["id"]), (AMBIGUOUS, b["id"])}
    acts = library.sparql("""
        PREFIX bibo: <http://purl.org/ontology/bibo/>  PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT DISTINCT ?title WHERE { ?act a bibo:Statute , bibo:Legislation ; dcterms:title ?title }""").dicts()
    assert [r["title"] for r in acts] == ["The Children Act"]
    # the /sparql example "who cites which work" lists the ambiguous sentence under both works, marked so
    from kg.sparql_examples import EXAMPLES, PREFIXES

    (example,) = [e for e in EXAMPLES if e.id == "who-cites"]
    rows = [r for r in library.sparql(PREFIXES + example.query).dicts() if r["sentence"] == AMBIGUOUS]
    assert sorted((r["work"], r["ambiguous"]) for r in rows) == [(a["id"], "true"), (b["id"], "true")]


def test_a_work_id_of_the_older_form_redirects_to_the_work(bodies_client):
    import re

    client = bodies_client
    work = _work(client, "NECF 2004a")
    name, year, title = re.fullmatch(r"(.*?)-(\d{4})a-(.*)", work["id"]).groups()
    older = f"{name[:name.index('-', 12) + 5]}-{year}-{title}-in"     # cut inside a word, no year letter, a stop word kept
    for path in (f"/works/{older}", f"/api/works/{older}", f"/works/{work['id'].upper()}"):
        moved = client.get(path)
        assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/works/{work['id']}"), path
    # a name and year alone (2004a and 2004b both fit) is not guessed
    assert client.get(f"/works/{name}-{year}").status_code == 404
    assert client.get("/api/works/nobody-1999-nothing").status_code == 404


def test_a_work_key_with_or_without_its_title_words_names_the_same_work():
    """"victor-1998" (a bare citation's key) and "victor-1998-invented-here-maximizing" (the key once a
    document added later lists its title) name one work either way, so a link or a BibTeX key made
    before the document came or went still leads to it; another year or another title does not."""
    from kg.library import _same_work_key, _work_key_parts

    bare, titled = _work_key_parts("victor-1998"), _work_key_parts("victor-1998-invented-here-maximizing")
    assert _same_work_key(bare, titled) and _same_work_key(titled, bare)
    assert not _same_work_key(bare, _work_key_parts("victor-1999-invented-here"))
    assert not _same_work_key(_work_key_parts("victor-1998-mass-customization"), titled)


def test_an_act_exports_as_legislation_not_as_a_book(bodies_client):
    # "Department of Health (1989) The Children Act. London: HMSO", cited as "the Children Act 1989",
    # was exported as @book and TY BOOK
    import bibtexparser
    import rispy

    client = bodies_client
    act = _work(client, "Children Act 1989")
    assert act["kind"] == "legislation" and act["title"] == "The Children Act"
    (entry,) = bibtexparser.parse_string(client.get("/works/export.bib", query_string={"ids": act["id"]})
                                         .get_data(as_text=True)).entries
    assert entry.entry_type == "misc" and entry.fields_dict["howpublished"].value == "Act of Parliament"
    assert (entry.fields_dict["title"].value, entry.fields_dict["year"].value) == ("The Children Act", "1989")
    (ris,) = rispy.loads(client.get("/works/export.ris", query_string={"ids": act["id"]}).get_data(as_text=True))
    assert ris["type_of_reference"] == "STAT" and ris["title"] == "The Children Act" and ris["year"] == "1989"
    # the source's reference list exported whole: the Act as a statute, the rest as before
    listed = rispy.loads(client.get("/works/export.ris", query_string={"source": "bodies-report"}).get_data(as_text=True))
    types = {r.get("title", ""): r["type_of_reference"] for r in listed}
    assert types["The Children Act"] == "STAT" and types["Every Child Matters: Next Steps"] == "BOOK"
    assert list(types.values()).count("STAT") == 1
    bib = bibtexparser.parse_string(client.get("/works/export.bib", query_string={"source": "bodies-report"}).get_data(as_text=True))
    kinds = {e.fields_dict["title"].value: e.entry_type for e in bib.entries if "title" in e.fields_dict}
    assert kinds["The Children Act"] == "misc" and kinds["Every Child Matters: Next Steps"] == "book"
    html = client.get(f"/works/{act['id']}").get_data(as_text=True)
    assert 'id="work-nature"' in html and "An Act of Parliament" in html


def test_a_work_is_an_act_by_its_citation_or_by_a_bare_short_title_from_the_state_s_printer():
    from kg.citations.works import is_legislation

    def work(title: str, publisher: str = "", **more) -> dict:
        return {"title": title, "publisher": publisher, "url": "", "container": "", **more}

    assert is_legislation(work("The Children Act", "HMSO"))
    assert is_legislation(work("The Children Act", "The Stationery Office"))
    assert is_legislation(work("Children and Young Persons Act 1933"))
    assert is_legislation(work("Every Child Matters", legislation=True))          # an Act citation resolves to it
    assert not is_legislation(work("The Balancing Act", "Routledge"))           # a book's title
    assert not is_legislation(work("The Children Act: a guide for practitioners", "HMSO"))
    assert not is_legislation(work("Every Child Matters: Next Steps", "DfES"))
    assert not is_legislation(work(""))


def test_the_works_a_source_cites(client):
    everything = client.get("/api/works").get_json()
    data = client.get("/api/works?source=review-note").get_json()
    assert data["source"] == "review-note" and data["source_title"] == "A short review of boundary work"
    assert 0 < data["total"] == len(data["results"]) < everything["total"]
    assert all("review-note" in w["cited_by"] for w in data["results"])
    cited = {c["work_id"] for c in client.get("/api/sources/review-note/citations").get_json()["results"] if c["work_id"]}
    assert {w["id"] for w in data["results"]} == cited
    assert client.get("/api/works?source=review-note&q=Halden 2009").get_json()["total"] == 1
    assert client.get("/api/works?source=nope").status_code == 404
    works = next(e for e in client.get("/api").get_json()["endpoints"] if e["path"] == "/api/works")
    assert "source" in {p["name"] for p in works["parameters"]}
    assert "source_title" in works["returns"]


@pytest.mark.browser
def test_the_reader_links_to_the_works_its_source_cites(page, cites_server):
    from playwright.sync_api import expect

    page.goto(f"{cites_server}/sources/review-note")
    page.click("a.source-cites")
    expect(page.locator("h1")).to_contain_text("A short review of boundary work")
    total = json.loads(urllib.request.urlopen(f"{cites_server}/api/works?source=review-note").read())["total"]
    expect(page.locator(".work-item")).to_have_count(total)
    page.fill("#works-q", "Halden 2009")
    page.click("form.works-search button")
    expect(page.locator(".work-item")).to_have_count(1)
    assert "source=review-note" in page.url
    assert not page.errors, page.errors


@pytest.mark.browser
def test_pages_show_the_suffix_and_link_the_coiner_to_their_works(page, bodies_server):
    from playwright.sync_api import expect

    page.goto(f"{bodies_server}/works?q=Engestrom")
    links = page.locator(".work-item .work-link")
    expect(links).to_have_count(2)
    assert sorted(t[-7:] for t in links.all_inner_texts()) == ["(1999a)", "(1999b)"]
    page.locator(".work-item .work-link", has_text="1999b").click()
    expect(page.locator(".work-year")).to_have_text("1999b")
    page.goto(f"{bodies_server}/concepts/activity-system")
    page.locator(".coined a.coiner", has_text="Engeström").first.click()
    expect(page.locator("h1.person-name")).to_contain_text("Engeström")
    expect(page.locator(".person-works li")).to_have_count(2)
    assert not page.errors, page.errors


@pytest.mark.browser
def test_a_work_page_says_a_citation_may_be_another_work_and_links_it(page, bodies_server):
    from playwright.sync_api import expect

    page.goto(f"{bodies_server}/works?q=NECF+2004a")
    page.click(".work-item .work-link")
    expect(page.locator(".work-year")).to_have_text("2004a")
    item = page.locator(".cited-by .citing", has_text="available in NECF (2004)")
    expect(item).to_have_count(1)
    expect(item.locator(".citing-ambiguous")).to_contain_text("Ambiguous: NECF (2004) fits 2 entries")
    expect(page.locator(".citing-ambiguous")).to_have_count(1)
    item.locator(".citing-ambiguous a").click()
    expect(page.locator(".work-year")).to_have_text("2004b")
    expect(page.locator(".citing-ambiguous a")).to_contain_text("(2004a)")
    assert not page.errors, page.errors


@pytest.mark.browser
def test_the_lineage_page_lists_an_act_cited_by_its_name_as_cited_for_it(page, bodies_server):
    from playwright.sync_api import expect

    page.goto(f"{bodies_server}/concepts/children-act-1989/lineage")
    expect(page.locator("#cited-for .timeline-work")).to_contain_text(["Department of Health (1989)"])
    expect(page.locator("#cited-for .timeline-sentence").first).to_contain_text("Children Act 1989")
    expect(page.locator("#also-cited .timeline-work", has_text="Department of Health")).to_have_count(0)
    assert not page.errors, page.errors


@pytest.mark.browser
def test_an_act_s_work_page_says_it_is_an_act_and_exports_it_as_a_statute(page, bodies_server):
    from playwright.sync_api import expect

    page.goto(f"{bodies_server}/works?q=Children+Act+1989")
    page.click(".work-item .work-link")
    expect(page.locator("#work-nature")).to_contain_text("An Act of Parliament")
    href = page.locator(".work-tools a", has_text="RIS").get_attribute("href")
    ris = urllib.request.urlopen(bodies_server + href).read().decode()
    assert ris.startswith("TY  - STAT")
    assert not page.errors, page.errors


def test_an_act_cited_by_the_name_of_its_concept_is_cited_for_the_concept(bodies_client):
    # "The Children Act 1989 brought …": the Act's citation is the concept's name itself, neither after
    # nor before it, and the lineage filed it under "cited where it is discussed"
    data = bodies_client.get("/api/concepts/children-act-1989/lineage").get_json()
    (row,) = [r for r in data["results"] if r["label"] == "Department of Health (1989)"]
    assert row["attached"] and row["in_sentence"] and row["kind"] == "legislation"
    assert row["sentence"] == "The duties of the Children Act 1989 were the ground of all of it."


def _one_passage_document(text: str) -> tuple[dict, dict]:
    """A document that is one passage ("p" of source "doc"), and the citation data of it alone, as the
    lineage reads them."""
    passage = {"passage_id": "p", "source_id": "doc", "start": 0, "end": len(text), "text": text}
    doc = analyse_document(text, [passage])
    return passage, {"sources": {"doc": doc}, **resolve_works({"doc": doc})}


def _cited_for_in(text: str, names: dict[str, str]):
    """For a one-passage document whose concept mentions are ``names`` (concept id → the words naming it,
    first occurrence), the labels of the works its lineage lists as cited for a concept."""
    from kg.citations.works import lineage

    passage, data = _one_passage_document(text)
    mentions = [{"concept_id": cid, "start": text.index(words), "end": text.index(words) + len(words)}
                for cid, words in names.items()]
    links = {"p": {"mentions": mentions, "defines": []}}
    return lambda concept: {r["label"] for r in lineage(concept, data, links, {"p": passage}) if r["attached"]}


def test_a_citation_the_concept_s_name_is_part_of_stands_by_the_name():
    # the rule in general: a citation whose span holds the name (an Act by its title; a narrative citation
    # running from its authors close before the name to its year) is cited for it; one far off is not
    from kg.citations.works import lineage

    text = ("In 1989 the Children Act 1989 brought new duties. Margaret Hodge said that the Bill brings "
            "“a shift to prevention while strengthening protection” (2004: 3). Others wrote much later, long "
            "after the Act and its many guides and circulars and consultations and reviews had come and gone, "
            "of a turn to prevention (2010).\n\nReferences\n\nDepartment of Health (1989) The Children Act. "
            "London: HMSO.\n")
    passage, data = _one_passage_document(text)

    def mention(concept: str, words: str, nth: int = 0) -> dict:
        start = [m.start() for m in re.finditer(re.escape(words), text)][nth]
        return {"concept_id": concept, "start": start, "end": start + len(words)}

    links = {"p": {"mentions": [mention("children-act-1989", "the Children Act 1989"), mention("prevention", "prevention"),
                                mention("prevention", "prevention", 1)], "defines": []}}
    act = lineage("children-act-1989", data, links, {"p": passage})
    assert {r["label"]: r["attached"] for r in act} == {"Department of Health (1989)": True, "Hodge (2004)": False}
    rows = {r["work_id"]: r["attached"] for r in lineage("prevention", data, links, {"p": passage})}
    hodge = [wid for wid in rows if wid.startswith("hodge")]
    assert hodge and rows[hodge[0]], rows


def test_a_citation_after_a_term_the_sentence_brings_in_is_that_term_s_not_the_subject_s():
    # the CHAT article: "… relevant to work on prevention is the idea of ‘relational agency’ (Edwards 2005,
    # 2007, in press)" listed Edwards as cited for prevention; a sentence-final citation after a plain
    # second name still stands for the whole sentence ("resilience is … against vulnerability (Smith 2000)")
    text = ("A concept relevant to work on prevention is the idea of ‘relational agency’ (Edwards 2005). "
            "Resilience is a protection against vulnerability (Smith 2000).\n\nReferences\n\n"
            "Edwards, A. (2005) Relational agency. Oxford: OUP.\n\nSmith, B. (2000) Resilience. London: Sage.\n")
    cited_for = _cited_for_in(text, {"prevention": "prevention", "relational-agency": "relational agency",
                                     "resilience": "Resilience", "vulnerability": "vulnerability"})
    assert cited_for("relational-agency") == {"Edwards (2005)"}
    assert cited_for("prevention") == set()
    assert cited_for("resilience") == {"Smith (2000)"} == cited_for("vulnerability")


def test_a_sentence_going_on_about_the_research_on_a_concept_credits_its_citation_to_the_concept():
    # the CHAT article: "… a raft of research on the resilience of vulnerable children, which originated in
    # developmental psychology … The research and its implementation have tended to centred on developing
    # individual strengths (Garmezy, 1991; Masten and Garmezy, 1985)." — the origin of resilience research
    from kg.citations.works import lineage

    text = ("Policy has connected with a raft of research on the resilience of vulnerable children, which began "
            "in psychology. The research and its implementation have centred on individual strengths "
            "(Garmezy, 1991; Masten and Garmezy, 1985). The work on prevention grew too. The research has "
            "centred on schools (Smith, 2000).\n\nReferences\n\nGarmezy, N. (1991) Resiliency. Pediatric Annals.\n\n"
            "Masten, A. and Garmezy, N. (1985) Risk. New York: Plenum.\n\nSmith, B. (2000) Schools. London: Sage.\n")
    passage, data = _one_passage_document(text)
    start = text.index("resilience")
    prevention = text.index("prevention")
    links = {"p": {"mentions": [{"concept_id": "resilience", "start": start, "end": start + 10},
                                {"concept_id": "prevention", "start": prevention, "end": prevention + 10}], "defines": []}}
    cited_for = {r["label"] for r in lineage("resilience", data, links, {"p": passage}) if r["attached"]}
    assert cited_for == {"Garmezy (1991)", "Masten and Garmezy (1985)"}
    # "The work on prevention grew too. The research has …": another body of work, not the research on prevention
    assert not {r["label"] for r in lineage("prevention", data, links, {"p": passage}) if r["attached"]}


def test_a_work_cited_twice_for_a_concept_is_quoted_where_the_sentence_brings_the_concept_in():
    # the impact case study cites Edwards (2010) for common knowledge twice; the lineage quoted "Concepts such
    # as … common knowledge [R2, 4, 6] informed …" rather than "Edwards identified the new concepts of
    # … 'common knowledge' [R4, 6]", where the concept comes from
    from kg.citations.works import lineage

    text = ("Practice changed as common knowledge (Smith, 2000) informed training across the region. "
            "Earlier, Smith identified the new concept of ‘common knowledge’ (Smith, 2000) in schools.\n\n"
            "References\n\nSmith, B. (2000) Knowing together. London: Sage.\n")
    passage, data = _one_passage_document(text)
    first, second = (m.start() for m in re.finditer("common knowledge", text))
    links = {"p": {"mentions": [{"concept_id": "common-knowledge", "start": at, "end": at + 16} for at in (first, second)],
                   "defines": []}}
    (row,) = lineage("common-knowledge", data, links, {"p": passage})
    assert row["attached"] and row["sentence"].startswith("Earlier, Smith identified the new concept")


def test_a_claimant_whose_view_is_only_likened_to_a_concept_is_not_cited_for_it():
    # the CHAT article: "Jack (2006) comes at the problem from a slightly different angle and one that quite
    # clearly is compatible with a CHAT analysis" listed Jack as cited for CHAT; "Okafor (2015) argued that
    # relational agency is learnt in practice" still credits Okafor
    text = ("Jack (2006) comes at the problem from another angle, one that is compatible with a CHAT analysis. "
            "Okafor (2015) argued that relational agency is learnt in practice.\n\nReferences\n\n"
            "Jack, G. (2006) The area and community components. Child and Family Social Work.\n\n"
            "Okafor, C. (2015) Agency at work. London: Sage.\n")
    cited_for = _cited_for_in(text, {"cultural-historical-activity-theory": "CHAT", "relational-agency": "relational agency"})
    assert cited_for("cultural-historical-activity-theory") == set()
    assert cited_for("relational-agency") == {"Okafor (2015)"}


def test_a_concept_s_name_inside_a_longer_title_does_not_take_the_title_s_citation():
    # the impact case study: "the ESRC-funded Preventing Social Exclusion in Secondary Schools (PSE) [R5][S3]"
    # listed the study and its paper as cited for the concept prevention of social exclusion; two names
    # joined by "and" ("Sure Start and the Children’s Fund") are not one title
    text = ("The work went on in the funded Preventing Social Exclusion in Secondary Schools study (Edwards, 2010). "
            "Programmes such as Sure Start and the Children’s Fund can be designed to develop it (Evans, 2007)."
            "\n\nReferences\n\nEdwards, A. (2010) Schools. London: Sage.\n\nEvans, R. (2007) Programmes. Bristol: Policy.\n")
    cited_for = _cited_for_in(text, {"prevention-of-social-exclusion": "Preventing Social Exclusion", "sure-start": "Sure Start"})
    assert cited_for("prevention-of-social-exclusion") == set()
    assert cited_for("sure-start") == {"Evans (2007)"}


def test_a_surname_cited_bare_is_the_known_person_only_of_the_same_period():
    # the CHAT article's "Taylor (1977)" on agency was given to J. Taylor of a 2016 book the chapter lists;
    # "Edwards (2005)" cited bare is still the A. Edwards of a 2010 book
    from kg.citations import analyse_document
    from kg.citations.works import resolve_works

    listing = ("Practice is changing, as others argued (Thoburn and Taylor, 2016) and (Edwards, 2010).\n\n"
               "References\n\n"
               "Edwards, A. (2010) Being an Expert Professional Practitioner. Dordrecht: Springer.\n\n"
               "Thoburn, J. and Taylor, J. (2016) Collaborative Practice with Vulnerable Children. London: Routledge.\n")
    bare = ("Taylor’s definition of individual agency (Taylor, 1977) is the start. Relational agency "
            "(Edwards, 2005) takes it further.\n")
    works = resolve_works({"a": analyse_document(listing), "b": analyse_document(bare)})["works"]
    assert [a["id"] for a in works["taylor-1977"]["authors"]] == ["taylor"]
    assert [a["id"] for a in works["edwards-2005"]["authors"]] == ["edwards-a"]


def test_a_work_says_when_it_is_a_funded_study_or_a_corroborating_source(client):
    # an impact case study's "[C1] Head of Early Help, … (letter on file)" was listed like a publication
    works = client.get("/api/works").get_json()["results"]
    by_title = {w["title"]: w["id"] for w in works}
    letter = client.get(f"/api/works/{by_title['Head of Early Help, Northfield Council']}").get_json()
    assert letter["kind"] == "corroborating source" and letter["study_id"] is None
    strategy = next(w for t, w in by_title.items() if t.startswith("Early Help Strategy"))
    assert client.get(f"/api/works/{strategy}").get_json()["kind"] == "publication"   # [C2] has an author: a publication
    html = client.get(f"/works/{by_title['Head of Early Help, Northfield Council']}").get_data(as_text=True)
    assert 'id="work-nature"' in html and "not a publication" in html


def test_a_funded_study_the_library_describes_links_to_its_study():
    # the seed case study's "[S1] NECF - National Evaluation …" is the study NECF: its work page links there
    from search_app.workdata import work_nature

    class Listing:      # the two things work_nature reads of a library, for one entry
        def references(self, source_id):
            return [{"work_id": "w", "key": "S1", "acronym": "NECF", "title": "National Evaluation of the Children's Fund",
                     "authors": [], "section": "Studies since 2005"}]

        def find_study(self, name):
            return {"id": "necf"} if name == "NECF" else None

    work = {"id": "w", "renderings": [{"source_id": "s", "key": "S1"}]}
    assert work_nature(Listing(), work) == {"kind": "study", "study_id": "necf"}


def test_a_listed_study_whose_title_runs_on_past_the_studys_name_is_that_study():
    # "[S9] Alliances for Inclusion: … in and around schools for EC/NESET 2011-12 £10k": the list adds
    # the funders to the title, so no study had that name, and the entry was taken for a publication
    from search_app.workdata import work_nature

    title = "Alliances for Inclusion: cross-sector policy synergies and collaboration in and around schools for EC/NESET"
    study = {"id": "alliances-for-inclusion", "name": "Alliances for Inclusion: cross-sector policy synergies and "
             "collaboration in and around schools", "label": "Alliances for Inclusion", "alt_labels": []}
    other = {"id": "alliance", "name": "Alliance", "label": "Alliance", "alt_labels": []}

    class Listing:
        def __init__(self, title):
            self.title = title

        def references(self, source_id):
            return [{"work_id": "w", "key": "S9", "acronym": "", "title": self.title, "authors": [],
                     "section": "Studies since 2005"}]

        def find_study(self, name):
            return None

        def studies_named_in(self, text):
            return [s["id"] for s in (other, study) if s["label"].casefold() in text.casefold()]

        def study(self, study_id):
            return {"alliances-for-inclusion": study, "alliance": other}[study_id]

    work = {"id": "w", "renderings": [{"source_id": "s", "key": "S9"}]}
    assert work_nature(Listing(title), work) == {"kind": "study", "study_id": "alliances-for-inclusion"}
    # a title that only names a study somewhere inside is not that study ("Alliance" is not "Alliances")
    assert work_nature(Listing("Working papers on the Alliances for Inclusion review"), work)["study_id"] is None


def test_an_act_cited_by_title_and_year_resolves_to_its_list_entry():
    # "(Children Act HMSO 1989)" closed a quotation of the Act's definition and cited nothing
    text = ("1.1. The Children Act 1989\n\n"
            "The Children Act 1989 brought with it a set of duties. The Act defines a child as in need.\n\n"
            "(Children Act HMSO 1989)\n\n"
            "In the 2004 Children Act the duties changed, as did the Education Act 1996 before it.\n\n"
            "References\n\n"
            "Department of Health (1989) The Children Act London, HMSO\n\n"
            "Department for Education and Skills (2004b) The Children Act London, The Stationery Office\n")
    found = analyse_document(text)
    acts = [c for c in found["citations"] if c["kind"] == "legislation"]
    listed = {n: ref["year"] for n, ref in enumerate(found["references"])}
    assert [(c["surface"], listed[c["reference"]]) for c in acts] == [
        ("The Children Act 1989", "1989"), ("Children Act HMSO 1989", "1989"), ("2004 Children Act", "2004")]
    assert all(c["title"] == "Children Act" for c in acts)
    # the heading cites nothing, "The Act" names no Act, and the Education Act is not in the list
    assert not any("Education" in c["surface"] for c in found["citations"])
    # in brackets an Act is cited even when the list lacks it, and is no body called "Children Act"
    bracketed = analyse_document("Duties grew (Education Act 1996). More came (Children Act 1989).\n")["citations"]
    assert [(c["kind"], c["title"], c["surnames"], c["year"]) for c in bracketed] == [
        ("legislation", "Education Act", [], "1996"), ("legislation", "Children Act", [], "1989")]
    works = resolve_works({"doc": found})["works"]
    children_act = works["department-of-health-1989-children-act"]
    assert [c["surface"] for c in children_act["cited_by"]] == ["The Children Act 1989", "Children Act HMSO 1989"]


def test_the_works_a_definition_is_credited_to_are_cited_for_the_concept(seed_build):
    """The concept page credits heavy-end prevention's definition to "CYPU 2001: 37, adapted from
    Hardiker, Exton and Barker 1991": its lineage lists both works as cited for it, the guidance with the
    definition as its sentence, so the two pages agree."""
    from kg.library import Library
    from search_app import workdata

    library = Library(seed_build)
    concept = library.concept("heavy-end-prevention")
    assert "Hardiker" in concept["definitions"][0]["citation"]
    rows = {r["work_id"]: r for r in workdata.concept_lineage(library, "heavy-end-prevention")["results"]}
    credited = [wid for wid, r in rows.items() if r["credited_by_definition"]]
    assert sorted(credited) == ["children-and-young-peoples-unit-2001-childrens-fund-guidance", "hardiker-1991-policies-and-practices"]
    assert all(rows[w]["attached"] for w in credited)
    guidance = rows["children-and-young-peoples-unit-2001-childrens-fund-guidance"]
    assert guidance["sentence"] == concept["definitions"][0]["text"] and guidance["passage_id"]
    years = [r["year"] for r in workdata.concept_lineage(library, "heavy-end-prevention")["results"]]
    assert years == sorted(years)
    # a concept whose definitions credit no work keeps its lineage as its citations give it
    assert not any(r["credited_by_definition"] for r in workdata.concept_lineage(library, "relational-agency")["results"])


def test_who_coined_a_concept_is_given_in_the_order_the_citation_names_them(seed_build):
    """The graph holds co-authors as a set (they came out A–Z: "M. Barker, K. Exton, P. Hardiker" for
    "Hardiker, Exton and Barker 1991")."""
    from kg.library import Library
    from search_app import workdata

    library = Library(seed_build)
    for concept_id, citation_words, order in [("prevention-levels", "Hardiker, Exton and Barker", ["Hardiker", "Exton", "Barker"]),
                                              ("co-configuration", "Victor and Boynton", ["Victor", "Boynton"])]:
        origins = workdata.concept_lineage(library, concept_id)["origins"]
        coinage = next(c for c in origins if citation_words in (c["citation"] or ""))
        assert [p["name"].split()[-1] for p in coinage["by"]] == order, coinage["by"]


@pytest.mark.browser
def test_lineage_page_shows_the_works_a_definition_is_credited_to(page, seed_build):
    """In the browser: heavy-end prevention's lineage lists Hardiker et al. (1991) and the Children's
    Fund guidance as cited for it, saying the concept page's definition is credited to them."""
    from playwright.sync_api import expect

    from conftest import _serve

    for base in _serve(seed_build, "ckg-seed-lineage-server"):
        page.goto(f"{base}/concepts/heavy-end-prevention/lineage")
        cited_for = page.locator("#cited-for .timeline-item")
        expect(cited_for).to_have_count(2)
        expect(cited_for.first.locator(".timeline-year")).to_have_text("1991")
        expect(cited_for.first.locator(".timeline-work")).to_contain_text("Hardiker")
        expect(cited_for.nth(1).locator(".timeline-sentence")).to_contain_text("Heavy-end prevention would focus on")
        expect(cited_for.first.locator(".timeline-source")).to_contain_text("the definition the concept page quotes is credited to it")
        assert not page.errors, page.errors


@pytest.mark.browser
def test_the_levels_of_prevention_have_a_lineage_of_their_own(page, seed_build):
    """"levels of prevention" went to the lineage of prevention in general, where Hardiker et al. (1991),
    the framework's origin, stood only among the works cited beside it: the framework's lineage takes
    the works cited for any of its levels, the Guidance with the sentence that says it "represents four
    levels of prevention"; the CLI, the API and the page from the ladder agree."""
    from playwright.sync_api import expect

    from conftest import _serve

    text = subprocess.run(CKG + ["lineage", "levels of prevention", "--build", str(seed_build)],
                          capture_output=True, text=True, check=True).stdout
    assert text.startswith("The four levels of prevention  (prevention-levels): 2 works cited for it"), text
    for base in _serve(seed_build, "ckg-seed-ladder-lineage-server"):
        data = json.loads(urllib.request.urlopen(f"{base}/api/concepts/prevention-levels/lineage").read())
        rows = {r["work_id"]: r for r in data["results"] if r["attached"]}
        assert list(rows)[0] == "hardiker-1991-policies-and-practices"
        guidance = rows["children-and-young-peoples-unit-2001-childrens-fund-guidance"]
        assert "represents four levels of prevention" in guidance["sentence"]
        assert "Adapted from Hardiker" in rows["hardiker-1991-policies-and-practices"]["sentence"]
        page.goto(f"{base}/concepts")
        page.click("#ladder-lineage a")
        expect(page.locator("h1")).to_have_text("Where “The four levels of prevention” came from")
        expect(page.locator("#ladder-levels a")).to_have_count(4)
        expect(page.locator("#cited-for .timeline-item").first.locator(".timeline-work")).to_contain_text("Hardiker")
        page.click(".breadcrumbs a >> nth=1")
        assert page.url.endswith("/concepts#ladder")
        # a concept no source cites a work for by its name says so, not only "cited where it is discussed"
        page.goto(f"{base}/concepts/distributed-expertise/lineage")
        expect(page.locator("#none-cited-for")).to_contain_text("No source cites a work for “distributed expertise” by its name")
        page.goto(f"{base}/concepts/relational-agency/lineage")
        expect(page.locator("#none-cited-for")).to_have_count(0)
        assert not page.errors, page.errors


def test_a_citation_within_a_sentence_goes_to_the_name_it_follows(seed_build):
    """"Despite their emphasis on co-production …, both programmes struggled to achieve the
    “co-configuration” (Warmington et al. 2004: 4) in which …": Warmington is cited for co-configuration,
    not for co-production; a bracketed citation a clause before a name is not cited for it ("(Bynner,
    2001; France and Utting, 2005) and is usually associated with … vulnerability"); a narrative one
    opening the sentence is ("Smith (2013) emphasised four factors: … mutual trust")."""
    from kg.library import Library

    library = Library(seed_build)

    def cited_for(concept_id: str) -> set[str]:
        return {r["work_id"] for r in library.concept_lineage(concept_id) if r["attached"]}

    def discussed(concept_id: str) -> set[str]:
        return {r["work_id"] for r in library.concept_lineage(concept_id)}

    warmington = "warmington-2004-interagency-collaboration-review"
    assert warmington in cited_for("co-configuration")
    assert warmington not in cited_for("co-production") and warmington in discussed("co-production")
    assert "bynner-2001" not in cited_for("vulnerability") and "bynner-2001" in discussed("vulnerability")
    assert "smith-2013-working-together-why" in cited_for("trust")
    # a version of the concept keeps its citation for it: "‘third generation activity theory’ (Daniels, 2002)"
    daniels = "daniels-2002-vygotsky-and-pedagogy"
    assert daniels in cited_for("cultural-historical-activity-theory") and daniels not in cited_for("object-of-activity")
    # a group ending the sentence stands for all of it, a list of names shares the group that follows it
    assert "leontev-1978-activity-consciousness" in cited_for("object-of-activity")
    assert "edwards-2010-being-expert-professional" in cited_for("relational-expertise")


def test_citations_give_the_printed_page_where_the_pdf_numbers_its_pages(tmp_path_factory):
    """A chapter printed on pages 12–13: the citing sentence's page is "p. 13" in `ckg cites`,
    `ckg cited-by`, the citations API and the work page, as the reader and the quotes give it
    (not the file's second page, "p. 2")."""
    from test_extract import page_of, text_pdf

    from search_app import create_app

    corpus = tmp_path_factory.mktemp("labelled-corpus")
    first = ["Practitioners in the three teams met each week to plan their joint work with families",
             "and to share what each service knew about the children they supported in common."]
    second = ["These findings are consistent with the work of Edwards (2010) on common knowledge",
              "and with studies of teams that learnt to work across professional boundaries.",
              "", "References", "",
              "Edwards, A. (2010) Being an Expert Professional Practitioner. Dordrecht: Springer."]
    (corpus / "chapter.pdf").write_bytes(text_pdf([page_of(first, []), page_of(second, [])],
                                                  page_labels=b"0 << /S /D /St 12 >>"))
    out, _ = build_corpus(tmp_path_factory, corpus, "labelled-build", 1)
    cites = subprocess.run(CKG + ["cites", "chapter", "--build", str(out)], capture_output=True, text=True, check=True)
    assert "p. 13  Edwards (2010)" in cites.stdout
    cited_by = subprocess.run(CKG + ["cited-by", "Edwards 2010", "--build", str(out)], capture_output=True, text=True,
                              check=True)
    assert "chapter, p. 13: These findings" in cited_by.stdout
    client = create_app({"BUILD_DIR": str(out), "TESTING": True}).test_client()
    (citation,) = client.get("/api/sources/chapter/citations").get_json()["results"]
    assert (citation["doc_page"], citation["page_label"]) == (2, "13")
    work_id = citation["work_id"]
    assert ", p. 13" in client.get(f"/works/{work_id}").get_data(as_text=True)


@pytest.mark.browser
def test_a_lineage_starts_with_who_the_sources_say_coined_or_introduced_the_concept(page, seed_build):
    """The lineage of CHAT began at Cole (1996), the first work cited for it, though the NECF report's
    appendix starts the story with Vygotsky in the 1920s and then Leont'ev: the curated coinages, the
    concept page's "Who coined it", now open the lineage, earliest first (a decade counting as its first
    year), in the API, the CLI and the page. Neither is credited with the name (audit 23): the sources
    trace the tradition to them, which every view says as such (``traced_to``, not ``by``)."""
    from playwright.sync_api import expect

    from conftest import _serve

    text = subprocess.run(CKG + ["lineage", "CHAT", "--build", str(seed_build)], capture_output=True, text=True, check=True).stdout
    introduced, cited = text.split("coined or introduced, as the sources say:", 1)[1].split("cited for it:", 1)
    assert introduced.index("traced to Vygotsky (working in the 1920s and early 1930s)") < introduced.index("traced to A.N. Leont’ev")
    assert "“We need to start with Vygotsky who was working in Russia" in introduced and "Cole (1996)" in cited
    shown = subprocess.run(CKG + ["concept", "CHAT", "--build", str(seed_build)], capture_output=True, text=True, check=True).stdout
    assert "traced to Vygotsky (working in the 1920s and early 1930s)" in shown and "coined by Vygotsky" not in shown
    for base in _serve(seed_build, "ckg-seed-origins-server"):
        data = json.loads(urllib.request.urlopen(f"{base}/api/concepts/cultural-historical-activity-theory/lineage").read())
        origins = data["origins"]
        assert [o["year"] for o in origins] == ["1920s", None]
        assert [p["id"] for o in origins for p in o["traced_to"]] == ["lev-vygotsky", "aleksei-leontev"]
        assert all(o["by"] == [] and o["source_id"] == "necf-prevention-report" and o["passage_id"] and o["evidence"]
                   for o in origins)
        # a concept no source credits to anyone has none; the levels of prevention (a scheme) have theirs
        assert json.loads(urllib.request.urlopen(f"{base}/api/concepts/early-intervention/lineage").read())["origins"] == []
        ladder = json.loads(urllib.request.urlopen(f"{base}/api/concepts/prevention-levels/lineage").read())["origins"]
        assert [p["id"] for p in ladder[0]["by"]] == ["hardiker", "exton", "barker"] and ladder[0]["year"] == "1991"
        page.goto(f"{base}/concepts/cultural-historical-activity-theory/lineage")
        coinages = page.locator("#origins .coinage")
        expect(coinages).to_have_count(2)
        expect(coinages.first.locator(".who")).to_contain_text("traced to Vygotsky (working in the 1920s and early 1930s)")
        expect(coinages.nth(1).locator(".who")).to_contain_text("traced to A.N. Leont’ev")
        # the section comes before the works cited for it, and the evidence links to its passage in the source
        assert page.evaluate("document.querySelector('#origins').compareDocumentPosition(document.querySelector('#cited-for')) & 4")
        coinages.first.locator(".from a").click()
        expect(page).to_have_url(re.compile(r"/sources/necf-prevention-report#necf-prevention-report-"))
        page.goto(f"{base}/concepts/early-intervention/lineage")
        expect(page.locator("#origins")).to_have_count(0)
        page.goto(f"{base}/concepts/prevention-levels/lineage")
        expect(page.locator("#origins .coinage .who")).to_contain_text("Hardiker")
        # the concept page shows the same, in the same order, under a heading that does not say "coined"
        # (and a space between name and citation, which the template's trimmed blocks had taken)
        page.goto(f"{base}/concepts/cultural-historical-activity-theory")
        expect(page.locator("#coined-heading")).to_have_text("Where the sources trace it from")
        expect(page.locator(".coined .coinage").first.locator(".who")).to_contain_text("traced to Vygotsky (working in the 1920s")
        page.goto(f"{base}/concepts/relational-agency")
        expect(page.locator("#coined-heading")).to_have_text("Who coined it")
        expect(page.locator(".coined .coinage").first.locator(".who")).to_contain_text("Anne Edwards (Edwards 2005, 2007)")
        assert not page.errors, page.errors


def test_the_cli_shows_the_levels_of_prevention_when_asked_for_the_framework(seed_build):
    """`ckg concept "four levels of prevention"` gave the concept of prevention in general (audit 23), as
    the web's concept finder does not: it now shows the framework, each level with its notation and the
    Guidance's definition; another of the framework's names does the same; "prevention" is still the concept."""
    text = subprocess.run(CKG + ["concept", "the four levels of prevention", "--build", str(seed_build)],
                          capture_output=True, text=True, check=True).stdout
    assert text.startswith("The four levels of prevention\n") and "Hardiker" in text
    levels = [line for line in text.splitlines() if re.match(r"\d\. ", line)]
    assert [line[:2] for line in levels] == ["1.", "2.", "3.", "4."] and "heavy-end prevention" in levels[2]
    assert "“Level Three: Heavy-end prevention would focus on" in text
    data = json.loads(subprocess.run(CKG + ["concept", "Hardiker model", "--json", "--build", str(seed_build)],
                                     capture_output=True, text=True, check=True).stdout)
    assert [level["notation"] for level in data["levels"]] == ["1", "2", "3", "4"] and data["title"] == "The four levels of prevention"
    general = subprocess.run(CKG + ["concept", "prevention", "--build", str(seed_build)], capture_output=True, text=True, check=True).stdout
    assert general.startswith("prevention  (prevention)")
    # each definition's place as its citation gives it: the section where the report has no page numbers
    # (printed as "p. None" or left out before), the slide of a deck
    assert "Children and Young People, section 1.2 (the source's own words, on Dartington" in general
    deck = subprocess.run(CKG + ["concept", "collaborative agency", "--build", str(seed_build)], capture_output=True, text=True, check=True).stdout
    assert "presentation slides], slide 17\n    cite: (" in deck and ", p. 17" not in deck


def test_a_body_cited_without_a_reference_list_is_an_organisation_not_a_person():
    """The article has no reference list: "(Office for National Statistics, 2002)" made a person of the office."""
    found = analyse_document("Citizens are alienated (Office for National Statistics, 2002). So said Engeström (1999).\n")
    people = resolve_works({"doc": found})["people"]
    assert people["org-office-for-national-statistics"]["kind"] == "organization"
    assert [p["kind"] for pid, p in people.items() if "engestrom" in pid] == ["person"]


def test_a_period_is_kept_as_a_works_date_and_bibtex_pages_are_a_range(seed_build):
    """Works dated by a period ("[S8] … 2011-12") had no date in the graph (only four-digit years are an
    xsd:gYear); BibTeX wants a page range's dash doubled."""
    from kg.bibtex import page_range
    from kg.library import Library

    rows = Library(seed_build).sparql("""
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?date WHERE { <https://w3id.org/common-knowledge/work/leading-for-learning-2011-12> dcterms:date ?date }
    """).dicts()
    assert [r["date"] for r in rows] == ["2011-12"]
    # a body named by the catalogue ("Children's Fund") and by citations ("Children’s Fund") has one name
    names = Library(seed_build).sparql("""
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?agent (COUNT(DISTINCT ?name) AS ?n) WHERE { ?agent foaf:name ?name } GROUP BY ?agent HAVING (COUNT(DISTINCT ?name) > 1)
    """).dicts()
    assert names == []
    assert [page_range(p) for p in ("27-45", "27 – 45", "12", "xi-xv", "e1-e10")] == ["27--45", "27--45", "12", "xi-xv", "e1--e10"]


def test_a_letter_on_file_and_a_funded_study_are_not_taken_for_publications(seed_build):
    """The impact case study's corroborating letters ("[C1] … (letter on file)") were bare works, and its
    "[S1] NECF - … award" a publication unrelated to the study the ontology describes."""
    from kg.library import Library

    rows = Library(seed_build).sparql("""
        PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
        PREFIX fabio: <http://purl.org/spar/fabio/>
        SELECT ?work ?what WHERE { { ?work ck:standsForStudy ?what } UNION { ?work a fabio:PersonalCommunication BIND("letter" AS ?what) } }
    """).dicts()
    found = {r["work"].rsplit("/", 1)[-1]: r["what"].rsplit("/", 1)[-1] for r in rows}
    assert found["national-evaluation-of-childrens-fund-2006"] == "necf"
    assert found["alliances-for-inclusion-cross-sector-policy-2011-12"] == "alliances-for-inclusion"   # a title with more after ":"
    assert sorted(w for w, what in found.items() if what == "letter") == [
        "early-intervention-manager-oxfordshire-childrens-services", "head-of-research-and-assistant-director",
        "lead-analyst-local-government-association", "national-lead-for-succession-planning-vsc",
        "policy-officer-ec-directorate-general"]
    assert len(found) == 15           # [S1]–[S10] and the five letters; no publication with authors ([C2], [C7], [C9])


def test_the_works_export_says_what_a_letter_on_file_and_a_listed_study_are(seed_build):
    """They were plain @misc entries, as if publications: a letter is RIS's personal communication, and both
    say what they are (howpublished in BibTeX, N1 in RIS); a publication gets no such note."""
    import bibtexparser
    import rispy

    from search_app import create_app

    client = create_app({"BUILD_DIR": str(seed_build), "TESTING": True}).test_client()
    entries = {e.key: e for e in bibtexparser.parse_string(
        client.get("/works/export.bib?source=oxford-ref2014-impact").get_data(as_text=True)).entries}
    assert entries["early-intervention-manager-oxfordshire-childrens-services"]["howpublished"] == \
        "Letter on file, cited as corroborating evidence"
    assert entries["national-evaluation-of-childrens-fund-2006"]["howpublished"] == "A research study or grant, not a publication"
    assert "howpublished" not in entries["parson-2011-evaluation-of-tlrp"].fields_dict
    records = {r["id"]: r for r in rispy.loads(client.get("/works/export.ris?source=oxford-ref2014-impact").get_data(as_text=True))}
    letter = records["early-intervention-manager-oxfordshire-childrens-services"]
    assert letter["type_of_reference"] == "PCOMM" and letter["notes"] == ["Letter on file, cited as corroborating evidence"]
    assert "notes" not in records["parson-2011-evaluation-of-tlrp"]
