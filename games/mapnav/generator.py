"""The seeded instance generator: a house, a start and a target room per instance, per difficulty level.

Held-out splits: every house *layout* (room cells and doors, without room types) belongs to one split by a
hash of the layout (``split_of``); the generator redraws until the layout falls into the requested split, so a
test layout never appears in training instances, whatever room types it gets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ..seeding import cycle_pick, split_of
from .maps import OFFSETS, House, Room, room_types

__all__ = ["LEVELS", "Level", "ambiguity_points", "make_house_params"]

#: Redraws before giving up. A draw fails when its layout is in another split (85% of draws for test) or the
#: level's ambiguity quota cannot be met; a few hundred draws take a few milliseconds.
_MAX_DRAWS = 2000


@dataclass(frozen=True)
class Level:
    """One experiment: grid size, house size, how often types repeat and how the teacher words its steps."""

    width: int
    height: int
    min_rooms: int
    max_rooms: int
    distinct_share: float  # distinct room types / rooms (1.0: every room has its own type)
    extra_door_p: float  # chance of a door between grid-adjacent rooms beyond the spanning tree (loops)
    min_distance: int  # shortest route from start to target, in doors
    ambiguity_points: int  # route steps whose next room shares its type with another door of the same room
    p_ambiguous: float  # teacher instructor: chance to say only "Go to the <type>." where that is ambiguous
    p_room_only: float  # teacher instructor: chance to name only the room where that is unambiguous


LEVELS: dict[str, Level] = {
    "small": Level(3, 3, 4, 6, 1.0, 0.25, 2, 0, 0.0, 0.3),
    "medium": Level(4, 4, 7, 9, 0.75, 0.3, 3, 1, 0.5, 0.3),
    "large": Level(5, 5, 10, 13, 0.55, 0.3, 4, 2, 0.75, 0.3),
}


def _neighbour(cell: tuple[int, int], direction: str) -> tuple[int, int]:
    dx, dy = OFFSETS[direction]
    return cell[0] + dx, cell[1] + dy


def _layout(rng: random.Random, level: Level, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """``n`` connected cells grown from a random cell, doors along the growth tree plus random extra doors.

    Returns cells in reading order (row by row) shifted to start at (0, 0), and doors as (x1, y1, x2, y2)."""
    start = (rng.randrange(level.width), rng.randrange(level.height))
    cells = {start}
    doors: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    while len(cells) < n:
        frontier = sorted({(c, nb) for c in cells for d in OFFSETS for nb in [_neighbour(c, d)]
                           if nb not in cells and 0 <= nb[0] < level.width and 0 <= nb[1] < level.height})
        c, nb = rng.choice(frontier)
        cells.add(nb)
        doors.add((min(c, nb), max(c, nb)))
    for a in sorted(cells):
        for d in ("east", "south"):
            b = _neighbour(a, d)
            if b in cells and (a, b) not in doors and rng.random() < level.extra_door_p:
                doors.add((a, b))
    x0, y0 = min(x for x, _ in cells), min(y for _, y in cells)
    ordered = sorted(((x - x0, y - y0) for x, y in cells), key=lambda c: (c[1], c[0]))
    return ordered, sorted((a[0] - x0, a[1] - y0, b[0] - x0, b[1] - y0) for a, b in doors)


def ambiguity_points(house: House, start: str, target: str) -> int:
    """Steps of the canonical route where naming only the next room's type would be ambiguous: another door
    of the same room leads to a room of that type too."""
    count, here = 0, start
    for d in house.route(start, target):
        nxt = house.exits[here][d]
        count += len(house.view(here).leading_to(house.rooms[nxt].type)) >= 2
        here = nxt
    return count


def _types(rng: random.Random, level: Level, n: int) -> list[str]:
    distinct = max(2, min(n, math.ceil(n * level.distinct_share)))
    chosen = rng.sample(room_types(), distinct)
    types = chosen + [rng.choice(chosen) for _ in range(n - distinct)]
    rng.shuffle(types)
    return types


def _force_ambiguity(rng: random.Random, house: House, start: str, target: str, need: int) -> House:
    """Give an off-route neighbour the type of the next route room at up to ``need`` route steps."""
    if need <= 0:
        return house
    route_rooms = [start]
    for d in house.route(start, target):
        route_rooms.append(house.exits[route_rooms[-1]][d])
    on_route = set(route_rooms)
    steps = list(range(len(route_rooms) - 1))
    rng.shuffle(steps)
    types = {rid: r.type for rid, r in house.rooms.items()}
    for i in steps[:need]:
        here, nxt = route_rooms[i], route_rooms[i + 1]
        others = [b for b in house.exits[here].values() if b != nxt and b not in on_route]
        if others:
            types[rng.choice(others)] = types[nxt]
    rooms = [Room(r.id, r.x, r.y, types[r.id]) for r in house.rooms.values()]
    return House(rooms, [(a, b) for a, b in house.doors_params()])


def make_house_params(rng: random.Random, *, level: Level, split: str, index: int, key: str) -> dict[str, Any]:
    """The map part of one instance's params, drawn with ``rng`` only (room count by ``cycle_pick``, so the
    sizes of a split's instances are spread evenly)."""
    n = cycle_pick(list(range(level.min_rooms, level.max_rooms + 1)), index, key=f"{key}/rooms")
    for _ in range(_MAX_DRAWS):
        cells, doors = _layout(rng, level, n)
        if split_of(f"mapnav-layout:{cells}:{doors}") != split:
            continue
        ids = {cell: chr(ord("A") + i) for i, cell in enumerate(cells)}
        types = _types(rng, level, n)
        house = House([Room(ids[c], c[0], c[1], t) for c, t in zip(cells, types)],
                      [(ids[(x1, y1)], ids[(x2, y2)]) for x1, y1, x2, y2 in doors])
        pairs = sorted((a, b) for a in house.rooms for b, d in house.distances(a).items()
                       if d >= level.min_distance)
        if not pairs:
            continue
        start, target = rng.choice(pairs)
        house = _force_ambiguity(rng, house, start, target, level.ambiguity_points)
        if ambiguity_points(house, start, target) < level.ambiguity_points:
            continue
        shortest = house.distances(target)[start]
        return {
            "rooms": house.rooms_params(), "doors": house.doors_params(), "start": start, "target": target,
            "shortest": shortest, "max_steps": 2 * shortest + 4, "max_instructions": 2 * shortest + 6,
            "p_ambiguous": level.p_ambiguous, "p_room_only": level.p_room_only,
        }
    raise RuntimeError(f"mapnav: no house for split {split!r} after {_MAX_DRAWS} draws")
