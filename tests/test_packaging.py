"""The built wheel is a working product: an installed copy (not the checkout) finds every prompt, and
the question sets and corpus that `rag eval` and the README name."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import BIN, REPO

from rag.prompts import PROMPT_NAMES

SOURCES = ("pyproject.toml", "README.md", "rag", "ingest", "evals", "ui", "prompts")


def test_the_wheel_ships_every_prompt_and_an_installed_copy_loads_them(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:  # a copy, so that building leaves no build/ or egg-info in the checkout
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name)
    subprocess.run([str(BIN / "uv"), "build", "--wheel", "--quiet", "-o", str(tmp_path / "dist"), str(source)],
                   check=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("rag_reports-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {f"prompts/{name}.md" for name in PROMPT_NAMES} <= shipped
    benchmarks = [*(REPO / "evals" / "questions").glob("*.jsonl"), *(REPO / "evals" / "corpora").glob("*/*.txt")]
    assert len(benchmarks) > 20 and {path.relative_to(REPO).as_posix() for path in benchmarks} <= shipped

    # The unpacked wheel stands in for site-packages; run outside the checkout so that only it can answer.
    shutil.rmtree(source)
    script = ("import rag; from rag.prompts import PROMPT_NAMES, load_prompt; from rag.settings import Settings; "
              "d = Settings(_env_file=None).prompts_dir; print(rag.__file__); print(d); "
              "print(all(load_prompt(d, n) for n in PROMPT_NAMES)); from pathlib import Path; "
              "from evals.benchmark import shipped; print(shipped(Path('evals/questions/news-test.jsonl')))")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "site")}, timeout=120)
    assert result.returncode == 0, result.stderr
    module, prompts_dir, loaded, questions = result.stdout.split("\n")[:4]
    assert module.startswith(str(tmp_path / "site")) and prompts_dir == str(tmp_path / "site" / "prompts")
    assert loaded == "True"
    assert questions == str(tmp_path / "site" / "evals" / "questions" / "news-test.jsonl")  # the README's name
