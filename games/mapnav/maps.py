"""Houses on a grid: the map model (rooms, doors, routes, what a follower sees) and the room-type vocabulary.

A house is a set of rooms on grid cells with doors between some grid-adjacent rooms. Directions are compass
directions: north is up (y - 1), east is right (x + 1). Everything here is pure and deterministic; ties between
equally short routes are broken by the fixed direction order north, east, south, west.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["DIRECTIONS", "OPPOSITE", "House", "Room", "View", "article", "room_types"]

#: The four compass directions, in the order used to break ties and to list exits.
DIRECTIONS: tuple[str, ...] = ("north", "east", "south", "west")
OFFSETS: dict[str, tuple[int, int]] = {"north": (0, -1), "east": (1, 0), "south": (0, 1), "west": (-1, 0)}
OPPOSITE: dict[str, str] = {"north": "south", "south": "north", "east": "west", "west": "east"}


@lru_cache(maxsize=1)
def room_types() -> tuple[str, ...]:
    """The room-type vocabulary (``rooms.json``): lowercase single words, checked on load."""
    data = json.loads(resources.files(__package__).joinpath("rooms.json").read_text(encoding="utf-8"))
    types = data.get("room_types") if isinstance(data, dict) else None
    if not isinstance(types, list) or not types:
        raise ValueError("rooms.json: expected a non-empty list under 'room_types'")
    for t in types:
        if not (isinstance(t, str) and t.isalpha() and t.islower()):
            raise ValueError(f"rooms.json: bad room type {t!r}")
    if len(set(types)) != len(types) or set(types) & set(DIRECTIONS):
        raise ValueError("rooms.json: room types must be unique and differ from direction words")
    return tuple(types)


def article(word: str) -> str:
    """``a kitchen``, ``an attic``."""
    return ("an " if word[:1] in "aeiou" else "a ") + word


@dataclass(frozen=True)
class Room:
    id: str
    x: int
    y: int
    type: str


@dataclass(frozen=True)
class View:
    """Everything the follower sees: the type of its room and, through each door, the type of the room
    beyond it. The follower's policy takes only this (and the instruction), never the map."""

    room_type: str
    doors: tuple[tuple[str, str], ...]  # (direction, type of the room behind that door), in DIRECTIONS order

    @property
    def exits(self) -> tuple[str, ...]:
        return tuple(d for d, _ in self.doors)

    def behind(self, direction: str) -> str | None:
        return dict(self.doors).get(direction)

    def leading_to(self, room_type: str) -> tuple[str, ...]:
        """The directions whose door leads to a room of ``room_type``."""
        return tuple(d for d, t in self.doors if t == room_type)


class House:
    """Rooms and doors. Built from instance params (:meth:`from_params`) or by the generator."""

    def __init__(self, rooms: Iterable[Room], doors: Iterable[tuple[str, str]]) -> None:
        self.rooms: dict[str, Room] = {r.id: r for r in rooms}
        at = {(r.x, r.y): r.id for r in self.rooms.values()}
        self.exits: dict[str, dict[str, str]] = {rid: {} for rid in self.rooms}
        for a, b in doors:
            ra, rb = self.rooms[a], self.rooms[b]
            direction = next((d for d, (dx, dy) in OFFSETS.items() if (ra.x + dx, ra.y + dy) == (rb.x, rb.y)), None)
            if direction is None:
                raise ValueError(f"door {a}-{b} joins rooms that are not grid neighbours")
            self.exits[a][direction] = b
            self.exits[b][OPPOSITE[direction]] = a
        # Keep every exit list in the fixed direction order, so views and routes never depend on input order.
        self.exits = {rid: {d: ex[d] for d in DIRECTIONS if d in ex} for rid, ex in self.exits.items()}
        self._at = at
        self._dist: dict[str, dict[str, int]] = {}

    # ------------------------------------------------------------ params
    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> House:
        rooms = [Room(str(r["id"]), int(r["x"]), int(r["y"]), str(r["type"])) for r in params["rooms"]]
        return cls(rooms, [(str(a), str(b)) for a, b in params["doors"]])

    def rooms_params(self) -> list[dict[str, Any]]:
        return [{"id": r.id, "x": r.x, "y": r.y, "type": r.type} for r in self.rooms.values()]

    def doors_params(self) -> list[list[str]]:
        return sorted([a, b] for a, ex in self.exits.items() for d, b in ex.items() if d in ("east", "south"))

    # ------------------------------------------------------------ routes
    def distances(self, target: str) -> dict[str, int]:
        """Doors to pass from every room to ``target`` (breadth-first; cached per target)."""
        if target not in self._dist:
            dist = {target: 0}
            queue = deque([target])
            while queue:
                here = queue.popleft()
                for there in self.exits[here].values():
                    if there not in dist:
                        dist[there] = dist[here] + 1
                        queue.append(there)
            self._dist[target] = dist
        return self._dist[target]

    def next_direction(self, here: str, target: str) -> str | None:
        """The first move of a shortest route (ties: north, east, south, west); ``None`` at the target."""
        dist = self.distances(target)
        if here == target or here not in dist:
            return None
        return next(d for d, there in self.exits[here].items() if dist.get(there) == dist[here] - 1)

    def route(self, start: str, target: str) -> list[str]:
        """The directions of the canonical shortest route (the one :meth:`next_direction` walks)."""
        out: list[str] = []
        here = start
        while (d := self.next_direction(here, target)) is not None:
            out.append(d)
            here = self.exits[here][d]
        return out

    # ------------------------------------------------------------ seeing
    def view(self, here: str) -> View:
        return View(self.rooms[here].type, tuple((d, self.rooms[b].type) for d, b in self.exits[here].items()))

    def drawing(self) -> str:
        """The plan as text: room letters on the grid, ``-`` and ``|`` for doors, ``.`` for no room."""
        width = max(r.x for r in self.rooms.values()) + 1
        height = max(r.y for r in self.rooms.values()) + 1
        lines = []
        for y in range(height):
            row, below = "", ""
            for x in range(width):
                rid = self._at.get((x, y))
                row += rid if rid else "."
                row += "-" if rid and "east" in self.exits[rid] else " "
                below += ("|" if rid and "south" in self.exits[rid] else " ") + " "
            lines.append(row.rstrip())
            if y < height - 1:
                lines.append(below.rstrip())
        return "\n".join(lines)
