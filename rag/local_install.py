"""The local model's installation running in the background, so that a first `make run` serves answers (with
the extractive generator) while llama.cpp compiles for ten minutes, instead of after.

`rag prepare-local -- CMD...` starts CMD (the Makefile's install of the local extra) detached from the
terminal, logging to `data_dir/local-model.log`; `data_dir/local-model.state` says whether it is running,
done or failed. The server reads that state to tell the user what is happening and not to pick up a
half-installed runtime; when the install is done, `auto` switches to the local model by itself
(rag/auto_generator.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Literal

InstallState = Literal["none", "installing", "done", "failed"]
LOG_NAME, STATE_NAME = "local-model.log", "local-model.state"


def log_path(data_dir: Path) -> Path:
    return data_dir / LOG_NAME


def _write_state(data_dir: Path, state: InstallState, pid: int, code: int | None = None) -> None:
    path = data_dir / STATE_NAME
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"state": state, "pid": pid, "code": code}))
    partial.replace(path)  # readers never see half a file


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def install_state(data_dir: Path) -> InstallState:
    """An install whose process is gone without saying how it ended (killed, machine rebooted) failed."""
    try:
        recorded = json.loads((data_dir / STATE_NAME).read_text())
    except (OSError, ValueError):
        return "none"
    state = recorded.get("state", "none")
    if state == "installing" and not _alive(int(recorded.get("pid", 0))):
        return "failed"
    return state if state in ("installing", "done", "failed") else "none"


def start(data_dir: Path, command: list[str]) -> bool:
    """Run `command` in the background, in a session of its own (a Ctrl-C of `make run` leaves it running,
    and the next `make run` finds it done); False when an install is already running."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if install_state(data_dir) == "installing":
        return False
    with log_path(data_dir).open("ab") as log:
        worker = subprocess.Popen([sys.executable, "-m", "rag.local_install", str(data_dir), *command],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    _write_state(data_dir, "installing", worker.pid)  # long before the worker (a new Python) can end
    return True


def _work(data_dir: Path, command: list[str]) -> int:
    """The detached worker: runs the install and records how it ended."""
    code = subprocess.call(command, stdin=subprocess.DEVNULL)
    _write_state(data_dir, "done" if code == 0 else "failed", os.getpid(), code)
    return code


if __name__ == "__main__":
    sys.exit(_work(Path(sys.argv[1]), sys.argv[2:]))
