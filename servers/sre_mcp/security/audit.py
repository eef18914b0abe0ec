"""The audit log: one JSON line per tool call, success or failure, flushed at once.

Each line is written and flushed before the result goes back, so a crash of the
server after a call never loses that call's line.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class AuditLog:
    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._fh = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8", buffering=1)
            try:
                os.chmod(self.path, 0o600)  # arguments can name customers' transactions
            except OSError:
                pass

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(
            {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **record},
            default=str,
            # ASCII escapes: U+2028 or NEL in an argument must not split a line for readers.
            ensure_ascii=True,
        )
        with self._lock:
            if self._fh is not None:
                self._fh.write(line + "\n")
                self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
