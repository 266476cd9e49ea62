"""Source cards under each answer of the chat: the passages found while the answer is written, then the
sources the answer cites, numbered as its markers.

Each block is one line of HTML appended to its message (no blank line inside, so the chat's markdown leaves
it whole), starting with `SOURCES_MARK`, so the conversation handed back to the chain drops it again.
"""

from __future__ import annotations

import html
import re
from typing import Any

from rag.conversations import text_of
from rag.schema import Answer, Citation, heading_of

SOURCES_MARK = "\n\n<details class='sources"
_MARKER = re.compile(r"\[(\d+)\]")
_LINKED = re.compile(r"<sup class='cite cite-\d+'>(\[\d+\])</sup>")

# A marker [n] of an answer, clicked, opens that answer's source block and highlights its card n; the copy
# button of an answer copies its text, markers and sources as plain text (Gradio copies the raw message).
CITE_JS = r"""() => {
  document.addEventListener('click', (event) => {
    const cite = event.target.closest && event.target.closest('.cite');
    if (!cite) return;
    let box = cite.parentElement;
    while (box && !box.querySelector('details.sources')) box = box.parentElement;
    const block = box && box.querySelector('details.sources');
    const n = [...cite.classList].find((name) => /^cite-\d+$/.test(name));
    const card = n && block && block.querySelector(`.source-card.card-${n.slice(5)}`);
    if (!card) return;
    block.open = true;
    document.querySelectorAll('.source-card.focused').forEach((other) => other.classList.remove('focused'));
    card.classList.add('focused');
    card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  });
  // The chatbot's copy button copies a message's markup: give the answer's text and its sources instead.
  const plain = (text) => {
    if (!text.includes("class='sources") && !text.includes("class='cite")) return text;
    const doc = new DOMParser().parseFromString(text, 'text/html');
    const notes = [...doc.querySelectorAll('details.sources.cited .source-card')].map((card) => {
      const part = (name) => card.querySelector(name)?.textContent.trim() || '';
      const where = [part('.source-title'), part('.source-section')].filter(Boolean).join(' · ');
      return `${part('.source-n')} ${where}${part('mark') ? `：“${part('mark')}”` : ''}`;
    });
    doc.querySelectorAll('details.sources').forEach((block) => block.remove());
    const answer = doc.body.textContent.trim();
    return notes.length ? `${answer}\n\n${notes.join('\n')}` : answer;
  };
  if (navigator.clipboard) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text) => write(plain(String(text)));
  }
}"""


def highlight(passage: str, quote: str) -> str:
    """The passage, escaped, with the quoted sentence marked where it stands; line ends become <br>."""
    start = passage.find(quote) if quote else -1
    if start < 0:
        marked = html.escape(passage)
    else:
        end = start + len(quote)
        marked = (html.escape(passage[:start]) + "<mark>" + html.escape(passage[start:end]) + "</mark>"
                  + html.escape(passage[end:]))
    return marked.strip().replace("\n", "<br>")


def card(c: Citation, details: bool) -> str:
    """One numbered source: the report's own title (its file name when it has none, or shown beside it),
    section path, and the quoted sentence marked inside its passage."""
    title = c.title or c.source
    file = f"<span class='source-file'>{html.escape(c.source)}</span>" if title != c.source else ""
    section = f"<div class='source-section'>{html.escape(c.section)}</div>" if c.section else ""
    passage = c.text.removeprefix(f"{heading_of(c.title, c.section)}\n")  # the head shows it already
    meta = f"<div class='source-meta'>score {c.score:.4f} · {html.escape(c.chunk_id)}</div>" if details else ""
    return (f"<div class='source-card card-{c.n}'><div class='source-head'><span class='source-n'>[{c.n}]</span>"
            f"<span class='source-title'>{html.escape(title)}</span>{file}</div>{section}"
            f"<div class='source-passage'>{highlight(passage, c.quote)}</div>{meta}</div>")


def _block(kind: str, summary: str, body: str) -> str:
    return f"{SOURCES_MARK[2:]} {kind}' open><summary>{summary}</summary>{body}</details>"


def render_sources(answer: Answer, details: bool, searched: list[Citation] | None = None) -> str:
    """The answer's own numbered sources; for a refusal, what was searched and the passages found that do
    not answer it (so the reader can judge the refusal), and for a false premise the nearest fact."""
    extra = ""
    if details:
        t = answer.timings
        extra = (f"<div class='answer-notes'>{html.escape(answer.model)} · 检索 {t.retrieve:.2f}s · 来源 "
                 f"{(t.sources or 0):.2f}s · 首字 "
                 f"{(t.first_token or 0):.2f}s · 总计 {t.total:.2f}s · tokens {answer.usage.prompt_tokens}+"
                 f"{answer.usage.completion_tokens}</div>")
        extra += "".join(f"<div class='answer-notes'>{html.escape(n)}</div>" for n in answer.notes)
    if not answer.grounded and not answer.citations:
        asked = html.escape(answer.standalone_question)
        found = (f"找到的 {len(searched)} 段内容都不能支持回答：" if searched else "没有找到提到所问对象的段落。")
        notice = (f"<div class='refusal-card'>报告中没有找到可以支持回答的内容，因此不提供来源。<div class='searched'>"
                  f"已检索：「{asked}」；{found}</div></div>")
        if searched:
            notice += "<div class='searched-cards'>" + "".join(card(c, details) for c in searched) + "</div>"
        return _block("refused", "没有来源", notice + extra)
    lead = ("" if answer.grounded else  # a false premise: the nearest fact the reports do give, cited
            "<div class='refusal-card'>报告没有给出所问的数据；下面是报告给出的最接近的事实。</div>")
    cards = "".join(card(c, details) for c in answer.citations)
    return _block("cited", f"来源（{len(answer.citations)}）", lead + cards + extra)


def render_found(found: list[Citation]) -> str:
    """The passages retrieved for a question, shown while its answer is still being written and verified."""
    status = (f"<span class='spinner'></span>已找到 {len(found)} 个来源 — 正在撰写回答…" if found
              else "<span class='spinner'></span>没有找到相关段落，正在确认……")
    return _block("found pending", status, "".join(card(c, details=False) for c in found))


def searching() -> str:
    """What an answer shows before its passages are found."""
    return _block("found pending", "<span class='spinner'></span>检索中……", "")


def answer_message(text: str, block: str) -> str:
    """An answer with its sources under it."""
    return f"{text}\n\n{block}" if block else text


def linked(text: str, cited: set[int]) -> str:
    """Markers that name a source become clickable (see CITE_JS); numbers ride in class names, since the
    chat's HTML sanitizer drops data-* attributes."""
    return _MARKER.sub(lambda m: f"<sup class='cite cite-{m.group(1)}'>{m.group(0)}</sup>"
                       if int(m.group(1)) in cited else m.group(0), text)


def render_answer(answer: Answer, details: bool, searched: list[Citation] | None = None) -> str:
    text = linked(answer.answer, {c.n for c in answer.citations})
    text = text if answer.grounded else f"⚠️ {text}"
    return answer_message(text, render_sources(answer, details, searched))


def spoken(content: Any) -> str:
    """What a message said, without the sources under it: the conversation follow-ups are read against."""
    return _LINKED.sub(r"\1", text_of(content).split(SOURCES_MARK, 1)[0]).removeprefix("⚠️ ")
