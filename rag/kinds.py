"""Kinds of quantity and of dated event, by the words that name them: one vocabulary for reading a figure's
frame in an answer, in a passage and in a question (rag/evidence.py, rag/responsive.py, rag/extractive.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Kinds of quantity, each with the words that name it. The first group whose word stands nearest the figure
# decides. Ordered from specific to general within a clause is not needed: nearest wins.
QUANTITY_KINDS: dict[str, tuple[str, ...]] = {
    "valuation": ("估值", "市值", "valuation", "valued"),
    "financing": ("融资", "募资", "募集", "融得", "投资额", "financing", "raised", "funding"),
    "revenue": ("营收", "营业收入", "收入", "销售额", "营业额", "revenue", "sales"),
    "profit": ("净利润", "利润", "净利", "profit"),
    "growth": ("增长率", "增速", "增幅", "同比增长", "同比", "复合增长率", "年均增长", "增长", "下降", "降低", "改善",
               "growth", "grew", "cagr"),
    "share": ("占比", "份额", "比例", "比重", "渗透率", "占", "share", "proportion", "penetration"),
    "size": ("市场规模", "产业规模", "规模", "体量", "总额", "market size", "scale"),
    "output": ("产值", "生产总值", "gdp", "output value"),
    "box_office": ("票房", "box office"),
    "visits": ("人次", "客流", "游客", "trips", "visitors"),
    "volume": ("销量", "销售量", "出货量", "产量", "units sold", "shipments"),
    "users": ("用户数", "用户规模", "月活", "日活", "活跃用户", "users"),
    "population": ("常住人口", "户籍人口", "人口", "population"),
    "loss": ("经济损失", "损失", "亏损", "loss"),
    "cost": ("成本", "费用", "支出", "花费", "研发投入", "资金投入", "cost", "spending"),
    "price": ("价格", "售价", "单价", "票价", "price"),
}
# What happened on a date: a rule published in July and in force from August has two dates.
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "released": ("发布", "印发", "出台", "公布", "推出", "发表", "released", "published", "issued"),
    "in_force": ("施行", "实施", "生效", "took effect", "in force", "effective"),
    "production": ("量产", "投产", "批量生产", "mass production", "mass-produced"),
    "founded": ("成立", "创立", "创办", "founded", "established"),
    "opened": ("开通", "通车", "开业", "开馆", "投运", "投入运营", "opened"),
    "on_sale": ("上映", "开售", "发售", "on sale"),
    "held": ("举办", "举行", "召开", "开幕", "开跑", "鸣枪", "took place"),
    "built": ("开工", "动工", "竣工", "建成", "completed"),
}
KIND_WORD = re.compile("|".join(sorted((re.escape(w) for ws in QUANTITY_KINDS.values() for w in ws),
                                        key=len, reverse=True)), re.IGNORECASE)
KIND_OF_WORD = {w: kind for kind, words in QUANTITY_KINDS.items() for w in words}


# "营收规模" and "营收" name one quantity, as do "产业规模" and "产值"; an industry's output is not a
# city's tourism revenue.
_INTERCHANGEABLE_KINDS = (frozenset({"revenue", "size"}), frozenset({"output", "size"}))


def kinds_conflict(a: str | None, b: str | None) -> bool:
    return bool(a and b and a != b and frozenset({a, b}) not in _INTERCHANGEABLE_KINDS)


def kinds_named(text: str) -> frozenset[str]:
    """The kinds of quantity a question names ("营收" -> revenue, "渗透率" -> share). In "B轮后估值多少" the
    round dates the valuation: its amount is not one, so a question naming a valuation does not ask for it."""
    kinds = frozenset(KIND_OF_WORD[m.group(0).lower()] for m in KIND_WORD.finditer(text))
    return kinds - {"financing"} if "valuation" in kinds else kinds


RATES = frozenset({"growth", "share"})


def growth_base(text: str, sentence_start: int, start: int) -> str | None:
    """What a growth rate at text[start:] is the growth of: the nearest quantity word before it in its
    sentence that is not itself a rate ("营业收入820亿元，同比增长31.5%" is revenue's growth, not GDP's)."""
    bases = [KIND_OF_WORD[m.group(0).lower()] for m in KIND_WORD.finditer(text, sentence_start, start)]
    return next((kind for kind in reversed(bases) if kind not in RATES), None)


def growth_of_another(base: str | None, asked: Iterable[str]) -> bool:
    """A growth rate of `base` is not the growth of any of `asked` (revenue's growth is not GDP's)."""
    asked = set(asked)
    return bool(base and asked and all(kinds_conflict(kind, base) for kind in asked))


# Kinds counted in money. A question about one is not answered by a figure written in a physical unit or as a
# count: a loss is not "318毫米" of rain, a price not "12家" shops. A percentage may be (a cost falls by 12%);
# whether it is the asked one is for the kind words to say.
MONEY_KINDS = frozenset({"valuation", "financing", "revenue", "profit", "output", "box_office", "loss", "cost",
                         "price"})
_NOT_MONEY_UNIT = re.compile(r"\s*(?:毫米|厘米|公里|千米|米|吨|千克|公斤|千瓦时|千瓦|兆瓦|GW|MW|"
                             r"小时|分钟|秒|天|℃|摄氏度|人次|人|名|位|家|款|项|台|辆|件|座|所|种|条|颗|个(?![亿万])|部|架|艘|套|户|岁|纳米|瓦|TOPS|"
                             r"标准箱|标箱|册|张|床|平方米|立方米)")


def unit_of_another_kind(kinds: Iterable[str], text: str, end: int) -> bool:
    """The figure ending at text[end] is written in a unit that is not money while every asked kind is."""
    kinds = set(kinds)
    return bool(kinds) and kinds <= MONEY_KINDS and _NOT_MONEY_UNIT.match(text, end) is not None


# A named rate is a quantity of its own: a return rate is not a defect rate, whatever both did ("下降10%").
# Read as the two characters before 率; words where 率 is not a metric's name are left out.
_NAMED_RATE = re.compile(r"[\u4e00-\u9fff]{2}率")
_NOT_NAMED_RATES = ("效率", "频率", "概率", "比率", "长率")


def named_rates(text: str) -> frozenset[str]:
    return frozenset(m.group(0) for m in _NAMED_RATE.finditer(text) if not m.group(0).endswith(_NOT_NAMED_RATES))


@dataclass(frozen=True)
class AskedQuantity:
    """What kind of quantity a question asks for: its kind words and its named rates."""

    kinds: frozenset[str]
    rates: frozenset[str]

    @classmethod
    def of(cls, question: str) -> AskedQuantity:
        return cls(kinds_named(question), named_rates(question))

    def other_rate(self, clause: str) -> bool:
        """The clause names a rate, and none of the rates asked about."""
        own = named_rates(clause)
        return bool(self.rates and own and not self.rates & own)


_UP_OR_DOWN = re.compile(r"(上升|增长|增加|提高|提升|上涨|增幅|涨幅)|(下降|减少|降低|下跌|回落|降幅|减幅)")


def direction_of(text: str, start: int) -> str | None:
    """Which way the change right before a figure goes, within its clause: "同比下降3.1%" is a fall."""
    near = re.split(r"[，,；;：:。！？!?\n]", text[max(0, start - 8):start])[-1]  # its clause's last 8 characters
    words = list(_UP_OR_DOWN.finditer(near))
    return None if not words else "up" if words[-1].group(1) else "down"
