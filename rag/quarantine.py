"""Uploaded files that could not be read on a re-index, kept aside with the reason and listed.

A file in uploads/ that fails (written by an older version, damaged on disk, or refused by a check added
since) would otherwise fail again on every re-index, and no API call could remove it: it is not a
document (issue 9). It is moved to data/quarantine/, out of every ingest, and listed with its reason by
`GET /v1/documents` until it is deleted by name or a readable upload of that name replaces it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from pydantic import BaseModel

_LOCK = threading.Lock()


class FailedFile(BaseModel):
    source: str
    reason: str
    quarantined_at: float


class Quarantine:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "quarantine"
        self._reasons = self.folder / "reasons.json"

    def _read(self) -> dict[str, FailedFile]:
        try:
            raw = json.loads(self._reasons.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {name: FailedFile.model_validate(entry) for name, entry in raw.items()}

    def _write(self, entries: dict[str, FailedFile]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self._reasons.with_suffix(".partial")
        partial.write_text(json.dumps({name: entry.model_dump() for name, entry in entries.items()},
                                      ensure_ascii=False, indent=1), encoding="utf-8")
        partial.replace(self._reasons)

    def hold(self, path: Path, reason: str) -> FailedFile:
        """Move `path` here (replacing an earlier failure of its name) and record why."""
        with _LOCK:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.replace(self.folder / path.name)
            entries = self._read()
            entries[path.name] = FailedFile(source=path.name, reason=reason, quarantined_at=time.time())
            self._write(entries)
            return entries[path.name]

    def entries(self) -> list[FailedFile]:
        with _LOCK:
            return sorted(self._read().values(), key=lambda entry: entry.source)

    def release(self, name: str) -> bool:
        """Forget a failed file (deleted, or replaced by a readable upload); False if none was held."""
        with _LOCK:
            entries = self._read()
            held = entries.pop(name, None)
            (self.folder / name).unlink(missing_ok=True)
            if held is not None:
                self._write(entries)
            return held is not None
