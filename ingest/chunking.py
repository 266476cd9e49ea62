"""Chinese-aware chunking of a cleaned document into token-bounded, stably identified passages.

Sentences end at 。！？；(and their ASCII forms, and a '.' that is not a decimal point); lines are
boundaries too, because in slides and flattened tables a line is a unit of meaning, and a table row or chart
series is one unit whatever its '；'. A chunk is a run of
whole sentences within the token budget; only a sentence longer than the whole budget is cut, first at
commas, then at spaces, and never inside a number or a Latin word. Consecutive chunks share whole trailing
sentences (the overlap) so that a fact stated across a boundary is still whole in one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.structure import Block
from rag.schema import ROW_MARK, SERIES_MARK, Chunk
from rag.sentences import split_sentences
from rag.tokens import TokenCounter

_CLAUSE_BREAK = re.compile(r"(?<=[，,、：:])")
_UNBREAKABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%‰~～\-+/:]*[A-Za-z0-9%‰]|[A-Za-z0-9]")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a block, except that a table row or chart series line stays whole: cut at the '；'
    between its cells, a chunk (or its overlap) could begin inside the row, its figures without the row's name."""
    spans: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        line_start = text.rfind("\n", 0, start) + 1
        if spans and spans[-1][0] >= line_start and text.startswith((ROW_MARK, SERIES_MARK), line_start):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    section: tuple[str, ...]
    starts_section: bool


@dataclass(frozen=True)
class ChunkingConfig:
    chunk_tokens: int
    overlap_tokens: int
    min_tokens: int

    def __post_init__(self) -> None:
        if self.chunk_tokens < 16:
            raise ValueError("chunk_tokens must be at least 16")
        if not 0 <= self.overlap_tokens < self.chunk_tokens:
            raise ValueError("overlap_tokens must be >= 0 and smaller than chunk_tokens")
        if not 0 <= self.min_tokens <= self.chunk_tokens:
            raise ValueError("min_tokens must be between 0 and chunk_tokens")


def _safe_cut_points(text: str) -> list[int]:
    """Offsets where a hard cut would not split a number or a Latin word."""
    inside = set()
    for match in _UNBREAKABLE.finditer(text):
        inside.update(range(match.start() + 1, match.end()))
    return [i for i in range(1, len(text)) if i not in inside]


class Chunker:
    def __init__(self, config: ChunkingConfig, counter: TokenCounter) -> None:
        self.config = config
        self.counter = counter

    def _pieces(self, text: str, start: int, end: int) -> list[tuple[int, int, int]]:
        """Split text[start:end] into pieces of at most chunk_tokens, preferring clause breaks, then spaces,
        then any point outside a number or word. A single unbreakable token longer than the budget stays
        whole."""
        tokens = self.counter.count(text[start:end])
        if tokens <= self.config.chunk_tokens:
            return [(start, end, tokens)]
        segment = text[start:end]
        for find_cuts in (
            lambda: [m.start() for m in _CLAUSE_BREAK.finditer(segment)],
            lambda: [m.end() for m in re.finditer(r"\s+", segment)],
            lambda: _safe_cut_points(segment),
        ):
            cuts = [start + c for c in find_cuts() if 0 < c < len(segment)]
            if cuts:
                return self._pack(text, start, end, cuts)
        return [(start, end, tokens)]

    def _pack(self, text: str, start: int, end: int, cuts: list[int]) -> list[tuple[int, int, int]]:
        """Greedily fill pieces up to the budget using the given cut points."""
        pieces: list[tuple[int, int, int]] = []
        piece_start = last_cut = start
        for bound in [*cuts, end]:
            if last_cut > piece_start and self.counter.count(text[piece_start:bound]) > self.config.chunk_tokens:
                pieces.extend(self._pieces(text, piece_start, last_cut))
                piece_start = last_cut
            last_cut = bound
        pieces.extend(self._pieces(text, piece_start, end))
        return pieces

    def _units(self, text: str, blocks: list[Block]) -> list[_Unit]:
        units: list[_Unit] = []
        new_section = True
        for block in blocks:
            if block.is_heading:
                new_section = True
                continue
            for s_start, s_end in _sentence_spans(block.text):
                for p_start, p_end, tokens in self._pieces(text, block.start + s_start, block.start + s_end):
                    units.append(_Unit(p_start, p_end, tokens, block.section, new_section))
                    new_section = False
        return units

    def split(self, text: str, blocks: list[Block], *, source: str, title: str, fingerprint: str) -> list[Chunk]:
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        current_tokens = 0
        for unit in self._units(text, blocks):
            section_break = unit.starts_section and current_tokens >= self.config.min_tokens
            if current and (section_break or current_tokens + unit.tokens > self.config.chunk_tokens):
                groups.append(current)
                carried: list[_Unit] = []
                if not section_break:
                    for previous in reversed(current):
                        if sum(u.tokens for u in carried) + previous.tokens > self.config.overlap_tokens:
                            break
                        carried.insert(0, previous)
                    if carried and sum(u.tokens for u in carried) + unit.tokens > self.config.chunk_tokens:
                        carried = []
                current = carried
                current_tokens = sum(u.tokens for u in current)
            current.append(unit)
            current_tokens += unit.tokens
        if current:
            groups.append(current)
        return [self._chunk(text, group, i, source, title, fingerprint) for i, group in enumerate(groups)]

    @staticmethod
    def _chunk(text: str, group: list[_Unit], ordinal: int, source: str, title: str, fingerprint: str) -> Chunk:
        start, end = group[0].start, group[-1].end
        section = [part for part in group[0].section if part != title]
        return Chunk(
            chunk_id=f"{fingerprint[:16]}-{ordinal:04d}",
            source=source,
            title=title,
            section=" > ".join(section),
            ordinal=ordinal,
            start=start,
            end=end,
            text=text[start:end],
        )
