"""Run a FunctionGemma agent on a file, a function/class, or a folder: generate, parse, call tools, repeat.

One run works on a sandboxed copy of the target's project (:func:`toolsmith.shared.sandbox.open_sandbox`). Each
turn renders the whole conversation with the project template (no llama.cpp chat handler), lets the model write
until ``<start_function_response>`` / ``<end_of_turn>``, parses the calls, and runs them in the tool host (a child
process; a call that outlives ``tool_timeout_s`` is stopped with everything it started), which checks the
arguments against the tool schemas first. The call and its response are appended so the model continues inside
the same model turn. The run succeeds only when the terminal tool accepts a submission; it fails when too many
consecutive steps fail, and ends at ``max_turns`` generations.

Failures are data, never crashes. How they appear in the conversation (and so in the transcript, which
stays a valid training example for :func:`toolsmith.shared.data.check_example`):

* A well-formed call to a declared tool that cannot be carried out (arguments that do not match the
  schema, a tool that raises, a tool that times out, a call the loop guard refuses) is kept as an assistant
  ``tool_calls`` message and answered in the same model turn by
  ``{"role": "tool", "name": NAME, "content": {"error": "expected ..., got ..."}}``.
* Output that cannot be run as calls (a parse error, a call to an undeclared tool, empty output, text cut off at
  ``max_tokens``, a call the grammar had to close at ``max_tokens``, ``<start_function_response>`` with no call
  before it, a text answer instead of the terminal call) is kept as an assistant text message holding the raw output
  (minus the stop token; left out when empty), followed by ``{"role": "user", "content": "error: expected ..., got
  ..."}``; the model then answers in a new turn.

The model gets ``max_retries`` consecutive failed steps for free; one more ends the run as ``failed``.
The loop guard (:mod:`toolsmith.shared.loopguard`) never re-runs a call that just failed and answers a repeat
that changed nothing with a no-progress error, so loops end in a submission or a failure, not at ``n_ctx``.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from toolsmith.shared.agent import AgentSpec, Message
from toolsmith.shared.chat import Rendered, render
from toolsmith.shared.constants import END_OF_TURN, EOS, START_FUNCTION_RESPONSE
from toolsmith.shared.llm import Generation
from toolsmith.shared.loopguard import LoopGuard
from toolsmith.shared.parse import FunctionCall, parse_output
from toolsmith.shared.sandbox import ApplyError, Sandbox, check_target, decode_source, open_sandbox
from toolsmith.shared.toolhost import ToolHost
from toolsmith.shared.tools import error_text, jsonable, response

log = logging.getLogger(__name__)

Status = Literal["success", "failed", "turn_limit"]
STATUSES: tuple[Status, ...] = ("success", "failed", "turn_limit")
USER_ERROR_PREFIX = "error: "
_STOPS = (START_FUNCTION_RESPONSE, END_OF_TURN, EOS)
_DEF_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNC_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
_GOT = re.compile(r"\bgot '([^']+)'|\bgot ([^\s,;()'\"]+)")  # errors say "expected X, got Y"


class Model(Protocol):
    """What the runner needs from a model: :class:`toolsmith.shared.llm.GGUFModel` or a scripted fake."""

    def generate(
        self,
        prompt: Rendered,
        max_tokens: int = 256,
        reuse_cache: bool = True,
        temperature: float = 0.0,
        top_p: float = 1.0,
        grammar: str | None = None,
        avoid: Callable[[str], bool] | None = None,
        blame: tuple[str, ...] = (),
    ) -> Generation:
        """Write after the rendered ``prompt`` until a stop sequence; return the text with its stop token.

        ``avoid`` is true for an output that just failed (the runner's own check): the model writes another, changing
        first what ``blame`` names (the values the last error said it got).
        """
        ...

    def call_grammar(self, schemas: list[dict[str, Any]]) -> str:
        """The grammar of one call to one of ``schemas``, for this model's control-token ids."""
        ...

    def tokenize(self, prompt: Rendered) -> list[int]:
        """The token ids of a rendered prompt (to check it fits the context before any work)."""
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


def read_source(path: Path) -> str:
    """A Python file's text in its declared encoding, newlines kept (errors name the file)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"{path}: expected a readable file, got {e.strerror}") from None
    return decode_source(data, str(path))


def units_of(path: Path, tree: ast.Module, units: str) -> list[Target]:
    """The targets one file is split into (see :data:`toolsmith.shared.agent.TARGET_UNITS`)."""
    if units == "file":
        return [Target(path)]
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, _FUNC_NODES) and units in ("functions", "definitions"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and units in ("classes", "definitions"):
            names.append(node.name)
            if units == "definitions":
                names += [f"{node.name}.{m.name}" for m in node.body if isinstance(m, _FUNC_NODES)]
    return [Target(path, name) for name in dict.fromkeys(names)]


def resolve_targets(target: str | Path, units: str = "file") -> list[Target]:
    """Expand a command-line target.

    Args:
        target: ``path.py::name`` (one function or class, ``A.b`` for a method), a file, or a directory (every
            ``.py`` file under it; hidden folders and ``__pycache__`` skipped; files sorted by path).
        units: What a file is split into: ``file`` (the whole file, module-level code included), ``functions``,
            ``classes`` or ``definitions`` (functions, classes and methods), in source order. Files that are not
            Python are always one unit.

    Returns:
        The targets, in the order they run. In a directory, links that lead outside it and files that cannot be
        read or parsed are skipped with a warning naming them.

    Raises:
        FileNotFoundError: No such file or directory.
        ValueError: Naming the file when ``name`` is not in it, a single file cannot be read, or a directory
            gives no targets.
    """
    text = str(target)
    if "::" in text:
        file_part, _, name = text.partition("::")
        path = Path(file_part)
        if not path.is_file():
            raise FileNotFoundError(f"expected a file before '::', got {file_part!r} (no such file)")
        if not name:
            raise ValueError(f"{path}: expected a function or class name after '::', got nothing")
        check_target(path)
        symbol_source(read_source(path), name, path)
        return [Target(path, name)]
    path = Path(text)
    if path.is_file():
        check_target(path)
        if path.suffix != ".py":
            return [Target(path)]
        found = units_of(path, _parse_python(read_source(path), path), units)
        if not found:
            raise ValueError(f"{path}: expected {units} to work on, got none")
        return found
    if not path.is_dir():
        raise FileNotFoundError(f"expected a file, path.py::name or a directory, got {text!r} (no such path)")
    targets: list[Target] = []
    top = path.resolve()
    files = sorted(
        (p for p in path.rglob("*.py") if p.is_file() and not _skipped(p.relative_to(path))),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    for f in files:
        if f.is_symlink():
            where = "outside the folder" if not f.resolve().is_relative_to(top) else "a link"
            log.warning("skipping %s: it is %s (%s); run on the file it points to", f, where, f.resolve())
            continue
        try:
            tree = _parse_python(read_source(f), f)
        except ValueError as e:  # undecodable or a syntax error: say so and go on
            log.warning("skipping %s", e)
            continue
        targets.extend(units_of(f, tree, units))
    if not targets:
        raise ValueError(f"{path}: expected .py files with {units} to work on, got none")
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
        stopped: ``stop_token``, ``max_tokens``, ``context`` or ``closed`` (from the model).
        calls: The calls carried out or rejected (empty for text and unparseable output).
        error: Why the step failed (it counts towards ``max_retries``), or None.
        answer: The text answer, when the model answered in text.
        generation_s: Generation wall time.
        prompt_tokens: Prompt length in tokens.
        evaluated_tokens: Prompt tokens evaluated (the rest came from the KV cache).
        new_tokens: Tokens generated.
        second_choice: True when the output is the model's second choice at a token instead of the one that had
            just failed (:meth:`toolsmith.shared.llm.GGUFModel.generate`'s ``avoid``).
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
    second_choice: bool = False

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
        submitted: The terminal tool's arguments when it accepted them, else None.
        answer: The last text answer the model wrote instead of a call, if any.
        diff: Unified diff of every file the run changed or created (new files from ``/dev/null``).
        final_text: The target's text in the sandbox at the end (None if unreadable).
        changes: Final text of every changed or created file, by path relative to the project.
        applied: Whether the user's files were written.
        written: The files written (relative to the project), when applied.
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
    changes: dict[str, str] = field(default_factory=dict, repr=False)
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True on ``success``."""
        return self.status == "success"


# ------------------------------------------------------------------------------------------------ loop


def default_transcript_path(domain: str, now: datetime | None = None) -> Path:
    """``runs/<domain>/<timestamp>.jsonl`` in the toolsmith checkout (git-ignored), wherever the command ran."""
    from toolsmith.shared.domain import repo_root

    now = now or datetime.now()
    return repo_root() / "runs" / domain / f"{now.strftime('%Y%m%d-%H%M%S')}.jsonl"


def user_error(reason: str) -> str:
    """The user message that answers unusable output."""
    return USER_ERROR_PREFIX + reason


def _blamed(step: Step) -> tuple[str, ...]:
    """The values a failed step's error says it got (``got 'x'``, ``got x``) that its output holds."""
    found = _GOT.findall(step.error or "")
    return tuple(dict.fromkeys(v for pair in found for v in pair if len(v) > 1 and v in step.raw))


def _strip_stop(raw: str) -> tuple[str, str | None]:
    for stop in _STOPS:
        if raw.endswith(stop):
            return raw[: -len(stop)], stop
    return raw, None


class _Loop:
    """The state of one run inside its sandbox."""

    def __init__(
        self,
        spec: AgentSpec,
        model: Model,
        messages: list[Message],
        host: ToolHost,
        *,
        reuse_cache: bool,
        max_turns: int,
        on_step: Callable[[Step], None] | None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.messages = messages
        self.host = host
        self.guard = LoopGuard(spec.terminal_tool)
        self.reuse_cache = reuse_cache
        self.max_turns = max_turns
        self.on_step = on_step
        self.schema_by_name = {s["function"]["name"]: s for s in spec.schemas}
        self.grammar = model.call_grammar(spec.schemas) if spec.grammar else None
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
                    grammar=self.grammar,
                    avoid=self._failed_again(failures) if failures else None,
                    blame=_blamed(self.steps[-1]) if failures else (),
                )
            except Exception as e:  # noqa: BLE001 - e.g. a prompt over n_ctx: the run cannot go on
                log.warning("model error at turn %d: %s", len(self.steps) + 1, e)
                return "failed", f"model error at turn {len(self.steps) + 1}: {error_text(e)}"
            step = self._step(len(self.steps) + 1, gen)
            self.steps.append(step)
            log.debug("turn %d: %r -> %s", step.turn, step.raw, step.error or "ok")
            if self.on_step is not None:
                self.on_step(step)
            if self.submitted is not None:
                return "success", f"submitted through {self.spec.terminal_tool} at turn {step.turn}"
            failures = failures + 1 if step.error else 0
            if failures > self.spec.max_retries:
                return "failed", (
                    f"{failures} consecutive failed steps (max_retries={self.spec.max_retries}); last: {step.error}"
                )
        return "turn_limit", f"expected a submission within max_turns={self.max_turns} generations, got none"

    def _failed_again(self, failures: int) -> Callable[[str], bool]:
        """True for the output of one of the last ``failures`` steps (they failed), or one with the call that just
        failed."""
        failed = {s.raw for s in self.steps[-failures:]}
        same_call = self.guard.just_failed()
        return lambda raw: raw in failed or any(same_call(c.name, dict(c.arguments)) for c in parse_output(raw).calls)

    def _step(self, turn: int, gen: Generation) -> Step:
        raw = gen.text
        parsed = parse_output(raw)
        body, stop = _strip_stop(raw)
        calls: tuple[CallRecord, ...] = ()
        answer: str | None = None
        error: str | None
        if gen.stopped == "closed":  # well-formed, but its values were cut where the budget ran out: never run
            error = f"expected the call to end within max_tokens={self.spec.max_tokens}, got it cut there (not run)"
        elif parsed.errors:
            error = (
                f"expected a well-formed function call, got a {parsed.errors[0].kind} error: {parsed.errors[0].message}"
            )
        elif not parsed.calls:
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
                error = f"expected a call to {self.spec.terminal_tool} to end the task, got a text answer"
        else:
            unknown = [c.name for c in parsed.calls if c.name not in self.schema_by_name]
            if unknown:
                error = f"expected a call to one of {sorted(self.schema_by_name)}, got {unknown[0]!r}"
            else:
                calls, error = self._run_calls(parsed.calls)
        if answer is not None:
            self.answer = answer
        if not calls and error is not None:
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
            second_choice=gen.second_choice is not None,
        )

    def _invoke(self, name: str, arguments: dict[str, Any]) -> tuple[Any, str | None]:
        return self.host.call(name, arguments, self.spec.tool_timeout_s)

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
            start = time.perf_counter()
            value, err = self.guard.call(c.name, dict(c.arguments), self._invoke)
            seconds = time.perf_counter() - start
            content = response(value, err)
            self.messages.append({"role": "tool", "name": c.name, "content": content})
            records.append(CallRecord(c.name, dict(c.arguments), content, err, seconds))
            if err is not None and first_error is None:
                first_error = f"{c.name}: {err}"
            if c.name == terminal and err is None:
                self.submitted = dict(c.arguments)
        return tuple(records), first_error


def _code_for(box: Sandbox, target: Target) -> str:
    text = box.read()
    return symbol_source(text, target.symbol, target.path) if target.symbol and target.path.suffix == ".py" else text


def run_agent(
    spec: AgentSpec,
    model: Model,
    target: Target | str | Path,
    *,
    apply: bool = False,
    overwrite: bool = False,
    reuse_cache: bool = True,
    max_turns: int | None = None,
    transcript: Path | None = None,
    on_step: Callable[[Step], None] | None = None,
    project: Path | None = None,
    host: ToolHost | None = None,
    isolated: bool = False,
) -> RunResult:
    """Run the agent once on one file or one function/class.

    Args:
        spec: The agent (:func:`toolsmith.shared.agent.load_agent`).
        model: Anything with :meth:`Model.generate` (a ``GGUFModel`` in real use).
        target: A :class:`Target`, ``path.py`` or ``path.py::name`` (use :func:`run_targets` for folders).
        apply: After a ``success`` run, write the changed and created files into the user's project (all or none).
        overwrite: With ``apply``, allow replacing an existing file that the agent creates.
        reuse_cache: Pass ``reuse_cache`` to the model (KV reuse of the shared prompt prefix).
        max_turns: Override ``spec.max_turns`` (most generations).
        transcript: JSONL file the run is appended to (default :func:`default_transcript_path`).
        on_step: Called after each step (for live traces).
        project: The project folder to copy (default: found from the target, see
            :func:`toolsmith.shared.sandbox.find_project`).
        host: A tool host of this agent's tools to reuse (:func:`tool_host`; one runs many targets faster); by
            default the run starts its own.
        isolated: Tools ignore the project's own tool configuration (e.g. its ruff config) and use their
            built-in settings.

    Returns:
        The result; model mistakes and tool failures end up in it, never as exceptions.

    Raises:
        ValueError / FileNotFoundError: A bad target (naming the file); OSError if the transcript cannot be written.
    """
    if not isinstance(target, Target):
        if Path(str(target)).is_dir():
            raise ValueError(f"expected one file or path.py::name, got {str(target)!r}; use run_targets for folders")
        found = resolve_targets(target)
        target = found[0]
    turns_allowed = max_turns if max_turns is not None else spec.max_turns
    if turns_allowed <= 0:
        raise ValueError(f"expected max_turns > 0, got {turns_allowed}")
    transcript = Path(transcript) if transcript is not None else default_transcript_path(spec.domain)
    started = time.perf_counter()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with open_sandbox(
        target.path,
        symbol=target.symbol,
        timeout_s=spec.tool_timeout_s,
        outputs=spec.outputs,
        edits_target=spec.edits_target,
        project=project,
        project_config=not isolated,
    ) as box:
        messages = spec.first_messages(box.rel_target, _code_for(box, target), target.symbol)
        first = len(model.tokenize(render(messages, spec.schemas, add_generation_prompt=True)))
        if first + spec.max_tokens > spec.n_ctx:
            raise ValueError(
                f"{target}: expected the task to fit the model's {spec.n_ctx}-token context, got {first} prompt "
                f"tokens before any work (+{spec.max_tokens} to write); run on a smaller file or function"
            )
        own = host is None
        tools = host if host is not None else tool_host(spec)
        try:
            tools.open(box)
            loop = _Loop(
                spec, model, messages, tools, reuse_cache=reuse_cache, max_turns=turns_allowed, on_step=on_step
            )
            status, reason = loop.run()
        finally:
            if own:
                tools.__exit__()
        try:
            diff, final_text, changes = box.diff(), box.read(), box.changed_text()
        except (OSError, ValueError) as e:
            diff, final_text, changes = "", None, {}
            if status == "success":
                status, reason = "failed", f"expected the changed files to stay readable text, got {e}"
        written: list[str] = []
        if apply and status == "success":
            try:
                written = box.apply(overwrite=overwrite)
            except (ApplyError, OSError, ValueError) as e:
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
        applied=bool(written),
        transcript=transcript,
        messages=messages,
        seconds=seconds,
        changes=changes,
        written=written,
    )
    _write_transcript(transcript, spec, model, result, reuse_cache=reuse_cache, created=created)
    log.debug("%s: %s (%s)", result.target, status, reason)
    return result


def tool_host(spec: AgentSpec) -> ToolHost:
    """A tool host for the agent's tools (use it as a context manager)."""
    return ToolHost(spec.tools, {s["function"]["name"]: s for s in spec.schemas})


def run_targets(
    spec: AgentSpec,
    model: Model,
    target: str | Path | list[Target],
    on_result: Callable[[RunResult], None] | None = None,
    **kwargs: Any,
) -> list[RunResult]:
    """Run once per target of :func:`resolve_targets` (one transcript file and one tool host for all).

    A target that cannot be worked on (too big for the context, unreadable, changed meanwhile) is logged with its
    file and gives a ``failed`` result with that reason and no turns; the next target runs.

    Args:
        spec: The agent.
        model: The model.
        target: A file, ``path.py::name``, a folder, or targets already resolved.
        on_result: Called with each result as it is made.
        **kwargs: As :func:`run_agent`.
    """
    if kwargs.get("transcript") is None:
        kwargs["transcript"] = default_transcript_path(spec.domain)
    targets = target if isinstance(target, list) else resolve_targets(target, spec.target_units)
    results = []
    with tool_host(spec) as host:
        for t in targets:
            try:
                result = run_agent(spec, model, t, host=host, **kwargs)
            except (ValueError, OSError) as e:  # this target only: say why, go on with the next
                log.warning("skipped %s: %s", t, e)
                result = RunResult(str(t), "failed", str(e), 0, [], None, None, "", None, False, None, [])
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results


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
            "second_choice": s.second_choice,
        }
        for s in result.steps
    ]
    return {
        "messages": jsonable(result.messages),
        "tools": spec.schemas,
        "meta": {
            "domain": spec.domain,
            "status": result.status,
            "reason": result.reason,
            "target": result.target,
            "turns": result.turns,
            "submitted": jsonable(result.submitted),
            "answer": result.answer,
            "diff": result.diff,
            "applied": result.applied,
            "written": result.written,
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


def accepted_reply(result: RunResult) -> dict[str, Any]:
    """The terminal tool's response to the accepted submission (empty when nothing was accepted)."""
    if result.submitted is None or not result.steps or not result.steps[-1].calls:
        return {}
    reply = result.steps[-1].calls[-1].result
    return reply if isinstance(reply, dict) else {}


def format_result(result: RunResult) -> str:
    """Status, submission, diff and transcript of a run, readable."""
    lines = [f"status: {result.status} ({result.reason}); {result.turns} turns, {result.seconds:.2f}s"]
    if result.submitted is not None:
        lines.append(f"submitted: {_short(result.submitted, 400)}")
        said = {k: v for k, v in accepted_reply(result).items() if k != "accepted"}
        if said:  # what the terminal tool answered besides accepting (a summary it wrote)
            lines.append(f"result: {_short(said, 400)}")
    lines.append(result.diff.rstrip("\n") if result.diff else "(no changes)")
    if result.applied:
        lines.append(f"written: {', '.join(result.written)}")
    elif result.diff and result.status == "success":
        lines.append("not written (use --apply to write it)")
    if result.transcript is not None:
        lines.append(f"transcript: {result.transcript}")
    return "\n".join(lines)
