"""The environment server's wire format: pydantic models for every request and response (``GET /schema``).

Field names follow OpenEnv's HTTP/WebSocket environment protocol where it defines them: a reset or step answers
``observation``, ``reward`` and ``done``; the state carries ``episode_id`` and ``step_count``; ``/schema``
returns ``action``, ``observation`` and ``state``; WebSocket messages are ``{"type": ..., "data": {...}}``.
What OpenEnv leaves open is ours: ``session_id`` (OpenEnv's HTTP reset/step are stateless; here one server
process holds many sessions), and ``info`` (Gymnasium's info dict: the verdict on the move, and at the end the
outcome, scores and the episode record).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from playschool.games import SPLITS

#: Sent back instead of echoing a value the client sent: ids and texts may be huge or hostile.
MAX_ECHO_CHARS = 80


class _Strict(BaseModel):
    # A misspelt field is an error with its name, not silently ignored: a client that sends ``sesion_id`` learns
    # why its request failed.
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------------------------- requests
class TextAction(_Strict):
    """One move of the learner: the text of its reply (any text; the game judges it)."""

    text: StrictStr = Field(description="the move, as the model wrote it; the game sanitises and judges it")
    metadata: dict[str, Any] = Field(default_factory=dict, description="ignored by the game (OpenEnv's field)")


class ResetOptions(_Strict):
    """Which instance to play. Only ids of the served pool: instances sent over the network are never played."""

    instance_id: StrictStr | None = Field(default=None, max_length=200,
                                          description="an instance of the split, e.g. 'train/easy/0003'")


class ResetRequest(_Strict):
    """Start an episode: a new session, or a new episode in the caller's session when ``session_id`` is given."""

    game: StrictStr | None = Field(default=None, max_length=100,
                                   description="game id ('taboo' or 'taboo-v2'); optional when one game is served")
    role: StrictStr | None = Field(default=None, max_length=100,
                                   description="the learner's role (default: the game's first learner role)")
    seed: int | None = Field(default=None, ge=0, lt=2**63, description="seeds the instance drawn (OpenEnv's field)")
    split: Literal["train", "validation", "test"] = Field(default="train", description=f"one of {SPLITS}")
    feedback: Literal["all", "environment", "none"] = Field(
        default="all", description="what the learner is shown of the teacher's feedback")
    partner: StrictStr = Field(default="teacher", max_length=300,
                               description="who plays the other roles: 'teacher', 'random', or a model spec the "
                                           "server allows")
    options: ResetOptions = Field(default_factory=ResetOptions)
    episode_id: StrictStr | None = Field(default=None, max_length=255,
                                         description="the caller's name for the episode (OpenEnv's field)")
    session_id: StrictStr | None = Field(default=None, max_length=MAX_ECHO_CHARS,
                                         description="reuse this session instead of opening a new one")


class StepRequest(_Strict):
    """Play one move in a session. ``action`` is the move's text, or ``{"text": ...}`` (OpenEnv's action object)."""

    session_id: StrictStr = Field(max_length=MAX_ECHO_CHARS)
    action: StrictStr | TextAction = Field(description="the move: a string, or an object with 'text'")

    @field_validator("action", mode="before")
    @classmethod
    def _text_or_object(cls, value: Any) -> Any:
        # Say what an action is in one sentence rather than pydantic's two failed union branches.
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            if not isinstance(value.get("text"), str):
                raise ValueError(f"an action object needs \"text\", the move as a string; got "
                                 f"{'nothing' if 'text' not in value else _json_type(value['text'])}")
            return value
        raise ValueError(f"an action is the text of a move (a JSON string) or {{\"text\": \"...\"}}, "
                         f"got {_json_type(value)}")

    @property
    def text(self) -> str:
        return self.action if isinstance(self.action, str) else self.action.text


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", list: "an array"}
    return names.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------------------------- responses
class ChatMessage(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


class Observation(BaseModel):
    """The learner's conversation so far (chat-template ready) and the feedback kinds of its newest message."""

    messages: list[ChatMessage]
    feedback: list[str] = Field(description="kinds merged into the newest user message (instruction, "
                                            "observation, clarification, correction, environment)")


class StepResponse(BaseModel):
    """What a reset or a step returns (OpenEnv's ``observation``/``reward``/``done``, plus ``info``)."""

    session_id: str
    observation: Observation
    reward: float | None = Field(description="the game's reward for this move; null after a reset")
    done: bool = Field(description="the episode is over (success, lose, aborted or the game's error)")
    info: dict[str, Any] = Field(description="game, instance_id, role, feedback, move (the verdict on the move), "
                                             "outcome; at the end also reason, fault, scores and record")


class ResetResponse(StepResponse):
    """The first observation of an episode (``reward`` is null, ``done`` false unless a partner ended it)."""


class EpisodeState(BaseModel):
    """A session's episode, without anything hidden from the learner (OpenEnv's ``episode_id``/``step_count``)."""

    episode_id: str
    step_count: int = Field(ge=0, description="moves the caller has sent in this episode")
    session_id: str
    game: str
    role: str
    split: str
    partner: str
    feedback: str
    instance_id: str
    done: bool
    outcome: str | None
    due: str | None = Field(description="the role whose move is due; null once the episode is over")
    episodes: int = Field(ge=1, description="episodes started in this session")
    expires_in: float = Field(description="seconds until the session is dropped if nothing is sent to it")


class ErrorResponse(BaseModel):
    """Every error: a sentence that says what was wrong, a stable code, and pydantic's details when it has them."""

    detail: str
    code: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


class HealthResponse(BaseModel):
    status: Literal["healthy"] = "healthy"
    sessions: int = Field(ge=0, description="live sessions")
    max_sessions: int = Field(ge=1)
    idle_timeout: float
    records_written: int = Field(ge=0, description="episode records written since the server started")


class SchemaResponse(BaseModel):
    """OpenEnv's three schemas, plus the reset request's (what a client may ask for)."""

    action: dict[str, Any]
    observation: dict[str, Any]
    state: dict[str, Any]
    reset: dict[str, Any]


class MetadataResponse(BaseModel):
    name: str
    description: str
    version: str
    games: list[str]
    partners: list[str]


# ---------------------------------------------------------------------------------------------- websocket
class WSMessage(BaseModel):
    """A client's WebSocket message: ``reset`` (data: a reset request without ``session_id``), ``step`` (data:
    the action object, ``{"text": ...}``), ``state`` or ``close``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["reset", "step", "state", "close"]
    data: dict[str, Any] = Field(default_factory=dict)


__all__ = [
    "MAX_ECHO_CHARS", "ChatMessage", "EpisodeState", "ErrorResponse", "HealthResponse", "MetadataResponse",
    "Observation", "ResetOptions", "ResetRequest", "ResetResponse", "SchemaResponse", "StepRequest",
    "StepResponse", "TextAction", "WSMessage",
]
