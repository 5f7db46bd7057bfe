"""Typed turns as chat messages for the arena's pages: what one player saw, with each feedback kind visible.

Display roles follow the chat widget, not the model's chat template: the player whose view is shown (the
visitor, or the model being watched) is the chat's ``user`` (their moves appear on their side, as typed), and
everything the game and the other roles said to them is the ``assistant``.

Every text here is hostile input (a visitor's move, a model's output, and game text quoting either), and the
page renders markdown: :func:`escape_markdown` makes any text display literally, so it can neither add HTML nor
links, images or formatting. Only the labels this module writes are markdown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from playschool.games import Turn

DisplayRole = Literal["user", "assistant"]

#: The label each kind gets in the page. ``observation`` (the partner's words relayed to the player) stays plain
#: apart from the speaker's name; the kinds that steer the player are marked. Lowercase, like the badges of the
#: HTML transcripts (``playschool transcript``), so the kind's own word appears in the text.
KIND_LABELS: dict[str, str] = {
    "instruction": "📜 **instructions**",
    "observation": "",
    "clarification": "❓ **clarification request**",
    "correction": "✏️ **correction**",
    "environment": "🌍 **environment**",
}
#: When a message merges several kinds (a dataset row), the one whose label it gets: the most actionable.
KIND_PRIORITY: tuple[str, ...] = ("correction", "clarification", "environment", "instruction", "observation")

# What markdown could make of text, and the backslash escape that keeps it literal (CommonMark lets a backslash
# escape any ASCII punctuation). Escaped everywhere: emphasis, code, link and image brackets, tables, headings,
# LaTeX and backslashes. At a line start: list, quote and setext-heading markers. GFM turns bare URLs, "www."
# and e-mail addresses into links by themselves; a backslash inside breaks each pattern. "&", "<" and ">" become
# HTML entities, so no tag, comment or <autolink> survives.
_INLINE = re.compile(r"([\\`*_\[\]~|$#])")
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+(?=[.)]))", re.MULTILINE)
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(\.)|(@)", re.IGNORECASE)


@dataclass(frozen=True)
class ChatMessage:
    """One message as the arena shows it.

    ``role``: ``"user"`` for the viewed player's own move, ``"assistant"`` for what the game told them.
    ``kind``: ``"move"`` or a feedback kind. ``speaker``: the role or ``"game"`` that wrote it. ``reward``: the
    reward of a move (``None`` for messages). ``error``: ``"format"``/``"rule"`` when a move was refused.
    ``text`` is raw (unescaped); :func:`format_message` escapes it.
    """

    role: DisplayRole
    text: str
    kind: str
    speaker: str
    reward: float | None = None
    error: str | None = None


def to_messages(turns: Iterable[Turn], viewer_role: str) -> list[ChatMessage]:
    """The messages ``viewer_role`` saw in an episode, in order: its own moves and every message sent to it.

    Consecutive messages are *not* merged (unlike the model's chat history): each typed turn keeps its own
    label. Other roles' moves are left out; what the player learnt of them came as messages to it.
    """
    out: list[ChatMessage] = []
    for t in turns:
        if t.kind == "move":
            if t.speaker == viewer_role:
                error = (t.parse or {}).get("error")
                out.append(ChatMessage("user", t.text, "move", t.speaker, t.reward,
                                       str(error) if error else None))
        elif t.to == viewer_role:
            out.append(ChatMessage("assistant", t.text, t.kind, t.speaker))
    return out


def escape_markdown(text: str) -> str:
    """``text`` made to display literally in a markdown (and HTML) renderer: no tags, links, images, emphasis,
    headings, lists, code or LaTeX can come out of it."""
    escaped = _INLINE.sub(r"\\\1", str(text))
    escaped = _LINE_START.sub(_escape_marker, escaped)
    escaped = _AUTOLINK.sub(lambda m: "\\" + m.group(0), escaped)
    return html.escape(escaped, quote=False)


def _escape_marker(m: re.Match[str]) -> str:
    indent, marker = m.group(1), m.group(2)
    if marker[0].isdigit():  # "1." / "1)": an ordered list item; escape the delimiter after the number
        return indent + marker + "\\"
    return indent + "\\" + marker


def format_reward(reward: float) -> str:
    """``(reward +1)``, ``(reward -0.5)``, ``(reward 0)``."""
    return f"(reward {reward:+g})" if reward else "(reward 0)"


def format_message(msg: ChatMessage) -> str:
    """The markdown content of one message: its label, the escaped text, and a move's error and reward."""
    body = escape_markdown(msg.text) if msg.text.strip() else "*(empty)*"
    if msg.kind == "move":
        tail = []
        if msg.error:
            tail.append(f"⚠️ *{escape_markdown(msg.error)} error*")
        if msg.reward is not None:
            tail.append(f"*{format_reward(msg.reward)}*")  # our own text: nothing to escape
        return body + ("\n\n" + " · ".join(tail) if tail else "")
    label = KIND_LABELS.get(msg.kind)
    if label is None:  # an unknown kind (a newer record) still shows what it is
        label = f"**{escape_markdown(msg.kind)}**"
    if not label:  # a plain observation: say who it came from, when that was another player
        return body if msg.speaker == "game" else f"💬 **{escape_markdown(msg.speaker)}** — {body}"
    return f"{label} — {body}"


def gradio_messages(msgs: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """Messages as a chatbot value in Gradio's messages format (``{"role", "content"}`` dicts, markdown)."""
    return [{"role": m.role, "content": format_message(m)} for m in msgs]


def main_kind(kinds: Sequence[str]) -> str:
    """The kind a merged message is shown as (see :data:`KIND_PRIORITY`); unknown kinds come last."""
    ranked = sorted(kinds, key=lambda k: KIND_PRIORITY.index(k) if k in KIND_PRIORITY else len(KIND_PRIORITY))
    return ranked[0] if ranked else "observation"


__all__ = ["KIND_LABELS", "ChatMessage", "DisplayRole", "escape_markdown", "format_message", "format_reward",
           "gradio_messages", "main_kind", "to_messages"]
