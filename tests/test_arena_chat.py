"""Typed turns as the arena's chat messages: whose view, feedback kinds that look different, and escaping of
hostile text so it can add no HTML, link, image or formatting to the page."""

from __future__ import annotations

import html
import random
import re

import pytest
from playschool.arena.chat import (
    KIND_LABELS,
    ChatMessage,
    escape_markdown,
    format_message,
    gradio_messages,
    main_kind,
    to_messages,
)
from playschool.games import FEEDBACK_KINDS, Turn, load_game


def _turns() -> list[Turn]:
    return [
        Turn(0, "game", "guesser", "instruction", "Guess the word."),
        Turn(1, "game", "describer", "instruction", "Describe the word."),
        Turn(2, "describer", "game", "move", "CLUE: a fruit", parse={"ok": True}, reward=0.0),
        Turn(3, "describer", "guesser", "observation", "CLUE: a fruit"),
        Turn(4, "guesser", "game", "move", "hmm", parse={"ok": False, "error": "format"}, reward=-1.0),
        Turn(5, "game", "guesser", "correction", "Reply with GUESS: <word>."),
        Turn(6, "guesser", "game", "move", "CLARIFY: red or green?", parse={"ok": True}, reward=-0.5),
        Turn(7, "describer", "guesser", "clarification", "Which colour do you mean?"),
        Turn(8, "guesser", "game", "move", "GUESS: apple", parse={"ok": True}, reward=1.0),
        Turn(9, "game", "guesser", "environment", "Correct!"),
        Turn(10, "game", "describer", "environment", "Well described."),
    ]


def test_a_view_holds_the_viewers_moves_and_the_messages_sent_to_it_only() -> None:
    msgs = to_messages(_turns(), "guesser")
    assert [(m.role, m.kind) for m in msgs] == [
        ("assistant", "instruction"), ("assistant", "observation"), ("user", "move"), ("assistant", "correction"),
        ("user", "move"), ("assistant", "clarification"), ("user", "move"), ("assistant", "environment")]
    assert msgs[2] == ChatMessage("user", "hmm", "move", "guesser", -1.0, "format")
    assert msgs[1].speaker == "describer" and msgs[6].error is None and msgs[6].reward == 1.0
    describer = to_messages(_turns(), "describer")
    assert [m.text for m in describer] == ["Describe the word.", "CLUE: a fruit", "Well described."]


def test_a_real_episode_shows_every_message_the_role_was_sent() -> None:
    game = load_game("wordle")
    ep = game.new_episode(game.generate("train", n=1)[0], "guesser")
    for move in ("GUESS: crane", "not a move", "GUESS: slate"):
        ep.act(move)
    msgs = to_messages(ep.turns, "guesser")
    assert len(msgs) == sum(1 for t in ep.turns if t.to == "guesser" or (t.kind == "move" and t.speaker == "guesser"))
    assert [m.text for m in msgs if m.role == "user"] == ["GUESS: crane", "not a move", "GUESS: slate"]
    assert "correction" in [m.kind for m in msgs]


def test_each_feedback_kind_looks_different_and_is_named() -> None:
    contents = {}
    for kind in FEEDBACK_KINDS:
        contents[kind] = format_message(ChatMessage("assistant", "same words", kind, "game"))
    assert len(set(contents.values())) == len(FEEDBACK_KINDS)  # no two kinds render alike
    assert "correction" in contents["correction"] and "✏️" in contents["correction"]
    assert "clarification" in contents["clarification"].lower() and "❓" in contents["clarification"]
    assert "environment" in contents["environment"].lower() and "🌍" in contents["environment"]
    assert contents["observation"] == "same words"  # the plain kind stays plain
    for kind, label in KIND_LABELS.items():
        assert contents[kind].startswith(label)
    # A partner's words say who spoke; an unknown kind (a newer record) still names itself.
    assert "describer" in format_message(ChatMessage("assistant", "CLUE: x", "observation", "describer"))
    assert "hint" in format_message(ChatMessage("assistant", "x", "hint", "game"))


def test_moves_show_their_reward_and_error() -> None:
    chat = gradio_messages(to_messages(_turns(), "guesser"))
    assert all(set(m) == {"role", "content"} and m["role"] in ("user", "assistant") for m in chat)
    assert chat[2]["role"] == "user" and "(reward -1)" in chat[2]["content"]
    assert "format error" in chat[2]["content"]
    assert "(reward +1)" in chat[6]["content"] and "error" not in chat[6]["content"]
    assert "(reward -0.5)" in chat[4]["content"]
    assert "correction" in chat[3]["content"]
    assert "(empty)" in format_message(ChatMessage("user", "  ", "move", "guesser"))


def test_merged_messages_take_the_most_actionable_kind() -> None:
    assert main_kind(["observation", "correction"]) == "correction"
    assert main_kind(["environment", "clarification"]) == "clarification"
    assert main_kind(["observation", "weird"]) == "observation"
    assert main_kind([]) == "observation"


# ------------------------------------------------------------------------------------------------ escaping
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![pixel](https://evil.example/track.png)",
    "[click me](javascript:alert(1))",
    "[ref]\n\n[ref]: https://evil.example",
    "<https://evil.example>",
    "visit https://evil.example or www.evil.example or mail me@evil.example",
    "# Heading\n- item\n1. one\n> quote\n---\n===",
    "**bold** _it_ `code` ~~gone~~ $$x^2$$ a|b",
    "&lt;b&gt; &amp; &#60;script&#62;",
    "\\<b>escaped?</b>",
    "<!-- comment --> <a href='x'>a</a>",
]


def _md():
    markdown_it = pytest.importorskip("markdown_it")
    # CommonMark with GFM's tables and strikethrough, as chat widgets render markdown; autolinks are checked by
    # the text itself below (a link can only come from an unbroken "https://", "www." or "x@y.z").
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _visible(rendered: str) -> str:
    """The text a reader sees in rendered HTML (tags removed, entities decoded, whitespace normalised)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_exactly_its_own_characters(text: str) -> None:
    rendered = _md().render(escape_markdown(text))
    tags = set(re.findall(r"<\s*([a-zA-Z0-9]+)", rendered))
    assert tags <= {"p", "br"}, (text, rendered)  # no a, img, script, em, strong, code, h1, li, table, ...
    assert _visible(rendered) == " ".join(text.split())
    escaped = escape_markdown(text)
    assert not re.search(r"https?://|www\.|\w@\w", escaped)  # GFM autolinks cannot match


def test_random_punctuation_never_becomes_markup() -> None:
    md = _md()
    rng = random.Random(0)
    alphabet = "<>&[]()!*_`~#|-+=.:/@$\\\"' \nab1"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        rendered = md.render(escape_markdown(text))
        assert set(re.findall(r"<\s*([a-zA-Z0-9]+)", rendered)) <= {"p", "br"}, (text, rendered)
        assert _visible(rendered) == " ".join(text.split()), (text, rendered)


def test_escaping_is_applied_to_every_message_but_not_to_the_labels() -> None:
    msg = ChatMessage("assistant", "<b>[x](y)</b>", "correction", "game")
    content = gradio_messages([msg])[0]["content"]
    assert content.startswith("✏️ **correction** — ") and "<b>" not in content
    assert not re.search(r"(?<!\\)[\[\]]", content)  # every bracket escaped: no link syntax left
    move = ChatMessage("user", "![a](b)", "move", "guesser", 1.0, "rule")
    assert "![" not in gradio_messages([move])[0]["content"]
