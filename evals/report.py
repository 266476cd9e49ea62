"""Run reports: `report.md` for reading in a terminal or a pull request, and a self-contained `report.html`
with plots (accuracy and faithfulness by question type, latency) and the per-question table, failures
first."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from evals.run import QuestionResult

HEADLINE = ("answer_accuracy", "rejection_accuracy", "false_refusal_rate", "citation_recall", "citation_precision",
            "faithfulness_strict", "faithfulness_lenient", "faithfulness_llm_strict",
            "answers_with_unsupported_figures", "retrieval_recall_at_5", "retrieval_mrr", "first_token_p50",
            "total_p50", "total_p95")


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def headline_table(metrics: dict[str, dict[str, Any]]) -> str:
    names = list(metrics)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [f"| {m} | " + " | ".join(_fmt(metrics[n].get(m)) for n in names) + " |" for m in HEADLINE]
    return "\n".join(lines)


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _plots(metrics: dict[str, dict[str, Any]], results: dict[str, list[QuestionResult]]) -> list[tuple[str, str]]:
    types = sorted({t for m in metrics.values() for t in m["by_type"]})
    plots = []
    for key, title in (("ok", "Correct (answered right or refused right) by question type"),
                       ("faithfulness_strict", "Faithfulness (strict, offline judge) by question type")):
        figure, axis = plt.subplots(figsize=(8, 3.2))
        width = 0.8 / max(1, len(metrics))
        for i, (name, m) in enumerate(metrics.items()):
            values = [m["by_type"].get(t, {}).get(key) or 0 for t in types]
            axis.bar([x + i * width for x in range(len(types))], values, width, label=name)
        axis.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(types))], types, fontsize=8)
        axis.set_ylim(0, 1.05)
        axis.set_title(title, fontsize=10)
        axis.legend(fontsize=8)
        plots.append((title, _png(figure)))
    figure, axis = plt.subplots(figsize=(8, 3.2))
    for name, rows in results.items():
        axis.hist([r.answer.timings.total for r in rows], bins=20, alpha=0.6, label=name)
    axis.set_xlabel("seconds per answer")
    axis.set_title("Latency (total) distribution", fontsize=10)
    axis.legend(fontsize=8)
    plots.append(("Latency", _png(figure)))
    return plots


def _row(result: QuestionResult) -> str:
    quotes = "<br>".join(f"[{c.n}] {html.escape(c.source)}: “{html.escape(c.quote[:160])}”"
                         for c in result.answer.citations[:5])
    claims = "<br>".join(f"{html.escape(c.verdict)}: {html.escape(c.claim[:80])}" for c in result.faithfulness.claims)
    status = "ok" if result.ok else "FAIL"
    return (f"<tr class='{status.lower()}'><td>{status}</td><td>{html.escape(result.pipeline)}</td>"
            f"<td>{html.escape(result.id)}<br><small>{html.escape(result.type)}</small></td>"
            f"<td>{html.escape(result.question)}</td><td>{html.escape(result.answer.answer)}</td><td>{quotes}</td>"
            f"<td>correct={result.correct} refused={result.refused} citation_hit={result.citation_hit}<br>"
            f"unsupported={html.escape(', '.join(result.unsupported_figures))}<br>{claims}</td>"
            f"<td>{result.answer.timings.total:.2f}s</td></tr>")


def write_report(out_dir: Path, metrics: dict[str, dict[str, Any]], results: dict[str, list[QuestionResult]],
                 title: str) -> None:
    table = headline_table(metrics)
    failures = [r for rows in results.values() for r in rows if not r.ok]
    md = [f"# {title}", "", table, "", f"## Failures ({len(failures)})", ""]
    md += [f"- **{r.pipeline} {r.id}** ({r.type}) {r.question} → {r.answer.answer[:120]!r}" for r in failures]
    (out_dir / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    rows = sorted((r for rs in results.values() for r in rs), key=lambda r: (r.ok, r.id, r.pipeline))
    plots = "".join(f"<h3>{html.escape(t)}</h3><img alt='{html.escape(t)}' src='data:image/png;base64,{data}'>"
                    for t, data in _plots(metrics, results))
    header_cells = "".join(f"<th>{html.escape(n)}</th>" for n in metrics)
    metric_rows = "".join(f"<tr><td>{m}</td>" + "".join(f"<td>{_fmt(metrics[n].get(m))}</td>" for n in metrics)
                          + "</tr>" for m in HEADLINE)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>
body {{ font-family: system-ui, sans-serif; margin: 24px; }} table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; }} tr.fail td:first-child {{ color: #b00; }}
img {{ max-width: 100%; }}</style></head><body><h1>{html.escape(title)}</h1>
<table><tr><th>metric</th>{header_cells}</tr>{metric_rows}</table>{plots}
<h2>Questions (failures first)</h2><table><tr><th></th><th>pipeline</th><th>id</th><th>question</th><th>answer</th>
<th>cited quotes</th><th>verdicts</th><th>time</th></tr>{''.join(_row(r) for r in rows)}</table></body></html>"""
    (out_dir / "report.html").write_text(page, encoding="utf-8")
