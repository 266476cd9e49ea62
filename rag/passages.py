"""The retrieved passages as the reader and the question's names see them: what each passage is about, which
of the question's names no passage mentions, and the packed sources as early, titled evidence cards."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.claims import YEAR, Figure, normalize
from rag.context import ContextSource
from rag.evidence import occurrences
from rag.question import QuestionAnalysis, constraints_of
from rag.rewriting import written_out
from rag.schema import Citation, SearchHit
from rag.years import frame_years


def passage_frame(hit: SearchHit, head: str = "") -> str:
    """What a passage is about, for the question's names: its text, section, and the document's title and
    opening (where the publisher is named)."""
    return f"{hit.title}\n{hit.section}\n{hit.text}\n{head}"


BYLINE_CHARS = 80


def byline(head: str, words: Iterable[str], shown: str) -> str:
    """The line of a document's opening that names a word of the question which the shown passage does not:
    "星河智库建议…" asked of a passage from the body of 星河智库's report. Without it the generator sees no
    tie between the question's publisher and the passage, and refuses."""
    missing = [word for word in words if word and word not in shown]
    for line in head.splitlines()[1:]:  # the first line is the title, shown anyway
        line = line.strip(" •·-#")
        if line and len(line) <= BYLINE_CHARS and any(word in line for word in missing):
            return line
    return ""


def absent_names(question: QuestionAnalysis, frames: list[str], query: str = "") -> list[str]:
    """The persons, places, works and products the question names that no retrieved passage mentions. A
    question about "《星河彼岸》" or "GPT-5" cannot be answered from passages that never name them. A Latin
    name of an English question that its Chinese search query renders in Chinese ("SenseTime" -> 商汤) is
    looked for under that name by the search, not as written."""
    names = [c for c in question.constraints if c.kind != "year" and not (
        c.kind == "latin" and question.language == "en" and query and not c.found_in(query))]
    return [c.text for c in names if not any(c.found_in(frame) or any(  # "GDP" written out in Chinese
        term in frame for term in written_out(c.text)) for frame in frames) and not (
        c.kind in ("person", "place") and _cut_across(c.text, question.text, frames))]


def _cut_across(name: str, text: str, frames: list[str]) -> bool:
    """The tagger's person or place name cuts across a word the passages have: in "第5轮南屿城联对…" it reads
    "轮南" as a place, and the passages say "南屿城联". The name's last character and the two after it, or its
    first and the two before it, stand in a passage."""
    at = text.find(name)
    if at < 0 or len(name) < 2:
        return False
    runs = [text[at + len(name) - 1:at + len(name) + 2], text[max(0, at - 2):at + 1]]
    return any(len(run) == 3 and run in frame for run in runs for frame in frames)


def about_named(question: QuestionAnalysis, hits: list[SearchHit], frames: list[str]) -> list[SearchHit]:
    """The passages that mention at least one of the question's names (all of them, if it names none, or if
    one of its parts names none: "《城市数据条例》何时施行？全市已有多少家企业完成登记？" asks its second part
    of passages that need not name the work). A topic (an organisation by the tagger's guess) counts only
    when some passage mentions it: a guess no passage bears out decides nothing. An ordinal ("B轮", "第三期")
    names no subject: another company's B round is not the one asked about."""
    found = [c for c in question.constraints if c.kind not in ("year", "ordinal")]
    topics = [t for t in question.topics if any(_mentions(t, frame) for frame in frames)]
    names = [c.text for c in found] + topics
    if not names or any(not _names_something(part, question, names) for part in question.parts):
        return hits
    return [hit for hit, frame in zip(hits, frames, strict=True)
            if any(c.found_in(frame) for c in found) or any(_mentions(t, frame) for t in topics)]


def _mentions(word: str, text: str) -> bool:
    return normalize(word) in normalize(text)


def _names_something(part: str, question: QuestionAnalysis, names: list[str]) -> bool:
    return any(c.kind != "year" for c in constraints_of(part, question.language)) or any(
        _mentions(name, part) for name in names)


def found_sources(sources: list[ContextSource]) -> list[Citation]:
    """The packed sources as cards the reader can look at while the answer is being written: numbered as the
    generator sees them, each quoting its best-matching sentence (the packer takes the best one first)."""
    cards = []
    for source in sources:
        start, end = source.sentences[0] if source.sentences else (0, 0)
        hit = source.hit
        cards.append(Citation(n=source.n, chunk_id=hit.chunk_id, source=hit.source, title=hit.title,
                              section=hit.section, quote=hit.text[start:end].strip(), score=hit.score,
                              text=hit.cited_text()))
    return cards


def with_titles(citations: list[Citation], sources: list[ContextSource]) -> list[Citation]:
    """Citations carry their report's title: the verifier builds them from chunks and knows only file names."""
    titles = {source.hit.chunk_id: source.hit.title for source in sources}
    for citation in citations:
        citation.title = citation.title or titles.get(citation.chunk_id, "")
    return citations


def titled_year(source: ContextSource) -> set[str]:
    """The one year a passage's document title or section names ("星桥科技2033年三季度营收增长…"): the year of
    its sentences that name none, in a news text or a one-year report; none when the title names a span."""
    years = {m.group(0) for m in frame_years(f"{source.hit.title}\n{source.hit.section}")}
    return years if len(years) == 1 else set()


# Words dating a figure relative to the document's own period: 上年同期, 期初, 过去五年.
_RELATIVE_PERIOD = re.compile(r"上年|去年|前年|同期|上期|期初|上季|过去|此前|以前|以来|累计")


def title_dates(source: ContextSource, claimed: Iterable[Figure]) -> set[str]:
    """The one year the document's title names, as the year of the claim's figures, when every place each
    stands in the passage names no year and no relative period: the undated rows of a 2033 plan are 2033's,
    its "上年同期 27.08亿元" is not."""
    years = titled_year(source)
    for figure in claimed if years else ():
        if YEAR.fullmatch(figure.number) and not figure.magnitude:
            continue
        if any(found.years or _RELATIVE_PERIOD.search(found.context)
               for found in occurrences(figure, source.support_text)):
            return set()
    return years
