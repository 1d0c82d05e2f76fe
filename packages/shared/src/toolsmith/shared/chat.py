"""Render conversations in the FunctionGemma format, mark what the model wrote, and tokenize them.

The one renderer is the Jinja2 chat template beside this file. It is rendered through
transformers' own chat-template machinery, so ``tokenizer.apply_chat_template(..., tools=...)``
(with this template set on the tokenizer) and :func:`render` give the same bytes, and its
``{% generation %}`` blocks give the character spans the model wrote (calls, the stop token
after them, final text) for completion-only loss.

Only the control tokens the template itself writes are control tokens. A control-token string
inside content (a message, a call argument, a tool result, a schema description) is plain text:
:func:`render` records where the template's own tokens are, and :func:`encode` (like
``GGUFModel.tokenize`` on the llama.cpp side) tokenizes everything else with special tokens off.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from toolsmith.shared.constants import BOS, CHAT_TEMPLATE_FILE, CONTROL_TOKENS

Message = dict[str, Any]
Tool = dict[str, Any]

# While rendering, a control-token string inside content is stood in for by two private-use characters
# (an escape, then the token's code), and the escape character itself by two escapes, so that every
# control-token string left in the rendered text is one the template wrote.
_ESC = "\ue000"
_CODE = {token: chr(0xE001 + i) for i, token in enumerate(CONTROL_TOKENS)}
_DECODE = {_ESC: _ESC, **{code: token for token, code in _CODE.items()}}
_IN_CONTENT = re.compile("|".join(re.escape(t) for t in (_ESC, *CONTROL_TOKENS)))
_ESCAPED = re.compile(_ESC + "([" + "".join(_DECODE) + "])")
_CONTROL = re.compile("|".join(re.escape(t) for t in CONTROL_TOKENS))


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
        controls: Character ranges of the control tokens the template wrote; every other character
            (control-token strings inside content included) is plain text.
    """

    text: str
    spans: tuple[tuple[int, int], ...]
    controls: tuple[tuple[int, int], ...]

    def model_text(self) -> list[str]:
        """The model-written pieces, in order."""
        return [self.text[a:b] for a, b in self.spans]

    def pieces(self) -> list[tuple[int, int, bool]]:
        """``(start, end, is_control)`` ranges covering the text in order: template control tokens
        and the (non-empty) plain text between them."""
        out, pos = [], 0
        for a, b in self.controls:
            if a > pos:
                out.append((pos, a, False))
            out.append((a, b, True))
            pos = b
        if pos < len(self.text):
            out.append((pos, len(self.text), False))
        return out


def _protect(value: Any) -> Any:
    """``value`` with the escape character and control-token strings in every string stood in for."""
    if isinstance(value, str):
        return _IN_CONTENT.sub(lambda m: _ESC + _CODE.get(m.group(), _ESC), value)
    if isinstance(value, dict):
        return {_protect(k): _protect(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_protect(v) for v in value]
    return value


def _restore(text: str) -> tuple[str, Callable[[int], int]]:
    """Undo :func:`_protect` in rendered text; also return the map from its offsets to the restored ones."""
    ends, shifts, parts, last, shift = [], [], [], 0, 0
    for m in _ESCAPED.finditer(text):
        original = _DECODE[m.group(1)]
        parts += [text[last : m.start()], original]
        last = m.end()
        shift += len(original) - len(m.group())
        ends.append(m.end())
        shifts.append(shift)
    parts.append(text[last:])

    def moved(offset: int) -> int:
        i = bisect_right(ends, offset)
        return offset + (shifts[i - 1] if i else 0)

    return "".join(parts), moved


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
        The text, the spans the model wrote and where the template's control tokens are.
    """
    from transformers.utils.chat_template_utils import render_jinja_template

    texts, indices = render_jinja_template(
        conversations=[_protect(messages)],
        tools=_protect(tools) or None,
        chat_template=chat_template(),
        return_assistant_tokens_mask=True,
        add_generation_prompt=add_generation_prompt,
        bos_token=BOS,
    )
    text, moved = _restore(texts[0])
    return Rendered(
        text=text,
        spans=tuple((moved(int(a)), moved(int(b))) for a, b in indices[0]),
        controls=tuple((moved(m.start()), moved(m.end())) for m in _CONTROL.finditer(texts[0])),
    )


@dataclass(frozen=True)
class Encoded:
    """Token ids of a rendered conversation and which of them the model wrote."""

    input_ids: list[int]
    supervised: list[bool]


def encode(tokenizer: Any, rendered: Rendered) -> Encoded:
    """Tokenize ``rendered`` (no extra ``<bos>``) and mark tokens that start inside a model span.

    The template's control tokens become their single ids; all other text is tokenized with special
    tokens off, so a control-token string in content stays plain text (as in ``GGUFModel.tokenize``).
    Without control-token strings in content the ids are those of tokenizing the whole text at once.

    Args:
        tokenizer: A fast HF tokenizer with the control tokens as single ids.
        rendered: Output of :func:`render`.

    Returns:
        Ids and a per-token supervision mask.
    """
    pieces = rendered.pieces()
    plain = [rendered.text[a:b] for a, b, control in pieces if not control]
    enc = (
        tokenizer(plain, add_special_tokens=False, split_special_tokens=True, return_offsets_mapping=True)
        if plain
        else {"input_ids": [], "offset_mapping": []}
    )
    ids: list[int] = []
    offsets: list[tuple[int, int]] = []
    k = 0
    for a, b, control in pieces:
        if control:
            ids.append(tokenizer.convert_tokens_to_ids(rendered.text[a:b]))
            offsets.append((a, b))
        else:
            ids += enc["input_ids"][k]
            offsets += [(a + s, a + e) for s, e in enc["offset_mapping"][k]]
            k += 1
    spans = rendered.spans
    supervised = [any(a <= start < b for a, b in spans) and end > start for start, end in offsets]
    return Encoded(input_ids=ids, supervised=supervised)
