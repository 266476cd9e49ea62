"""Prompt templates, kept as files in prompts/ so that they can be read and changed without touching code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PROMPT_NAMES = ("answer_system", "answer_user", "condense", "search_query", "vanilla_rag", "judge_statements",
                "judge_verdict")

LANGUAGE_RULES = {
    "zh": "问题是中文，用简体中文回答。",
    "en": ("The question is in English: answer in complete English sentences. Copy every figure with its unit "
           "and qualifier exactly as the source writes it (a source saying 超过30% means \"more than 30%\"; "
           "keep units such as 亿元 as written)."),
}


@lru_cache(maxsize=32)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


def load_prompt(prompts_dir: Path, name: str) -> str:
    if name not in PROMPT_NAMES:
        raise ValueError(f"unknown prompt {name!r}")
    path = prompts_dir / f"{name}.md"
    if not path.exists():
        raise FileNotFoundError(f"prompt file missing: {path}")
    return _read(path)
