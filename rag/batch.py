"""`rag ask --batch`: answer a JSONL file of questions into a JSONL file of answers, resumably.

The product's own loop, so that it depends on nothing in evals/; the benchmark runs reuse `read_questions`
and `resume_jsonl` for their own records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel, Field

from rag.schema import Answer, ChatTurn

if TYPE_CHECKING:
    from rag.chain import AnswerChain


class BatchQuestion(BaseModel):
    """One line of a batch input; other fields (a benchmark's key facts, evidence...) are ignored."""

    id: str
    question: str
    history: list[ChatTurn] = Field(default_factory=list, description="Earlier turns of a conversation, for "
                                    "follow-up questions; sent as a chat client would.")


class AnswerRecord(BaseModel):
    """One line of a batch output: the question's id and the Answer."""

    id: str
    answer: Answer


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Question = TypeVar("Question", bound=BaseModel)
Item = TypeVar("Item", bound=_Identified)
Record = TypeVar("Record", bound=BaseModel)


def read_questions(path: Path, question_type: type[Question]) -> list[Question]:
    """Every non-blank line of `path` as a question; a malformed line is an error naming its line number."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                questions.append(question_type.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a benchmark question: {exc}") from exc
    if not questions:
        raise ValueError(f"{path} holds no questions")
    return questions


def resume_jsonl(path: Path, record_type: type[Record], questions: Sequence[Item], produce: Callable[[Item], Record],
                 progress: Callable[[int, int], None] | None = None) -> list[Record]:
    """One record per question in `path`, appended as each is produced: an interrupted run resumes where it
    stopped, and ids already there are not asked again. Records carry the question's `id`."""
    done: dict[str, Record] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = record_type.model_validate_json(line)
                done[record.id] = record  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for number, question in enumerate(questions, 1):
            if question.id not in done:
                done[question.id] = produce(question)
                handle.write(done[question.id].model_dump_json() + "\n")
                handle.flush()
            if progress:
                progress(number, len(questions))
    return [done[q.id] for q in questions]


def answer_batch(chain: AnswerChain, questions: list[BatchQuestion], out: Path,
                 progress: Callable[[int, int], None] | None = None) -> list[AnswerRecord]:
    """One Answer per question, resumable."""
    return resume_jsonl(out, AnswerRecord, questions,
                        lambda q: AnswerRecord(id=q.id, answer=chain.invoke(q.question, q.history)), progress)
