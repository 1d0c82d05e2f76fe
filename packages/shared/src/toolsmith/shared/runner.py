"""Run a FunctionGemma agent on a file, a function/class, or a folder: generate, parse, call tools, repeat.

One run works on a sandboxed copy of one file (:func:`toolsmith.shared.sandbox.open_sandbox`). Each turn
renders the whole conversation with the project template (no llama.cpp chat handler), lets the model
write until ``<start_function_response>`` / ``<end_of_turn>``, parses the calls, checks their arguments
against the tool schemas, runs the tools (in a worker thread, with a time limit) and appends the call and
its response so the model continues inside the same model turn. The run ends when the terminal tool
succeeds (its arguments are the submitted result), when the model answers in text, when too many
consecutive steps fail, or after ``max_turns`` generations.

Failures are data, never crashes. How they appear in the conversation (and so in the transcript, which
stays a valid training example for :func:`toolsmith.shared.data.check_example`):

* A well-formed call to a declared tool that cannot be carried out (arguments that do not match the
  schema, a tool that raises, a tool that times out) is kept as an assistant ``tool_calls`` message and
  answered in the same model turn by ``{"role": "tool", "name": NAME, "content": {"error": "expected ..., got ..."}}``.
* Output that cannot be run as calls (a parse error, a call to an undeclared tool, empty output,
  text cut off at ``max_tokens``, ``<start_function_response>`` with no call before it) is kept as an assistant
  text message holding the raw output (minus the stop token; left out when empty), followed by
  ``{"role": "user", "content": "error: expected ..., got ..."}``; the model then answers in a new turn.

The model gets ``max_retries`` consecutive failed steps for free; one more ends the run as ``failed``.
"""

from __future__ import annotations

import ast
import contextvars
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from toolsmith.shared.agent import AgentSpec, Message
from toolsmith.shared.chat import render
from toolsmith.shared.constants import END_OF_TURN, EOS, START_FUNCTION_RESPONSE
from toolsmith.shared.llm import Generation
from toolsmith.shared.parse import FunctionCall, parse_output
from toolsmith.shared.sandbox import Sandbox, open_sandbox
from toolsmith.shared.tools import check_arguments

log = logging.getLogger(__name__)

Status = Literal["success", "failed", "turn_limit"]
STATUSES: tuple[Status, ...] = ("success", "failed", "turn_limit")
USER_ERROR_PREFIX = "error: "
_STOPS = (START_FUNCTION_RESPONSE, END_OF_TURN, EOS)
_DEF_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_LINE_BREAKS = ("\x85", "\u2028", "\u2029")


class Model(Protocol):
    """What the runner needs from a model: :class:`toolsmith.shared.llm.GGUFModel` or a scripted fake."""

    def generate(
        self, prompt: str, max_tokens: int = 256, reuse_cache: bool = True, temperature: float = 0.0, top_p: float = 1.0
    ) -> Generation:
        """Write after ``prompt`` until a stop sequence; return the text with its stop token."""
        ...


# --------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One unit of work: a file, or one function/class (``symbol``, dotted for methods) inside it."""

    path: Path
    symbol: str | None = None

    def __str__(self) -> str:
        return f"{self.path}::{self.symbol}" if self.symbol else str(self.path)


def find_symbol(tree: ast.Module, name: str) -> ast.AST | None:
    """The function or class ``name`` (``Outer.inner`` for nested ones) in ``tree``, or None."""
    body: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(n, _DEF_NODES) and n.name == part), None)
        if node is None:
            return None
        body = node.body  # type: ignore[attr-defined]
    return node


def symbol_source(text: str, name: str, where: Path | str = "<source>") -> str:
    """The source of function/class ``name`` in ``text``, decorators included.

    Raises:
        ValueError: Naming ``where`` when the text does not parse or has no such symbol.
    """
    tree = _parse_python(text, where)
    node = find_symbol(tree, name)
    if node is None:
        found = [n.name for n in tree.body if isinstance(n, _DEF_NODES)]
        raise ValueError(f"{where}: expected a function or class named {name!r}, got none (top level: {found})")
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])  # type: ignore[attr-defined]
    lines = text.splitlines(keepends=True)
    return "".join(lines[first - 1 : node.end_lineno])  # type: ignore[attr-defined]


def _parse_python(text: str, where: Path | str) -> ast.Module:
    try:
        return ast.parse(text, filename=str(where))
    except SyntaxError as e:
        raise ValueError(f"{where}:{e.lineno}: expected Python that parses, got {e.msg}") from None


def _skipped(rel: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in rel.parts)


def resolve_targets(target: str | Path) -> list[Target]:
    """Expand a command-line target.

    Args:
        target: ``path.py`` (the whole file), ``path.py::name`` (one function or class, ``A.b`` for a
            method), or a directory: every top-level function and class of every ``.py`` file under it
            (hidden folders and ``__pycache__`` skipped), files sorted by path, symbols in source order.

    Returns:
        The targets, in the order they run.

    Raises:
        FileNotFoundError: No such file or directory.
        ValueError: Naming the file when ``name`` is not in it, or a directory holds no symbols.
    """
    text = str(target)
    if "::" in text:
        file_part, _, name = text.partition("::")
        path = Path(file_part)
        if not path.is_file():
            raise FileNotFoundError(f"expected a file before '::', got {file_part!r} (no such file)")
        if not name:
            raise ValueError(f"{path}: expected a function or class name after '::', got nothing")
        symbol_source(path.read_text(encoding="utf-8"), name, path)
        return [Target(path, name)]
    path = Path(text)
    if path.is_file():
        return [Target(path)]
    if not path.is_dir():
        raise FileNotFoundError(f"expected a file, path.py::name or a directory, got {text!r} (no such path)")
    targets: list[Target] = []
    files = sorted(
        (p for p in path.rglob("*.py") if p.is_file() and not _skipped(p.relative_to(path))),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    for f in files:
        try:
            tree = _parse_python(f.read_text(encoding="utf-8"), f)
        except ValueError as e:  # UnicodeDecodeError is a ValueError too
            log.warning("skipping %s: %s", f, e)
            continue
        names = dict.fromkeys(n.name for n in tree.body if isinstance(n, _DEF_NODES))
        targets.extend(Target(f, name) for name in names)
    if not targets:
        raise ValueError(f"{path}: expected .py files with top-level functions or classes, got none")
    return targets


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CallRecord:
    """One executed (or rejected) call.

    Attributes:
        name: The tool called.
        arguments: The parsed arguments.
        result: What the model was sent as the response (``{"error": ...}`` on failure).
        error: The failure, or None.
        seconds: Tool wall time (0 when it did not run).
    """

    name: str
    arguments: dict[str, Any]
    result: Any
    error: str | None
    seconds: float


@dataclass(frozen=True)
class Step:
    """One generation and what came of it.

    Attributes:
        turn: 1-based generation number.
        raw: The model text, control and stop tokens kept.
        stopped: ``stop_token``, ``max_tokens`` or ``context`` (from the model).
        calls: The calls carried out or rejected (empty for text and unparseable output).
        error: Why the step failed (it counts towards ``max_retries``), or None.
        answer: The text answer, when the model answered in text.
        generation_s: Generation wall time.
        prompt_tokens: Prompt length in tokens.
        evaluated_tokens: Prompt tokens evaluated (the rest came from the KV cache).
        new_tokens: Tokens generated.
    """

    turn: int
    raw: str
    stopped: str
    calls: tuple[CallRecord, ...]
    error: str | None
    answer: str | None
    generation_s: float
    prompt_tokens: int
    evaluated_tokens: int
    new_tokens: int

    @property
    def tool_s(self) -> float:
        """Tool wall time of this step."""
        return sum(c.seconds for c in self.calls)

    @property
    def call(self) -> CallRecord | None:
        """The first call, if any."""
        return self.calls[0] if self.calls else None


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes:
        target: What was worked on (``path`` or ``path::symbol``).
        status: ``success``, ``failed`` or ``turn_limit``.
        reason: One sentence on why the run ended.
        turns: Generations made.
        steps: One per generation.
        submitted: The terminal tool's arguments when it was called successfully, else None.
        answer: The text answer when the model answered in text, else None.
        diff: Unified diff from the user's file to the sandbox copy at the end.
        final_text: The sandbox copy's text at the end (None if unreadable).
        applied: Whether the user's file was overwritten.
        transcript: The JSONL file the run was appended to.
        messages: The full conversation (as written to the transcript).
        seconds: Wall time of the run.
    """

    target: str
    status: Status
    reason: str
    turns: int
    steps: list[Step]
    submitted: dict[str, Any] | None
    answer: str | None
    diff: str
    final_text: str | None
    applied: bool
    transcript: Path | None
    messages: list[Message] = field(repr=False)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True on ``success``."""
        return self.status == "success"


# ------------------------------------------------------------------------------------------------ loop


def default_transcript_path(domain: str, now: datetime | None = None) -> Path:
    """``runs/<domain>/<timestamp>.jsonl`` under the current directory."""
    now = now or datetime.now()
    return Path("runs") / domain / f"{now.strftime('%Y%m%d-%H%M%S')}.jsonl"


def user_error(reason: str) -> str:
    """The user message that answers unusable output."""
    return USER_ERROR_PREFIX + reason


def _strip_stop(raw: str) -> tuple[str, str | None]:
    for stop in _STOPS:
        if raw.endswith(stop):
            return raw[: -len(stop)], stop
    return raw, None


def _jsonable(value: Any) -> Any:
    """A tool result as sent to the model and written to JSON (strings stay strings)."""
    if isinstance(value, str):
        return value
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def _error_text(e: BaseException) -> str:
    if isinstance(e, ValueError) and str(e):
        return str(e)
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _call_tool(fn: Callable[..., Any], arguments: dict[str, Any], timeout_s: float) -> tuple[Any, str | None]:
    """Run ``fn(**arguments)`` in a daemon thread that sees the current sandbox; give up after ``timeout_s``.

    A tool that times out keeps running in its thread (Python threads cannot be killed); its subprocesses
    are bounded by the sandbox's own timeout.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(**arguments)
        except BaseException as e:  # noqa: BLE001 - a tool failure of any kind is data for the model
            box["error"] = e

    ctx = contextvars.copy_context()
    worker = threading.Thread(target=ctx.run, args=(work,), daemon=True, name=f"toolsmith-tool-{fn.__name__}")
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        log.warning("tool %s still running after %.3gs; leaving its thread behind", fn.__name__, timeout_s)
        return None, f"expected {fn.__name__} to finish within {timeout_s:g}s, got no result (timed out)"
    if "error" in box:
        return None, _error_text(box["error"])
    return _jsonable(box.get("value")), None


class _Loop:
    """The state of one run inside its sandbox."""

    def __init__(
        self,
        spec: AgentSpec,
        model: Model,
        messages: list[Message],
        *,
        reuse_cache: bool,
        max_turns: int,
        on_step: Callable[[Step], None] | None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.messages = messages
        self.reuse_cache = reuse_cache
        self.max_turns = max_turns
        self.on_step = on_step
        self.schema_by_name = {s["function"]["name"]: s for s in spec.schemas}
        self.steps: list[Step] = []
        self.submitted: dict[str, Any] | None = None
        self.answer: str | None = None

    def run(self) -> tuple[Status, str]:
        failures = 0
        while len(self.steps) < self.max_turns:
            prompt = render(self.messages, self.spec.schemas, add_generation_prompt=True)
            try:
                gen = self.model.generate(
                    prompt,
                    max_tokens=self.spec.max_tokens,
                    reuse_cache=self.reuse_cache,
                    temperature=self.spec.temperature,
                    top_p=self.spec.top_p,
                )
            except Exception as e:  # noqa: BLE001 - e.g. a prompt over n_ctx: the run cannot go on
                log.warning("model error at turn %d: %s", len(self.steps) + 1, e)
                return "failed", f"model error at turn {len(self.steps) + 1}: {_error_text(e)}"
            step = self._step(len(self.steps) + 1, gen)
            self.steps.append(step)
            log.debug("turn %d: %r -> %s", step.turn, step.raw, step.error or "ok")
            if self.on_step is not None:
                self.on_step(step)
            if self.submitted is not None:
                return "success", f"submitted through {self.spec.terminal_tool} at turn {step.turn}"
            if self.answer is not None:
                return "success", f"answered in text at turn {step.turn}"
            failures = failures + 1 if step.error else 0
            if failures > self.spec.max_retries:
                return "failed", (
                    f"{failures} consecutive failed steps (max_retries={self.spec.max_retries}); last: {step.error}"
                )
        return "turn_limit", f"expected a submission within max_turns={self.max_turns} generations, got none"

    def _step(self, turn: int, gen: Generation) -> Step:
        raw = gen.text
        parsed = parse_output(raw)
        body, stop = _strip_stop(raw)
        calls: tuple[CallRecord, ...] = ()
        answer: str | None = None
        error: str | None
        if parsed.errors:
            error = (
                f"expected a well-formed function call, got a {parsed.errors[0].kind} error: {parsed.errors[0].message}"
            )
        elif not parsed.calls:
            error = None
            if not body.strip():
                error = "expected a function call or a text answer, got empty output"
            elif stop is None:
                error = f"expected the output to end within max_tokens={self.spec.max_tokens}, got it cut off"
            elif stop == START_FUNCTION_RESPONSE:
                error = "expected a function call before the function response, got text only"
            elif not parsed.text:
                error = "expected a function call or a text answer, got only control tokens"
            else:
                answer = parsed.text
        else:
            unknown = [c.name for c in parsed.calls if c.name not in self.schema_by_name]
            if unknown:
                error = f"expected a call to one of {sorted(self.schema_by_name)}, got {unknown[0]!r}"
            else:
                calls, error = self._run_calls(parsed.calls)
        if answer is not None:
            self.messages.append({"role": "assistant", "content": body})
            self.answer = answer
        elif not calls and error is not None:
            if body:
                self.messages.append({"role": "assistant", "content": body})
            self.messages.append({"role": "user", "content": user_error(error)})
        return Step(
            turn=turn,
            raw=raw,
            stopped=gen.stopped,
            calls=calls,
            error=error,
            answer=answer,
            generation_s=gen.seconds,
            prompt_tokens=gen.prompt_tokens,
            evaluated_tokens=gen.evaluated_tokens,
            new_tokens=gen.new_tokens,
        )

    def _run_calls(self, parsed: tuple[FunctionCall, ...]) -> tuple[tuple[CallRecord, ...], str | None]:
        """Run calls in order up to the terminal one; each gets a tool message. Returns records, first error."""
        terminal = self.spec.terminal_tool
        kept = list(parsed)
        for i, c in enumerate(parsed):
            if c.name == terminal:
                kept = kept[: i + 1]
                break
        if len(kept) < len(parsed):
            log.debug("ignoring %d call(s) after %s", len(parsed) - len(kept), terminal)
        self.messages.append(
            {
                "role": "assistant",
                "tool_calls": [
                    {"type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in kept
                ],
            }
        )
        records: list[CallRecord] = []
        first_error: str | None = None
        for c in kept:
            problems = check_arguments(self.schema_by_name[c.name], c.arguments)
            seconds = 0.0
            if problems:
                result, err = None, "; ".join(problems)
            else:
                start = time.perf_counter()
                result, err = _call_tool(self.spec.tool_by_name[c.name], dict(c.arguments), self.spec.tool_timeout_s)
                seconds = time.perf_counter() - start
            content = {"error": err} if err is not None else result
            self.messages.append({"role": "tool", "name": c.name, "content": content})
            records.append(CallRecord(c.name, dict(c.arguments), content, err, seconds))
            if err is not None and first_error is None:
                first_error = f"{c.name}: {err}"
            if c.name == terminal and err is None:
                self.submitted = dict(c.arguments)
        return tuple(records), first_error


def _code_for(box: Sandbox, target: Target) -> str:
    text = box.read()
    return symbol_source(text, target.symbol, target.path) if target.symbol else text


def run_agent(
    spec: AgentSpec,
    model: Model,
    target: Target | str | Path,
    *,
    apply: bool = False,
    reuse_cache: bool = True,
    max_turns: int | None = None,
    transcript: Path | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> RunResult:
    """Run the agent once on one file or one function/class.

    Args:
        spec: The agent (:func:`toolsmith.shared.agent.load_agent`).
        model: Anything with :meth:`Model.generate` (a ``GGUFModel`` in real use).
        target: A :class:`Target`, ``path.py`` or ``path.py::name`` (use :func:`run_targets` for folders).
        apply: After a ``success`` run, write the sandbox copy over the user's file (atomically).
        reuse_cache: Pass ``reuse_cache`` to the model (KV reuse of the shared prompt prefix).
        max_turns: Override ``spec.max_turns`` (most generations).
        transcript: JSONL file the run is appended to (default :func:`default_transcript_path`).
        on_step: Called after each step (for live traces).

    Returns:
        The result; model mistakes and tool failures end up in it, never as exceptions.

    Raises:
        ValueError / FileNotFoundError: A bad target (naming the file); OSError if the transcript cannot be written.
    """
    if not isinstance(target, Target):
        found = resolve_targets(target)
        if len(found) != 1 or Path(str(target)).is_dir():
            raise ValueError(f"expected one file or path.py::name, got {str(target)!r}; use run_targets for folders")
        target = found[0]
    turns_allowed = max_turns if max_turns is not None else spec.max_turns
    if turns_allowed <= 0:
        raise ValueError(f"expected max_turns > 0, got {turns_allowed}")
    transcript = Path(transcript) if transcript is not None else default_transcript_path(spec.domain)
    started = time.perf_counter()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with open_sandbox(target.path, symbol=target.symbol, timeout_s=spec.tool_timeout_s) as box:
        before = box.original.read_text(encoding="utf-8")
        messages = spec.first_messages(box.rel_target, _code_for(box, target), target.symbol)
        loop = _Loop(spec, model, messages, reuse_cache=reuse_cache, max_turns=turns_allowed, on_step=on_step)
        status, reason = loop.run()
        try:
            diff, final_text = box.diff(), box.read()
        except (OSError, ValueError) as e:
            diff, final_text = "", None
            if status == "success":
                status, reason = "failed", f"expected {box.rel_target} to stay a readable UTF-8 file, got {e}"
        applied = False
        if apply and status == "success":
            try:
                if box.original.read_text(encoding="utf-8") != before:
                    raise OSError(f"expected {target.path} unchanged since the run started, got it edited")
                applied = box.apply()
            except (OSError, ValueError) as e:
                log.warning("not applying to %s: %s", target.path, e)
                status, reason = "failed", f"{reason}; could not apply: {e}"
    seconds = time.perf_counter() - started
    result = RunResult(
        target=str(target),
        status=status,
        reason=reason,
        turns=len(loop.steps),
        steps=loop.steps,
        submitted=loop.submitted,
        answer=loop.answer,
        diff=diff,
        final_text=final_text,
        applied=applied,
        transcript=transcript,
        messages=messages,
        seconds=seconds,
    )
    _write_transcript(transcript, spec, model, result, reuse_cache=reuse_cache, created=created)
    log.debug("%s: %s (%s)", result.target, status, reason)
    return result


def run_targets(spec: AgentSpec, model: Model, target: str | Path, **kwargs: Any) -> list[RunResult]:
    """Run once per target of :func:`resolve_targets` (one transcript file for all); ``kwargs`` as :func:`run_agent`."""
    if kwargs.get("transcript") is None:
        kwargs["transcript"] = default_transcript_path(spec.domain)
    return [run_agent(spec, model, t, **kwargs) for t in resolve_targets(target)]


def transcript_row(spec: AgentSpec, result: RunResult, **meta: Any) -> dict[str, Any]:
    """The training-example row of a run: ``{"messages", "tools", "meta"}``."""
    steps = [
        {
            "turn": s.turn,
            "raw": s.raw,
            "stopped": s.stopped,
            "error": s.error,
            "calls": [{"name": c.name, "error": c.error, "seconds": round(c.seconds, 6)} for c in s.calls],
            "generation_s": round(s.generation_s, 6),
            "tool_s": round(s.tool_s, 6),
            "prompt_tokens": s.prompt_tokens,
            "evaluated_tokens": s.evaluated_tokens,
            "new_tokens": s.new_tokens,
        }
        for s in result.steps
    ]
    return {
        "messages": _jsonable(result.messages),
        "tools": spec.schemas,
        "meta": {
            "domain": spec.domain,
            "status": result.status,
            "reason": result.reason,
            "target": result.target,
            "turns": result.turns,
            "submitted": _jsonable(result.submitted),
            "answer": result.answer,
            "diff": result.diff,
            "applied": result.applied,
            **meta,
            "timings": {
                "total_s": round(result.seconds, 6),
                "generation_s": round(sum(s.generation_s for s in result.steps), 6),
                "tool_s": round(sum(s.tool_s for s in result.steps), 6),
                "prompt_tokens": sum(s.prompt_tokens for s in result.steps),
                "evaluated_tokens": sum(s.evaluated_tokens for s in result.steps),
                "new_tokens": sum(s.new_tokens for s in result.steps),
            },
            "steps": steps,
        },
    }


def _write_transcript(path: Path, spec: AgentSpec, model: Model, result: RunResult, **meta: Any) -> None:
    model_name = str(getattr(model, "path", type(model).__name__))
    row = transcript_row(spec, result, model=model_name, **meta)
    line = json.dumps(row, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them as \\u escapes
        line = json.dumps(row)
    for ch in _LINE_BREAKS:  # str.splitlines() breaks on these; json leaves them raw without ensure_ascii
        line = line.replace(ch, f"\\u{ord(ch):04x}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


# ---------------------------------------------------------------------------------------------- traces


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_step(step: Step) -> str:
    """A readable trace of one step (for the CLI; the library itself never prints)."""
    cached = step.prompt_tokens - step.evaluated_tokens
    lines = [
        f"[{step.turn}] {step.generation_s:.2f}s  {step.prompt_tokens} prompt tok ({cached} cached), "
        f"{step.new_tokens} new, {step.stopped}"
    ]
    for c in step.calls:
        lines.append(f"    call {c.name}({_short(c.arguments, 120)})  [{c.seconds:.2f}s]")
        lines.append(f"      -> {_short(c.result)}")
    if step.answer is not None:
        lines.append(f"    answer: {_short(step.answer, 400)}")
    if step.error and not step.calls:
        lines.append(f"    raw: {_short(step.raw)}")
    if step.error:
        lines.append(f"    ! {step.error}")
    return "\n".join(lines)


def format_result(result: RunResult) -> str:
    """Status, submission, diff and transcript of a run, readable."""
    lines = [f"status: {result.status} ({result.reason}); {result.turns} turns, {result.seconds:.2f}s"]
    if result.submitted is not None:
        lines.append(f"submitted: {_short(result.submitted, 400)}")
    lines.append(result.diff.rstrip("\n") if result.diff else "(no changes)")
    if result.applied:
        lines.append(f"applied to {result.target.partition('::')[0]}")
    elif result.diff and result.status == "success":
        lines.append("not applied (use --apply to write it)")
    if result.transcript is not None:
        lines.append(f"transcript: {result.transcript}")
    return "\n".join(lines)
