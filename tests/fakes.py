"""Test doubles shared by the tests: two sandbox tools, a scripted model and a one-call training row."""

from __future__ import annotations

from toolsmith.shared.chat import Rendered
from toolsmith.shared.constants import STOP_TOKENS, TRIGGER
from toolsmith.shared.llm import Generation
from toolsmith.shared.sandbox import current


def read_file(path: str) -> str:
    """Read a file in the sandbox.

    Args:
        path: Path relative to the sandbox root.
    """
    return current().path(path).read_text(encoding="utf-8")


def write_file(path: str, text: str) -> dict:
    """Replace a file's text in the sandbox.

    Args:
        path: Path relative to the sandbox root.
        text: The new text.
    """
    current().write(text, path)
    return {"written": len(text)}


class FakeModel:
    """Returns preset outputs (a list, or a function of the turn index; an output is its text, or (text, stopped))
    and records every prompt's text."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.prompts: list[str] = []
        self.reuse: list[bool] = []
        self.grammars: list[str | None] = []
        self.avoids: list = []  # the avoid predicate each call got (None when the last step did not fail)
        self.blames: list[tuple[str, ...]] = []

    def generate(
        self,
        prompt: Rendered,
        max_tokens: int = 256,
        reuse_cache: bool = True,
        temperature: float = 0.0,
        top_p: float = 1.0,
        grammar: str | None = None,
        avoid=None,
        blame: tuple[str, ...] = (),
    ) -> Generation:
        i = len(self.prompts)
        self.grammars.append(grammar)
        self.avoids.append(avoid)
        self.blames.append(blame)
        self.prompts.append(prompt.text)
        self.reuse.append(reuse_cache)
        text = self.outputs(i) if callable(self.outputs) else self.outputs[i]
        if isinstance(text, tuple):  # (text, why it stopped), e.g. a call the grammar closed at max_tokens
            text, stopped = text
        else:
            stopped = "stop_token" if text.endswith(STOP_TOKENS) else "max_tokens"
        return Generation(text, len(prompt.text), len(prompt.text), len(text), 0.001, stopped)

    def call_grammar(self, schemas: list[dict]) -> str:
        """The call grammar for made-up control-token ids (this model only records it)."""
        from toolsmith.shared.constants import CONTROL_TOKENS
        from toolsmith.shared.grammar import call_grammar

        return call_grammar(schemas, {t: i for i, t in enumerate(CONTROL_TOKENS, 100)})

    def tokenize(self, prompt: Rendered) -> list[int]:
        """One id per 4 characters (a rough tokenizer: enough to check the context limit)."""
        return [0] * (len(prompt.text) // 4)


def one_call_row(schema: dict, user: str, arguments: dict, result: dict, answer: str) -> dict:
    """A training row: the user asks, the model calls one tool, reads its result and answers.

    Args:
        schema: The tool's schema (``tool_schema``).
        user: The user's message.
        arguments: The call's arguments.
        result: The tool's response.
        answer: The model's final text.

    Returns:
        The row (``messages`` and ``tools``).
    """
    name = schema["function"]["name"]
    call = {"type": "function", "function": {"name": name, "arguments": arguments}}
    return {
        "messages": [
            {"role": "developer", "content": TRIGGER},
            {"role": "user", "content": user},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "name": name, "content": result},
            {"role": "assistant", "content": answer},
        ],
        "tools": [schema],
    }
