"""The import graph, read from the source: imports run one way (shells -> answering and ingest -> storage ->
base), with no cycles, the index opened only by rag/storage.py, and no module over 300 lines. A new module
must be given a layer here; an upward import fails."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGES = ("rag", "ingest", "ui", "evals", "prompts")
# Lowest first. A module may import its own layer and any lower rank; answering and ingest share a rank but
# neither may import the other.
LAYERS: dict[str, tuple[int, set[str]]] = {
    "base": (0, {"rag", "prompts", "rag.settings", "rag.schema", "rag.sentences", "rag.tokens", "rag.prompts",
                 "rag.embeddings", "rag.local_model", "rag.llama_chat", "rag.generators", "rag.unavailable",
                 "rag.model_deadline", "rag.local_install", "rag.auto_generator"}),
    "storage": (1, {"rag.catalog", "rag.vector_store", "rag.keyword_index", "rag.storage"}),
    "answering": (2, {"rag.retrieval", "rag.chain", "rag.claims", "rag.context", "rag.evidence", "rag.extractive",
                      "rag.followups", "rag.names", "rag.passages", "rag.question", "rag.refusals", "rag.responsive",
                      "rag.verification", "rag.qualifiers", "rag.factory", "rag.citing", "rag.periods",
                      "rag.part_completion", "rag.years", "rag.kinds", "rag.romanized", "rag.rewriting", "rag.ranks",
                      "rag.binding", "rag.alternatives", "rag.localities"}),
    "ingest": (2, {"ingest"}),
    "shells": (3, {"rag.api", "rag.auth", "rag.cli", "rag.cli_common", "rag.service", "rag.conversations",
                   "rag.batch", "rag.body_limit", "rag.quarantine", "ui", "evals"}),
}
# The product CLI is where `rag eval` is registered: its one import of evals/.
REGISTRATION = {("rag.cli", "evals.commands")}
# Only storage opens the catalog and the vector store; others read through its handles.
OPENERS = {"Catalog", "VectorStore"}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).glob("*.py"):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path, known: set[str]) -> list[tuple[str, bool, list[str]]]:
    """(module imported, at run time?, names taken from it) for every import of our packages, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [alias.name for alias in node.names]
            submodules = [f"{node.module}.{name}" for name in names if f"{node.module}.{name}" in known]
            targets = [(m, []) for m in submodules] or [(node.module, names)]
        else:
            continue
        runtime = not _type_checking_only(node, parents)
        found += [(m, runtime, names) for m, names in targets if m.split(".")[0] in PACKAGES]
    return found


def layer_of(module: str) -> str:
    for name, (_, members) in LAYERS.items():
        if module in members or module.split(".")[0] in members - {"rag"}:
            return name
    raise AssertionError(f"{module} has no layer: add it to LAYERS in tests/test_layers.py")


def violations(edges: set[tuple[str, str]]) -> list[str]:
    """Every import that goes up, sideways between answering and ingest, or from rag/ into evals/."""
    found = []
    for importer, imported in sorted(edges):
        if (importer, imported) in REGISTRATION:
            continue
        a, b = layer_of(importer), layer_of(imported)
        if a != b and LAYERS[a][0] <= LAYERS[b][0]:
            found.append(f"{importer} ({a}) imports {imported} ({b})")
        elif importer.startswith("rag.") and imported.startswith("evals"):
            found.append(f"{importer} imports {imported}: the product never depends on its benchmarks")
    return found


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def graph(runtime_only: bool = False) -> set[tuple[str, str]]:
    known = modules()
    return {(module, imported) for module, path in known.items() for imported, runtime, _ in imports(path, set(known))
            if imported != module and (runtime or not runtime_only)}


def test_every_import_points_down() -> None:
    assert violations(graph()) == []


def test_no_import_cycles() -> None:
    assert cycles(graph(runtime_only=True)) == []


def test_the_rules_catch_what_they_forbid() -> None:
    assert violations({("rag.retrieval", "ingest.indexing")})  # the core reaching into ingest
    assert violations({("rag.storage", "rag.retrieval")})  # storage reaching up
    assert violations({("rag.chain", "rag.service")})  # the core reaching into a shell
    assert violations({("rag.cli", "evals.answer_eval")})  # the product borrowing a benchmark's loop
    assert not violations({("rag.cli", "evals.commands"), ("evals.run", "rag.chain"),
                           ("ingest.indexing", "rag.storage")})
    assert cycles({("a", "b"), ("b", "c"), ("c", "a")}) == [["a", "b", "c", "a"]]


def test_only_storage_opens_the_index() -> None:
    known = modules()
    openers = sorted(module for module, path in known.items() for imported, _, names in imports(path, set(known))
                     if OPENERS & set(names) and module != "rag.storage")
    assert openers == []


def test_no_module_over_300_lines() -> None:
    long = {module: n for module, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}
