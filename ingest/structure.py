"""Headings and section paths of a cleaned document.

Chinese reports number their headings in several styles (第一章, 一、, （一）, 1.1, Markdown #) and mix them
freely, so levels are not fixed per style: a style met for the first time nests under the current heading,
and meeting a style already on the path closes everything below it. This is how word processors infer
outline levels from numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMERAL = "一二三四五六七八九十百零〇"
_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("markdown", re.compile(r"^(#{1,6})\s+(\S.*)$")),
    ("chapter", re.compile(rf"^第[{_NUMERAL}\d]{{1,4}}[章篇部分编](?:\s*|[:：、]\s*)\S.*$")),
    ("section", re.compile(rf"^第[{_NUMERAL}\d]{{1,4}}节(?:\s*|[:：、]\s*)\S.*$")),
    ("cn-enum", re.compile(rf"^[{_NUMERAL}]{{1,3}}、\s*\S.*$")),
    ("cn-paren", re.compile(rf"^[（(][{_NUMERAL}]{{1,3}}[）)]\s*\S.*$")),
    ("dotted", re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3})(?:\s+|(?=[^\d.%\s]))\S.*$")),
)
_TITLE_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NOT_A_HEADING_END = re.compile(r"[。；;，,、]$")
# "一、申报时间。2033年8月1日起…": a run-in heading, the rest of its line is the paragraph's body
_RUN_IN = re.compile(r"[。！？!?]\s*\S")
MAX_HEADING_LENGTH = 50


def heading_style(line: str) -> str | None:
    """The numbering style of a heading line, or None for body text."""
    line = line.strip()
    if not line or len(line) > MAX_HEADING_LENGTH or _NOT_A_HEADING_END.search(line) or _RUN_IN.search(line):
        return None
    for name, pattern in _STYLES:
        match = pattern.match(line)
        if not match:
            continue
        if name == "markdown":
            return f"markdown{len(match.group(1))}"
        if name == "dotted":
            remainder = line[len(match.group(1)):]
            if not _TITLE_CHARS.search(remainder[:3] or " ") or re.match(r"^\s*[亿万元倍个%]", remainder):
                return None
            return f"dotted{match.group(1).count('.')}"
        return name if _TITLE_CHARS.search(line) else None
    return None


def is_heading(line: str) -> bool:
    return heading_style(line) is not None


def heading_text(line: str) -> str:
    return re.sub(r"^#{1,6}\s+", "", line.strip())


@dataclass(frozen=True)
class Block:
    """One line of the cleaned text with its position and the section it belongs to."""

    start: int
    end: int
    text: str
    section: tuple[str, ...]
    is_heading: bool


def split_blocks(text: str) -> list[Block]:
    """Every non-empty line as a Block, headings included, with the heading path in force at that line."""
    blocks: list[Block] = []
    path: list[tuple[str, str]] = []
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        style = heading_style(line)
        if style is not None:
            styles = [s for s, _ in path]
            if style in styles:
                del path[styles.index(style):]
            path.append((style, heading_text(line)))
        blocks.append(Block(start, start + len(line), line, tuple(title for _, title in path), style is not None))
    return blocks


def guess_title(text: str, fallback: str) -> str:
    """The document's first Markdown heading, else its first substantial line (joined with the next when
    extraction broke it after a dash, as in "2024-" / "2030年…规划")."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    for line in lines[:20]:
        if re.match(r"^#\s+\S", line):
            return heading_text(line)
    for i, line in enumerate(lines[:20]):
        if re.search(r"[-–—~～]$", line) and i + 1 < len(lines):
            return line + lines[i + 1]
        if len(_TITLE_CHARS.findall(line)) >= 6:
            return line[:80]
    return fallback
