"""The product's own words for "the documents don't say", in one place: the plain refusal, the refusal of a
false premise (with what the documents give instead), and recognising a refusal in a model's output."""

from __future__ import annotations

import re

REFUSALS = {"zh": "报告中没有找到相关信息。", "en": "The reports do not contain this information."}
_FALSE_PREMISE = {
    "zh": "报告未给出{years}年的相关数据；报告给出的是：{fact}",
    "en": "The reports do not give this for {years}; what they give is: {fact}",
}
_REFUSAL = re.compile(
    r"(资料|报告|文档|材料|来源)[中里内]?(并)?(没有|未|无|不包含|未能|没)(提供|提及|提到|找到|包含|涉及|给出|相关|记载|说明|明确)"
    r"|没有(找到)?相关(的)?(信息|内容|数据)|无法(根据|从)?(资料|报告)?(回答|确定|得知)|未提及"
    r"|(reports?|sources?|documents?|context)\s+(do(es)?\s+not|don't|doesn't)\s+(contain|mention|say|provide|include)"
    r"|no (relevant )?information|not (mentioned|provided|stated|covered)|cannot (be )?(answer|determine)",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


def false_premise(language: str, years: list[str], fact: str) -> str:
    """"报告未给出2032年的相关数据；报告给出的是：2033年…41%[1]" — never the neighbouring figure as the answer."""
    joined = "、".join(years) if language == "zh" else " and ".join(years)
    return _FALSE_PREMISE[language].format(years=joined, fact=fact)
