"""Who points at a resource, asked by the package that owns it, answered by the packages above.

Deleting a calendar, a trunk, a voice clone or a routing target is refused while something
still points at it. What points at it lives in packages above its owner (a number names its
calendar and trunk, an agent its voice), so the owner cannot look itself: each referring
package registers a finder for the kinds it points at, at start-up (``orbit_voice.wiring``),
and the owner asks ``references.users_of``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

# (session, org_id, target_id) -> the ids (or names) of what points at the target
Finder = Callable[[AsyncSession, str, str], Awaitable[list[str]]]


class References:
    def __init__(self) -> None:
        self._finders: dict[str, list[tuple[str, Finder]]] = {}

    def register(self, kind: str, label: str, finder: Finder) -> None:
        """``finder`` lists, under ``label`` (e.g. ``number_ids``), what points at a ``kind``."""
        found = self._finders.setdefault(kind, [])
        if any(existing == label for existing, _ in found):
            raise ValueError(f"{label} already finds references to {kind}")
        found.append((label, finder))

    async def users_of(
        self, session: AsyncSession, kind: str, org_id: str, target_id: str
    ) -> dict[str, list[str]]:
        """What points at ``target_id``, by label; only labels with something in them."""
        users: dict[str, list[str]] = {}
        for label, finder in self._finders.get(kind, []):
            found = await finder(session, org_id, target_id)
            if found:
                users[label] = found
        return users


references = References()
