"""Every text the negotiation game master and its teacher send. The learner is a language model: the rules
and the exact reply format are spelled out, with examples, because it sees nothing but these messages.

The teacher's own sentences are chosen so that :func:`.talk.read` reads them as meant (a test checks it):
the proposer's exact values as ``item=<n>`` pairs, the responder's comparisons of its values with the
proposer's as clauses that name the item, the direction (*more, less*) and the player compared with (*than
to you, than I do*), questions ending in ``?``, and no item names in talk about proposals. Examples in the
instructions and corrections show the form with ``<n>`` placeholders only.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from .pool import ITEMS, MAX_VALUE, SINGULAR, TAKE_FORM, format_split, value_of
from .talk import Reading, describe

NAMES = {"alice": "Alice", "bob": "Bob"}

# ----------------------------------------------------------------------------- instructions
_COMMON = """\
Let's play a cooperative negotiation game. You are {me}; your partner is {them}. You are not opponents: you \
win or lose together.

There is a pool of items to split between you: {pool}.
Each item is worth some points to you, and possibly a different number of points to {them}.
Your values per item: {values}. So the whole pool is worth {worth} points to you.
{them} has values of {their_own}, which you do not know, and the pool may be worth more or less to {them}. \
Every value is a whole number of points from 0 to {max_value}.

Your shared goal: agree on a split with the largest possible JOINT value, i.e. the points of what you get \
(by your values) plus the points of what {them} gets (by {their} values). The best split gives each item to \
whoever values it more. You can only learn how {their} values compare with yours by talking, and {them} only \
learns yours the same way.
"""

_PROPOSER = """\
In this game YOU make the proposals. {them} will not tell you any numbers: once you have told {them} your \
values, {them} tells you for each item whether it is worth more or less to {them} than to you. {them} accepts a \
proposal only when, by what you told {them}, it is the best split for both of you; otherwise {them} says why \
not. Propose when what you know tells you which split is the best: a deal counts only if you could tell that \
when you proposed it, every wrong guess before that halves the result, and a proposal that goes against what \
{them} told you earns nothing.

Reply with exactly one move line, in one of these forms:
SAY: <text>
    Tell {them} something or ask something (one line, at most {say_limit} characters). {them} understands \
values best as numbers, e.g. SAY: My values are {form}. If something {them} says about {their} values is \
unclear, ask.
PROPOSE: {form}
    Propose a split: the numbers are the items YOU take; {them} gets the rest. Give a count for each of the \
{kinds} item types.

The game ends when {them} accepts a proposal of yours, or after {max_turns} turns in all (both players' moves \
count). Without an agreement neither of you gets anything.
"""

_RESPONDER = """\
In this game {them} makes the proposals. Once {them} has told you what each item is worth to {them}, tell \
{them} for each item whether it is worth more or less to you than to {them} (not your own numbers). Accept a \
proposal only when it is the best split for both of you; otherwise say why not.

Reply with exactly one move line, in one of these forms:
SAY: <text>
    Tell {them} something or ask something (one line, at most {say_limit} characters), e.g. \
SAY: <item>: worth more (or less) to me than to you.
ACCEPT
    Accept {their} latest proposal (the word alone on its line). This ends the game with that split.

The game ends when you accept, or after {max_turns} turns in all (both players' moves count). Without an \
agreement neither of you gets anything.
"""

START_FIRST = "You move first."
START_SECOND = "{them} moves first."


def instructions(role: str, proposer: bool, counts: Sequence[int], values: Sequence[int], max_turns: int,
                 say_limit: int) -> str:
    """The opening message of ``role``. Its examples show the form with ``<n>`` placeholders only: never
    the role's own values (a copied example would tell the partner the role's private data for free) nor
    a proposal that could be accepted."""
    me, them = NAMES[role], NAMES[other(role)]
    fields = {"me": me, "them": them, "their": _possessive(them), "their_own": "their own",
              "pool": pool_text(counts), "values": format_split(values), "worth": value_of(counts, values),
              "max_value": MAX_VALUE, "form": TAKE_FORM, "kinds": _KINDS[len(ITEMS)],
              "say_limit": say_limit, "max_turns": max_turns}
    seat = (_PROPOSER if proposer else _RESPONDER).format(**fields)
    start = START_FIRST if role == "alice" else START_SECOND.format(them=them)
    return _COMMON.format(**fields) + "\n" + seat + "\n" + start


_KINDS = {3: "three", 4: "four", 5: "five"}


def other(role: str) -> str:
    return "bob" if role == "alice" else "alice"


def _possessive(name: str) -> str:
    return f"{name}'s"


def pool_text(counts: Sequence[int]) -> str:
    """``2 books, 1 hat, 3 balls and 2 pens``."""
    return _listing([f"{c} {ITEMS[i] if c != 1 else SINGULAR[i]}" for i, c in enumerate(counts)])


# ----------------------------------------------------------------------------- relayed moves
def relay_say(mover: str, text: str) -> str:
    return f"{NAMES[mover]} says: {text}"


def relay_proposal(mover: str, take: Sequence[int], counts: Sequence[int], values: Sequence[int]) -> str:
    """A proposal as its receiver sees it, with what the receiver's share is worth to the receiver."""
    theirs = [c - t for c, t in zip(counts, take)]
    name = NAMES[mover]
    return (f"{name} proposes: {name} takes {format_split(take)} and you get {format_split(theirs)}, worth "
            f"{value_of(theirs, values)} points to you. Reply ACCEPT to agree, or SAY why not.")


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


def credit(them: str, lucky: bool, guesses: int, contradictions: int) -> str:
    """What the deal is worth to the proposer's score, when less than full (empty otherwise)."""
    if contradictions:
        return f"One of your proposals went against what {them} had told you, so this deal earns nothing."
    if lucky:
        return "You proposed this split before you could tell it was the best, so it earns nothing."
    if guesses == 1:
        return "Your wrong guess before it halves the result."
    if guesses:
        return f"Each of your {guesses} wrong guesses before it halves the result."
    return ""


def no_deal(max_turns: int) -> str:
    return f"No agreement after {max_turns} turns: neither of you gets anything. The game is over."


# ----------------------------------------------------------------------------- the teacher's sentences
def ask_values(items: Sequence[int] = tuple(range(len(ITEMS)))) -> str:
    """A request for the partner's numbers of ``items`` ("What is each hat and pen worth to you, in points?")."""
    return f"What is each {describe(items, SINGULAR)} worth to you, in points?"


ASK_VALUES = ask_values()
#: The proposer's question: the responder answers it with comparisons.
ASK_COMPARE = "Which items are worth more to you than to me, and which less?"
#: The responder compares its values with the partner's numbers only: without them it says so.
NEED_VALUES = "I can tell you how my values compare with yours once I know yours."
PROPOSAL_STANDS = "My proposal stands."
YOUR_PROPOSAL = "I leave the split to you: propose one when you know enough."
REJECT_BAD = "I cannot agree to that: by your values and mine, that split is not the best for both of us."
REJECT_UNTOLD = "I cannot agree to any split before I know what each item is worth to you."
#: How the responder compares its values with the partner's, per level (see :func:`comparisons`).
PHRASINGS: tuple[str, ...] = ("pairs", "sentences", "differences")
_NUMBER_WORDS = ("nothing", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
COMPARE_INTRO = "Here is how my values compare with yours."


def exact_values(values: Sequence[int]) -> str:
    """The speaker's exact values as ``item=<n>`` pairs (the reference proposer tells its values so)."""
    return f"My values per item: {format_split(values)}."


def comparisons(mine: Sequence[int], theirs: Mapping[int, int], phrasing: str, rng: random.Random) -> str:
    """How the speaker's values ``mine`` compare with the partner's numbers ``theirs`` (the types the partner
    gave a number for), in ``phrasing``. The types come in a random order, and each is compared from a random
    side: "more to me than to you" and "less to you than to me" say the same, so neither the order, nor the
    words *more* and *less*, nor *me* and *you* alone tell who values a type more; only the three read
    together do.

    ``pairs``: one labelled sentence per type ("Books: worth more to me than to you. Hats: worth more to you
    than to me."). ``sentences``: clauses in running text; a clause compared from the same side as the one
    before it in the sentence keeps its frame ("I value books more than you do, hats less, and pens more.
    A ball is worth more to you than to me."). ``differences``: the same, with the difference in points in
    words ("A book is worth one point more to me than to you, a hat one point less.")."""
    order = sorted(theirs)
    rng.shuffle(order)
    same = [i for i in order if mine[i] == theirs[i]]
    told = [i for i in order if mine[i] != theirs[i]]
    sentences = [COMPARE_INTRO]
    if phrasing == "pairs":
        for i in told:
            side = rng.choice(("me", "you"))
            word = "more" if (mine[i] > theirs[i]) == (side == "me") else "less"
            other = "you" if side == "me" else "me"
            sentences.append(f"{ITEMS[i].capitalize()}: worth {word} to {side} than to {other}.")
    else:
        runs: list[tuple[str, list[int]]] = []
        for i in told:
            side = rng.choice(("me", "you"))
            if runs and runs[-1][0] == side:
                runs[-1][1].append(i)
            else:
                runs.append((side, [i]))
        for side, items in runs:
            clauses = [_compare_clause(i, mine[i] - theirs[i], side, phrasing, rng, first=k == 0)
                       for k, i in enumerate(items)]
            if len(clauses) > 1:
                clauses[-1] = "and " + clauses[-1]
            text = ", ".join(clauses)
            sentences.append(text[0].upper() + text[1:] + ".")
    for i in same:  # one sentence each: "books, hats and pens" would cut the comparison at its commas
        sentences.append(f"{ITEMS[i].capitalize()}{':' if phrasing == 'pairs' else ' are'} worth the same to both "
                         "of us.")
    return " ".join(sentences)


def _compare_clause(item: int, diff: int, side: str, phrasing: str, rng: random.Random, *, first: bool) -> str:
    """One type compared from ``side`` ("me": the speaker's value is the subject, "you": the partner's);
    ``first``: the first clause of its sentence names both players, the later ones keep its frame."""
    word = "more" if (diff > 0) == (side == "me") else "less"
    if phrasing == "differences":
        points = abs(diff)
        number = _NUMBER_WORDS[points] if points < len(_NUMBER_WORDS) else str(points)
        word = f"{number} point{'s' if points != 1 else ''} {word}"
    if not first:
        noun = rng.choice((f"a {SINGULAR[item]}", ITEMS[item])) if phrasing == "differences" else ITEMS[item]
        return f"{noun} {word}"
    other = "you" if side == "me" else "me"
    subject_is, other_does = ("I", "you do") if side == "me" else ("you", "I do")
    forms = [f"{ITEMS[item]} matter {word} to {side} than to {other}" if phrasing != "differences" else None,
             f"{subject_is} value {ITEMS[item]} {word} than {other_does}",
             f"a {SINGULAR[item]} is worth {word} to {side} than to {other}"]
    return rng.choice([f for f in forms if f is not None])


def _listing(parts: Sequence[str]) -> str:
    """``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def vague_values(top: Sequence[int]) -> str:
    subject = describe(top)  # item names are plural: "balls are", "books and hats are"
    return f"{subject[0].upper()}{subject[1:]} are worth the most to me."


def clarification(reading: Reading, follow: str = ASK_VALUES) -> str:
    """A clarification question about a vague statement: the teacher's reading of it, then ``follow`` (the
    responder asks for numbers: "Do you mean hats are worth more to you than books? What is each ... worth to
    you?"; the proposer, whose partner tells comparisons only, asks for those)."""
    for hint in reading.hints:
        if hint.higher and hint.lower:
            return f"Do you mean {describe(hint.higher)} are worth more to you than {describe(hint.lower)}? " \
                   + follow
    return follow


def check_range(item: int, value: int) -> str:
    """A clarification request about a number that cannot be right: values go from 0 to MAX_VALUE."""
    return (f"Values go from 0 to {MAX_VALUE}: did you really mean that each {SINGULAR[item]} is worth {value} "
            f"points to you? {ask_values([item])}")


# ----------------------------------------------------------------------------- corrections
#: The format reminder every format error ends with (placeholders only: never a move worth copying).
FORMAT = f"Reply with exactly one move line: SAY: <text>, PROPOSE: {TAKE_FORM}, or ACCEPT alone on its line."
PROPOSAL_FORMAT = ("{problem} Write a proposal as the items you take, one count per item type, in this form: "
                   f"PROPOSE: {TAKE_FORM}, with a whole number for each <n>.")

NO_PROPOSAL = "There is no proposal to accept yet. SAY something, or wait for {them} to propose."
OWN_PROPOSAL = ("You cannot accept your own proposal; only {them} can. Make another move: SAY something or "
                "propose another split.")
PROPOSER_ACCEPTS = ("In this game you make the proposals and {them} accepts or turns them down; you cannot "
                    f"ACCEPT. SAY something, or PROPOSE: {TAKE_FORM}.")
RESPONDER_PROPOSES = ("In this game {them} makes the proposals; you cannot PROPOSE. SAY what you think, or "
                      "ACCEPT {their} proposal.")


def too_many(item: int, asked: int, available: int) -> str:
    noun = SINGULAR[item] if available == 1 else ITEMS[item]
    verb = "is" if available == 1 else "are"
    return (f"There {verb} only {available} {noun} in the pool, so you cannot take {asked}. Propose again "
            f"with {ITEMS[item]} between 0 and {available}.")


def negative(item: int, asked: int) -> str:
    return f"You cannot take {asked} {ITEMS[item]}: counts are 0 or more. Propose again."
