"""A run being driven (or watched) in this process, and the updates its page subscribes to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from .engine import RunUpdate
from .record import RunRecord


@dataclass
class TrackedRun:
    """One run being driven, and the latest thing known about it."""

    record: RunRecord
    latest: RunUpdate
    _version: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)
    driver: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.latest.finished

    async def publish(self, update: RunUpdate) -> None:
        async with self._changed:
            self.latest = update
            self._version += 1
            self._changed.notify_all()

    async def updates(self) -> AsyncIterator[RunUpdate]:
        """The latest update now, then each new one, until the run ends."""
        seen = -1
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda last=seen: self._version != last)
                seen, update = self._version, self.latest
            yield update
            if update.finished:
                return
