"""Agent definitions: ``agents/<domain>/agent.yaml``, validated, with tools resolved from the domain package.

The generator, the evaluator and the runner all build their first messages with
:meth:`AgentSpec.first_messages`, so training prompts and run-time prompts are the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from toolsmith.shared.constants import AGENT_FILE, GGUF_NAME, TARGET_UNITS

Message = dict[str, Any]


class AgentSpecError(ValueError):
    """A bad agent definition; the message names the file and the field."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent.

    Attributes:
        domain: The domain package (``toolsmith.<domain>``).
        source: The YAML file it came from.
        model: The GGUF path (relative paths are relative to the YAML's folder).
        system_prompt: Developer-turn text; the tool declarations follow it directly.
        context_template: Jinja2 template of the user turn; sees ``path``, ``symbol``, ``code``.
        tools: The typed tool functions, in declaration order.
        terminal_tool: The tool whose call ends the run.
        outputs: Files tools may create, relative to the project, with ``{module}`` (the target file's stem) and
            ``{symbol}`` (the function/class, dots as ``_``; else the stem) filled in. An agent that declares
            outputs never changes the target itself.
        target_units: What a file or folder target is split into, one run each: ``file``, ``functions``,
            ``classes`` or ``definitions`` (functions, classes and methods).
        max_turns: Most model generations in one run.
        max_retries: Most consecutive failed steps (bad output, bad call, tool error) before failing.
        tool_timeout_s: Time limit for one tool call (subprocesses included).
        temperature: 0 is greedy.
        top_p: Nucleus bound when sampling.
        max_tokens: Most new tokens in one generation.
        grammar: Constrain every generation to one well-formed call to a declared tool with schema-valid
            arguments (a GBNF grammar from the tool schemas, :mod:`toolsmith.shared.grammar`).
        jump_forward: Under the grammar, append what it leaves no choice about (the call's opening, the rest of a
            tool name or key, the end of the call) without a decoding step of the model
            (:func:`toolsmith.shared.grammar.forced_text`).
        n_ctx: llama.cpp context size.
    """

    domain: str
    source: Path
    model: Path
    system_prompt: str
    context_template: str
    tools: tuple[Callable[..., Any], ...]
    terminal_tool: str
    outputs: tuple[str, ...] = ()
    target_units: str = "file"
    max_turns: int = 12
    max_retries: int = 2
    tool_timeout_s: float = 30.0
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    grammar: bool = False
    jump_forward: bool = True
    n_ctx: int = 4096

    @property
    def edits_target(self) -> bool:
        """Whether tools may change the target: agents that create outputs leave it as it is."""
        return not self.outputs

    @cached_property
    def schemas(self) -> list[dict[str, Any]]:
        """Tool JSON schemas, from the functions."""
        from toolsmith.shared.tools import tool_schema

        return [tool_schema(fn) for fn in self.tools]

    @cached_property
    def tool_by_name(self) -> dict[str, Callable[..., Any]]:
        """Tool functions by name."""
        return {fn.__name__: fn for fn in self.tools}

    def first_messages(self, path: str, code: str = "", symbol: str | None = None) -> list[Message]:
        """The developer and user messages that open every run (and every training example)."""
        from jinja2 import StrictUndefined, Template

        user = Template(self.context_template, undefined=StrictUndefined, keep_trailing_newline=False).render(
            path=path, symbol=symbol, code=code
        )
        return [{"role": "developer", "content": self.system_prompt}, {"role": "user", "content": user}]


_FIELDS = {
    "model": str,
    "system_prompt": str,
    "context_template": str,
    "tools": list,
    "terminal_tool": str,
    "outputs": list,
    "target_units": str,
    "max_turns": int,
    "max_retries": int,
    "tool_timeout_s": (int, float),
    "sampling": dict,
    "n_ctx": int,
}
_SAMPLING = {
    "temperature": (int, float),
    "top_p": (int, float),
    "max_tokens": int,
    "grammar": bool,
    "jump_forward": bool,
}


def load_agent(domain: str, path: Path | None = None, tools: tuple[Callable[..., Any], ...] | None = None) -> AgentSpec:
    """Load and validate ``agents/<domain>/agent.yaml``.

    Args:
        domain: Domain name.
        path: The YAML file (default: ``agents/<domain>/agent.yaml`` under the checkout).
        tools: The domain's tool functions (default: ``toolsmith.<domain>.TOOLS``).

    Raises:
        AgentSpecError: Naming the file and the field.
    """
    import yaml
    from jinja2 import Environment, TemplateSyntaxError

    from toolsmith.shared.domain import agent_dir, load_domain

    path = Path(path) if path else agent_dir(domain) / AGENT_FILE

    def bad(field_name: str, expected: str, got: Any) -> AgentSpecError:
        return AgentSpecError(f"{path}: field {field_name!r}: expected {expected}, got {got!r:.100}")

    if not path.is_file():
        raise AgentSpecError(f"{path}: expected an agent definition, got no such file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise AgentSpecError(f"{path}{where}: expected valid YAML, got {e}") from None
    if not isinstance(raw, dict):
        raise AgentSpecError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise bad(unknown[0], f"one of {sorted(_FIELDS)}", unknown[0])
    for name in ("system_prompt", "context_template", "tools", "terminal_tool"):
        if name not in raw:
            raise bad(name, "a value", None)
    for name, typ in _FIELDS.items():
        if name in raw and (not isinstance(raw[name], typ) or isinstance(raw[name], bool)):
            raise bad(name, f"a {typ}", raw[name])
    for name in ("max_turns", "n_ctx", "tool_timeout_s"):
        if name in raw and raw[name] <= 0:
            raise bad(name, "a positive number", raw[name])
    if raw.get("max_retries", 0) < 0:
        raise bad("max_retries", "a number >= 0", raw["max_retries"])
    sampling = raw.get("sampling", {})
    for key, value in sampling.items():
        if key in ("grammar", "jump_forward"):
            if not isinstance(value, bool):
                raise bad(f"sampling.{key}", "true or false", value)
        elif key not in _SAMPLING or not isinstance(value, _SAMPLING[key]) or isinstance(value, bool) or value < 0:
            raise bad(f"sampling.{key}", f"one of {sorted(_SAMPLING)} with a non-negative number", value)
    try:
        Environment().parse(raw["context_template"])
    except TemplateSyntaxError as e:
        raise bad(
            "context_template", f"a Jinja2 template ({e.message}, line {e.lineno})", raw["context_template"]
        ) from None
    available = tools if tools is not None else tuple(load_domain(domain).TOOLS)
    by_name = {fn.__name__: fn for fn in available}
    resolved = []
    for name in raw["tools"]:
        if name not in by_name:
            raise bad("tools", f"names from toolsmith.{domain} ({sorted(by_name)})", name)
        resolved.append(by_name[name])
    if raw["terminal_tool"] not in raw["tools"]:
        raise bad("terminal_tool", f"one of tools {raw['tools']}", raw["terminal_tool"])
    outputs = raw.get("outputs", [])
    for out in outputs:
        if not isinstance(out, str) or not out or Path(out).is_absolute() or ".." in Path(out).parts:
            raise bad("outputs", "relative paths inside the project", out)
        try:
            out.format(module="m", symbol="s")
        except (KeyError, IndexError, ValueError) as e:
            raise bad("outputs", f"paths with only {{module}} and {{symbol}} placeholders ({e})", out) from None
    if raw.get("target_units", "file") not in TARGET_UNITS:
        raise bad("target_units", f"one of {TARGET_UNITS}", raw["target_units"])
    model = Path(raw.get("model", f"models/{GGUF_NAME.format(domain=domain)}"))
    return AgentSpec(
        domain=domain,
        source=path,
        model=model if model.is_absolute() else path.parent / model,
        system_prompt=raw["system_prompt"],
        context_template=raw["context_template"],
        tools=tuple(resolved),
        terminal_tool=raw["terminal_tool"],
        outputs=tuple(outputs),
        target_units=raw.get("target_units", "file"),
        max_turns=raw.get("max_turns", 12),
        max_retries=raw.get("max_retries", 2),
        tool_timeout_s=float(raw.get("tool_timeout_s", 30.0)),
        temperature=float(sampling.get("temperature", 0.0)),
        top_p=float(sampling.get("top_p", 1.0)),
        max_tokens=int(sampling.get("max_tokens", 256)),
        grammar=bool(sampling.get("grammar", False)),
        jump_forward=bool(sampling.get("jump_forward", True)),
        n_ctx=raw.get("n_ctx", 4096),
    )
