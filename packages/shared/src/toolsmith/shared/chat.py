"""Render conversations in the FunctionGemma format and mark what the model wrote.

The one renderer is the Jinja2 chat template beside this file. It is rendered through
transformers' own chat-template machinery, so ``tokenizer.apply_chat_template(..., tools=...)``
(with this template set on the tokenizer) and :func:`render` give the same bytes, and its
``{% generation %}`` blocks give the character spans the model wrote (calls, the stop token
after them, final text) for completion-only loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from toolsmith.shared.constants import BOS, CHAT_TEMPLATE_FILE

Message = dict[str, Any]
Tool = dict[str, Any]


@cache
def chat_template() -> str:
    """The FunctionGemma chat template (Jinja2 source)."""
    return files("toolsmith.shared").joinpath(CHAT_TEMPLATE_FILE).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Rendered:
    """A rendered conversation.

    Attributes:
        text: The exact prompt text, starting with ``<bos>``.
        spans: Half-open character ranges ``[start, end)`` of text the model wrote.
    """

    text: str
    spans: tuple[tuple[int, int], ...]

    def model_text(self) -> list[str]:
        """The model-written pieces, in order."""
        return [self.text[a:b] for a, b in self.spans]


def render(
    messages: list[Message], tools: list[Tool] | None = None, *, add_generation_prompt: bool = False
) -> Rendered:
    """Render ``messages`` (HF/OpenAI style) and ``tools`` (JSON schemas) to FunctionGemma text.

    Args:
        messages: Conversation messages; tool calls as ``tool_calls`` on assistant messages and
            tool results as ``{"role": "tool", "name": ..., "content": ...}``.
        tools: Tool JSON schemas (as from ``transformers.utils.get_json_schema``).
        add_generation_prompt: Open a model turn at the end (ignored when the model turn is
            still open, as after a tool response: the model then continues in place).

    Returns:
        The text and the spans the model wrote.
    """
    from transformers.utils.chat_template_utils import render_jinja_template

    texts, indices = render_jinja_template(
        conversations=[messages],
        tools=tools or None,
        chat_template=chat_template(),
        return_assistant_tokens_mask=True,
        add_generation_prompt=add_generation_prompt,
        bos_token=BOS,
    )
    return Rendered(text=texts[0], spans=tuple((int(a), int(b)) for a, b in indices[0]))


@dataclass(frozen=True)
class Encoded:
    """Token ids of a rendered conversation and which of them the model wrote."""

    input_ids: list[int]
    supervised: list[bool]


def encode(tokenizer: Any, rendered: Rendered) -> Encoded:
    """Tokenize ``rendered`` (no extra ``<bos>``) and mark tokens that start inside a model span.

    Args:
        tokenizer: A fast HF tokenizer with the control tokens as single ids.
        rendered: Output of :func:`render`.

    Returns:
        Ids and a per-token supervision mask.
    """
    enc = tokenizer(rendered.text, add_special_tokens=False, return_offsets_mapping=True)
    supervised = []
    spans = rendered.spans
    for start, end in enc["offset_mapping"]:
        supervised.append(any(a <= start < b for a, b in spans) and end > start)
    return Encoded(input_ids=list(enc["input_ids"]), supervised=supervised)
