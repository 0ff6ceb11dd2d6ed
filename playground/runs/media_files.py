"""Where a run's saved files are: the local media folder, and with ``PLAYGROUND_MEDIA_URL`` a bucket too.

Files are written to the local folder first (a download, a poster, a joined storyboard) and copied to
the bucket once complete; the folder is then a cache. Any replica serves any file: one it lacks is
fetched from the bucket into its own folder before it is served. A file's name in the bucket is its
path under the media folder (``<owner folder>/...``), which every replica derives the same way,
whatever its own folder is called: the history records the writer's absolute path, and the part
from the owner folder on is what names the file everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..net import Bucket

log = logging.getLogger(__name__)
#: An owner folder's name (see :func:`.tracker.owner_folder`): 24 hex digits.
_OWNER_FOLDER = re.compile(r"[0-9a-f]{24}")
_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


class MediaFiles:
    def __init__(self, media_dir: Path, bucket: Bucket | None = None) -> None:
        self.media_dir, self.bucket = media_dir, bucket
        self._root = media_dir.resolve()
        # One fetch per file at a time: two viewers of a new link share one download.
        self._fetching: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"MediaFiles({self.media_dir!r}, bucket={'yes' if self.bucket else 'no'})"

    def key(self, stored: str | Path) -> str | None:
        """A stored path's name in the bucket: the part from the owner folder on; None outside one."""
        path = Path(stored)
        try:
            return PurePosixPath(*path.resolve().relative_to(self._root).parts).as_posix()
        except ValueError:
            pass
        parts = path.parts
        for index, part in enumerate(parts):
            if _OWNER_FOLDER.fullmatch(part) and index < len(parts) - 1:
                return PurePosixPath(*parts[index:]).as_posix()
        return None

    def local(self, stored: str | Path) -> Path | None:
        """Where a stored file is (or would be fetched to) on this replica; None when it is no media file."""
        key = self.key(stored)
        if key is None or ".." in PurePosixPath(key).parts:
            return None
        return self._root / key

    def listed(self, stored: str | Path | None) -> bool:
        """Whether a recorded file can be served: here already, or in the bucket."""
        if not stored:
            return False
        path = self.local(stored)
        return path is not None and (self.bucket is not None or path.is_file())

    async def keep(self, path: Path) -> None:
        """Copy a complete local file to the bucket (nothing to do without one)."""
        key = self.key(path)
        if self.bucket is None or key is None:
            return
        await self.bucket.put_file(key, path, _TYPES.get(path.suffix.lower(), "application/octet-stream"))

    async def fetch(self, stored: str | Path | None) -> Path | None:
        """The local path of a recorded file, fetched from the bucket when this replica lacks it; None if gone."""
        if not stored:
            return None
        path, key = self.local(stored), self.key(stored)
        if path is None or key is None:
            return None
        if path.is_file() or self.bucket is None:
            return path if path.is_file() else None
        async with self._fetching.setdefault(key, asyncio.Lock()):
            try:
                found = path.is_file() or await self.bucket.get_file(key, path)
            except Exception:  # a bucket that cannot answer is a file we cannot serve now
                log.warning("media %s could not be fetched from the bucket", key, exc_info=True)
                found = False
        # Whoever waited on this lock finds the file now; a later viewer needs no lock at all.
        self._fetching.pop(key, None)
        return path if found else None
