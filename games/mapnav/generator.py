"""The seeded instance generator: a house, a start and a target room per instance, per difficulty level.

Held-out splits: every house *layout* (room cells and doors, without room types) belongs to one split by a
hash of the layout (``split_of``); the generator redraws until the layout falls into the requested split, so a
test layout never appears in training instances, whatever room types it gets.

Routes that take choosing: the start and the target are drawn among the pairs whose shortest route is long
enough and carries enough *choice* (``choice_bits``), so that a follower that ignores the instructions and
walks on through any door but the one it came by rarely stumbles on the target within its move budget.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ..seeding import cycle_pick, split_of
from .maps import OFFSETS, OPPOSITE, House, Room, room_types

__all__ = ["LEVELS", "SLACK", "Level", "ambiguity_points", "choice_bits", "make_house_params"]

#: Redraws before giving up. A draw fails when its layout is in another split (85% of draws for test), has no
#: route that is long enough and takes enough choosing, or cannot meet the level's ambiguity quota.
_MAX_DRAWS = 2000
#: Moves the follower may make beyond the shortest route: one wrong door and the way back. (On a grid every
#: walk from start to target has the parity of the shortest one, so one more would change nothing.)
SLACK = 2


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
    min_choice_bits: float  # how much choosing the route's doors takes (``choice_bits``)
    ambiguity_points: int  # route steps whose next room shares its type with another door of the same room
    p_ambiguous: float  # teacher instructor: chance to say only "Go to the <type>." where that is ambiguous
    p_room_only: float  # teacher instructor: chance to name only the room where that is unambiguous


LEVELS: dict[str, Level] = {
    "small": Level(4, 4, 11, 13, 1.0, 0.3, 4, 5.0, 0, 0.0, 0.9),
    "medium": Level(5, 5, 14, 17, 0.75, 0.3, 5, 6.0, 1, 0.5, 0.9),
    "large": Level(6, 6, 18, 22, 0.55, 0.3, 6, 7.0, 2, 0.75, 0.9),
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
    # The frontier (a cell of the house, a free grid neighbour) is kept up to date as cells are added: the
    # generator draws thousands of layouts, so it is not rebuilt from scratch at every step.
    frontier: set[tuple[tuple[int, int], tuple[int, int]]] = set()

    def grow(cell: tuple[int, int]) -> None:
        cells.add(cell)
        for e in [e for e in frontier if e[1] == cell]:
            frontier.discard(e)
        for d in OFFSETS:
            nb = _neighbour(cell, d)
            if nb not in cells and 0 <= nb[0] < level.width and 0 <= nb[1] < level.height:
                frontier.add((cell, nb))

    grow(start)
    while len(cells) < n:
        c, nb = rng.choice(sorted(frontier))
        grow(nb)
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


def choice_bits(house: House, start: str, target: str) -> float:
    """How much choosing the route's doors takes, in bits: the sum over the rooms of the canonical route of
    log2(doors the follower could take there / those of them on a shortest route), not counting the door it
    came through. A follower that ignores the instructions and never turns back walks a shortest route with
    chance 2 ** -bits."""
    dist = house.distances(target)
    bits, here, came = 0.0, start, None
    for d in house.route(start, target):
        options = [b for e, b in house.exits[here].items() if came is None or e != OPPOSITE[came]]
        good = sum(dist[b] < dist[here] for b in options)
        bits += math.log2(len(options) / good)
        here, came = house.exits[here][d], d
    return bits


def _bits_to(house: House, target: str) -> dict[str, float]:
    """:func:`choice_bits` from every room to ``target`` in one pass, nearest rooms first: past its first
    room, a route continues as the route of its next room does, entered through the same door. (The
    generator calls this for every room of thousands of houses, hence the plain loops.)"""
    dist = house.distances(target)
    after: dict[str, float] = {}  # bits of the route beyond a room's first step
    out: dict[str, float] = {}
    for room in sorted(dist, key=lambda r: (dist[r], r)):
        if room == target:
            continue
        exits = house.exits[room]
        # The canonical next door: the first one (in direction order) to a room one door nearer.
        d = next(e for e, b in exits.items() if dist[b] == dist[room] - 1)
        nxt = exits[d]
        if nxt == target:
            after[room] = 0.0
        else:
            back = OPPOSITE[d]
            options = [b for e, b in house.exits[nxt].items() if e != back]
            good = sum(dist[b] < dist[nxt] for b in options)
            after[room] = math.log2(len(options) / good) + after[nxt]
        good_here = sum(dist[b] < dist[room] for b in exits.values())
        out[room] = math.log2(len(exits) / good_here) + after[room]
    return out


def _pick_route(rng: random.Random, house: House, level: Level) -> tuple[str, str] | None:
    """A (start, target) pair drawn uniformly among those whose route is long enough and takes enough
    choosing."""
    pairs = [(a, b) for b in sorted(house.rooms) if max(house.distances(b).values()) >= level.min_distance
             for a, bits in sorted(_bits_to(house, b).items())
             if house.distances(b)[a] >= level.min_distance and bits >= level.min_choice_bits]
    return rng.choice(pairs) if pairs else None


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
        picked = _pick_route(rng, house, level)
        if picked is None:
            continue
        start, target = picked
        house = _force_ambiguity(rng, house, start, target, level.ambiguity_points)
        if ambiguity_points(house, start, target) < level.ambiguity_points:
            continue
        shortest = house.distances(target)[start]
        return {
            "rooms": house.rooms_params(), "doors": house.doors_params(), "start": start, "target": target,
            "shortest": shortest, "max_steps": shortest + SLACK, "max_instructions": 2 * shortest + 6,
            "p_ambiguous": level.p_ambiguous, "p_room_only": level.p_room_only,
        }
    raise RuntimeError(f"mapnav: no house for split {split!r} after {_MAX_DRAWS} draws")
