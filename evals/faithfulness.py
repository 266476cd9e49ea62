"""Claim-level faithfulness: is each statement of an answer supported by the passages it cites?

Two judges. The offline judge splits the answer into claims (sentences and ；-separated clauses) and checks
each against its cited passages: every figure and name must be there, and for a Chinese claim enough of its
words too. An English claim over Chinese passages cannot be compared word by word, so without a figure or
name it is "unclear". The LLM judge (used when an LLM is configured) follows RAGAS: extract the statements,
then a supported/unsupported verdict per statement against the cited contexts; its prompts are in prompts/.
Both conventions are reported: strict (unclear counts as unsupported) and lenient (unclear counts as
supported).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from rag.claims import claim_of, language_of
from rag.keyword_index import tokenize
from rag.prompts import load_prompt
from rag.schema import Answer
from rag.sentences import sentences

Verdict = Literal["supported", "unsupported", "unclear"]
_MARKER = re.compile(r"\[(\d{1,3})\]")
LEXICAL_SUPPORT = 0.5


class ClaimVerdict(BaseModel):
    claim: str
    verdict: Verdict
    reason: str = ""


class Faithfulness(BaseModel):
    judge: str
    claims: list[ClaimVerdict]

    @property
    def supported(self) -> int:
        return sum(1 for c in self.claims if c.verdict == "supported")

    @property
    def unclear(self) -> int:
        return sum(1 for c in self.claims if c.verdict == "unclear")

    def strict(self) -> float | None:
        return self.supported / len(self.claims) if self.claims else None

    def lenient(self) -> float | None:
        return (self.supported + self.unclear) / len(self.claims) if self.claims else None


def split_claims(answer_text: str) -> list[tuple[str, list[int]]]:
    """(claim, cited source numbers): sentences, and clauses split at ；; markers apply to their sentence."""
    claims = []
    for sentence in sentences(answer_text):
        cited = [int(n) for n in _MARKER.findall(sentence)]
        for clause in re.split(r"[；;]", _MARKER.sub("", sentence)):
            clause = clause.strip().rstrip("。.！!？?；;，, ")
            if re.search(r"\w", clause) and len(clause) > 2:
                claims.append((clause, cited))
    return claims


def judge_offline(answer: Answer) -> Faithfulness:
    if not answer.grounded:
        return Faithfulness(judge="offline", claims=[])
    passages = {c.n: c.text for c in answer.citations}
    unmarked = not _MARKER.search(answer.answer)
    verdicts = []
    for claim, cited in split_claims(answer.answer):
        pool = list(passages.values()) if unmarked else [passages[n] for n in cited if n in passages]
        if not pool:
            verdicts.append(ClaimVerdict(claim=claim, verdict="unsupported", reason="cites nothing"))
            continue
        text = "\n".join(pool)
        checkable = claim_of(claim)
        missing = checkable.missing_in(text)
        if missing:
            verdicts.append(ClaimVerdict(claim=claim, verdict="unsupported", reason="not in the cited passages: "
                                         + "、".join(missing)))
            continue
        if language_of(claim) == "en":
            verdict: Verdict = "supported" if checkable.checkable else "unclear"
            verdicts.append(ClaimVerdict(claim=claim, verdict=verdict, reason="figures and names match"
                                         if checkable.checkable else "English wording, nothing to compare"))
            continue
        words = set(tokenize(claim))
        overlap = len(words & set(tokenize(text))) / len(words) if words else 0.0
        verdict = "supported" if overlap >= LEXICAL_SUPPORT else "unclear" if checkable.checkable else "unsupported"
        verdicts.append(ClaimVerdict(claim=claim, verdict=verdict, reason=f"word overlap {overlap:.2f}"))
    return Faithfulness(judge="offline", claims=verdicts)


def _json_block(text: str) -> object:
    match = re.search(r"\{.*\}|\[.*\]", text, re.DOTALL)
    return json.loads(match.group(0)) if match else None


def judge_with_llm(answer: Answer, chat_model: BaseChatModel, prompts_dir: Path) -> Faithfulness:
    """RAGAS-style: statements first, then one verdict per statement against the cited contexts. A reply
    that cannot be parsed makes the statement "unclear", never "supported"."""
    if not answer.grounded:
        return Faithfulness(judge="llm", claims=[])
    extract = ChatPromptTemplate.from_messages([("human", load_prompt(prompts_dir, "judge_statements"))])
    verdict_prompt = ChatPromptTemplate.from_messages([("human", load_prompt(prompts_dir, "judge_verdict"))])
    parse = StrOutputParser()
    raw = (extract | chat_model | parse).invoke({"question": answer.question, "answer": answer.answer})
    try:
        statements = [str(s) for s in (_json_block(raw) or [])][:12]
    except (json.JSONDecodeError, TypeError):
        statements = []
    statements = statements or [claim for claim, _ in split_claims(answer.answer)]
    contexts = "\n\n".join(f"[{c.n}] {c.text}" for c in answer.citations)
    verdicts = []
    for statement in statements:
        reply = (verdict_prompt | chat_model | parse).invoke({"context": contexts, "statement": statement})
        lowered = reply.strip().lower()
        verdict: Verdict = ("unsupported" if re.search(r"\bno\b|不支持|否|unsupported", lowered) else
                            "supported" if re.search(r"\byes\b|支持|是|supported", lowered) else "unclear")
        verdicts.append(ClaimVerdict(claim=statement, verdict=verdict, reason=reply.strip()[:120]))
    return Faithfulness(judge="llm", claims=verdicts)
