"""Every text the negotiation game master and its teacher send. The learner is a language model: the rules
and the exact reply format are spelled out, with examples, because it sees nothing but these messages.

The teacher's own sentences are chosen so that :func:`.talk.read` reads them as meant (a test checks it):
exact values as ``item=<n>`` pairs, questions ending in ``?``, and no item names in talk about proposals.
"""

from __future__ import annotations

from collections.abc import Sequence

from .pool import ITEMS, SINGULAR, format_split, value_of
from .talk import Reading, describe

NAMES = {"alice": "Alice", "bob": "Bob"}

# ----------------------------------------------------------------------------- instructions
_RULES = """\
Let's play a cooperative negotiation game. You are {me}; your partner is {them}. You are not opponents: you \
win or lose together.

There is a pool of items to split between you: {pool}.
Each item is worth some points to you, and possibly a different number of points to {them}.
Your values per item: {values}. So the whole pool is worth {total} points to you.
{them} has values of their own, which you do not know; the whole pool is worth {total} points to {them} too. \
Values are whole numbers of points, 0 or more.

Your shared goal: agree on a split with the largest possible JOINT value, i.e. the points of what you get \
(by your values) plus the points of what {them} gets (by {their} values). The best split gives each item to \
whoever values it more. You can only learn {their} values by talking, and {them} only learns yours the same way.

Reply with exactly one move, in one of these forms, and nothing else:
SAY: <text>
    Tell {them} something or ask something (at most {say_limit} characters). {them} understands values \
best as numbers, e.g. "SAY: My values are {example_values}." If something {them} says about {their} values \
is unclear, ask.
PROPOSE: books=<n> hats=<n> balls=<n>
    Propose a split: the numbers are the items YOU take; {them} gets the rest. Give a count for each of the \
three item types, e.g. PROPOSE: {example_take}
ACCEPT
    Accept {their} latest proposal. This ends the game with that split.
You can only accept a proposal made by {them}. A proposal stands until one of you makes a new one.

The game ends when one of you accepts, or after {max_turns} turns in all (both players' moves count). \
Without an agreement neither of you gets anything.

Example replies:
SAY: My values are {example_values}. What are yours?
PROPOSE: {example_take}
ACCEPT
"""

START_FIRST = "You move first."
START_SECOND = "{them} moves first."


def instructions(role: str, counts: Sequence[int], values: Sequence[int], total: int, max_turns: int,
                 say_limit: int) -> str:
    me, them = NAMES[role], NAMES[other(role)]
    # The example proposal takes the items the player values most: a plausible move, never a hint about
    # the partner's values.
    top = max(values)
    example_take = [c if v == top else 0 for c, v in zip(counts, values)]
    text = _RULES.format(
        me=me, them=them, their=_possessive(them), pool=pool_text(counts), values=format_split(values),
        total=total, say_limit=say_limit, example_values=format_split(values),
        example_take=format_split(example_take), max_turns=max_turns)
    start = START_FIRST if role == "alice" else START_SECOND.format(them=them)
    return text + "\n" + start


def other(role: str) -> str:
    return "bob" if role == "alice" else "alice"


def _possessive(name: str) -> str:
    return f"{name}'s"


def pool_text(counts: Sequence[int]) -> str:
    """``2 books, 1 hat and 3 balls``."""
    parts = [f"{c} {ITEMS[i] if c != 1 else SINGULAR[i]}" for i, c in enumerate(counts)]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# ----------------------------------------------------------------------------- relayed moves
def relay_say(mover: str, text: str) -> str:
    return f"{NAMES[mover]} says: {text}"


def relay_proposal(mover: str, take: Sequence[int], counts: Sequence[int], values: Sequence[int]) -> str:
    """A proposal as its receiver sees it, with what the receiver's share is worth to the receiver."""
    theirs = [c - t for c, t in zip(counts, take)]
    name = NAMES[mover]
    return (f"{name} proposes: {name} takes {format_split(take)} and you get {format_split(theirs)}, worth "
            f"{value_of(theirs, values)} points to you. Reply ACCEPT to agree, or make another move.")


def turns_left(left: int) -> str:
    return f"({left} turn{'s' if left != 1 else ''} left.) Your move."


def deal(accepter: str, proposer: str, take: Sequence[int], counts: Sequence[int], mine: int, joint: int,
         best: int) -> str:
    theirs = [c - t for c, t in zip(counts, take)]
    quality = ("This is the best possible joint value." if joint == best else
               f"The best possible joint value was {best}.")
    return (f"{NAMES[accepter]} accepts. Deal: {NAMES[proposer]} gets {format_split(take)} and "
            f"{NAMES[other(proposer)]} gets {format_split(theirs)}. Your share is worth {mine} points to you; "
            f"the joint value is {joint}. {quality} The game is over.")


def no_deal(max_turns: int) -> str:
    return f"No agreement after {max_turns} turns: neither of you gets anything. The game is over."


# ----------------------------------------------------------------------------- the teacher's sentences
ASK_VALUES = "What is each book, hat and ball worth to you, in points?"
PROPOSAL_STANDS = "My proposal stands. Please ACCEPT it, or propose another split if you think it is not the best."


def exact_values(values: Sequence[int]) -> str:
    return f"My values per item: {format_split(values)}."


def vague_values(top: Sequence[int]) -> str:
    subject = describe(top)  # item names are plural: "balls are", "books and hats are"
    return f"{subject[0].upper()}{subject[1:]} are worth the most to me."


def clarification(reading: Reading) -> str:
    """A clarification question about a vague statement: the teacher's reading of it, then a request for
    numbers ("Do you mean hats are worth more to you than books? What is each ... worth to you?")."""
    for hint in reading.hints:
        if hint.higher and hint.lower:
            return f"Do you mean {describe(hint.higher)} are worth more to you than {describe(hint.lower)}? " \
                   + ASK_VALUES
    return ASK_VALUES


def check_total(worth: int, total: int) -> str:
    """A clarification request about numbers that cannot all be right."""
    return (f"By those numbers the whole pool would be worth {worth} points to you, not {total}. "
            f"Did I get that right? {ASK_VALUES}")


# ----------------------------------------------------------------------------- corrections
_EXAMPLE = "PROPOSE: books=1 hats=0 balls=2"
NO_MOVE = ("Your reply must start with SAY:, PROPOSE: or ACCEPT and contain that one move only. For example:\n"
           "SAY: My values are books=2 hats=1 balls=3.\n" + _EXAMPLE + "\nACCEPT")
ONE_MOVE = ("Make exactly one move per reply: one SAY, one PROPOSE or one ACCEPT, not several. "
            "Reply again with a single move.")
ACCEPT_ALONE = "ACCEPT must be the whole reply, with nothing after it. Reply again: ACCEPT"
EMPTY_SAY = "Your SAY is empty. Write what you want to tell your partner after it, e.g. SAY: My values are ..."
LONG_SAY = "Your SAY is {n} characters long; keep it under {limit}. Reply again with a shorter SAY."
PROPOSAL_FORMAT = ("{problem} Write a proposal as the items you take, one count per item type, in this form: "
                   "PROPOSE: books=<n> hats=<n> balls=<n>, e.g. " + _EXAMPLE)

NO_PROPOSAL = ("There is no proposal to accept yet. Make one with PROPOSE: books=<n> hats=<n> balls=<n>, "
               "or SAY something first.")
OWN_PROPOSAL = ("You cannot accept your own proposal; only {them} can. Make another move: SAY something or "
                "propose another split.")


def too_many(item: int, asked: int, available: int) -> str:
    noun = SINGULAR[item] if available == 1 else ITEMS[item]
    verb = "is" if available == 1 else "are"
    return (f"There {verb} only {available} {noun} in the pool, so you cannot take {asked}. Propose again "
            f"with {ITEMS[item]} between 0 and {available}.")


def negative(item: int, asked: int) -> str:
    return f"You cannot take {asked} {ITEMS[item]}: counts are 0 or more. Propose again."
