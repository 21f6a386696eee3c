"""Files on disk addressed by their SHA-256 (``ab/abcdef…``): written atomically, each content once."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_HASH = re.compile(r"[0-9a-f]{64}")


class FileStore:
    """One folder of content-addressed files; ``put`` returns whether it wrote a new file.

    A file appears whole or not at all: it is written to a temporary file in the same folder,
    flushed, and renamed over its name (``os.replace`` is atomic on one file system).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _HASH.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, sha256: str, content: bytes) -> bool:
        """Store ``content`` under ``sha256`` unless it is there already; True when a file was written."""
        target = self.path(sha256)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)
