"""A GGUF model in llama.cpp: tokenize rendered prompts as HF does, greedy generation with KV-prefix reuse.

An output the run must not write again (the call the tools just refused: greedy decoding of a small model tends
to write it once more) is replaced by the model's second choice at the token it was least sure of, decoded
greedily from there on; then at the next least sure token, up to ``SECOND_CHOICE_TRIES``.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsmith.shared.chat import Rendered
from toolsmith.shared.constants import (
    BOS,
    CLOSE_LOOKAHEAD,
    CONTROL_TOKENS,
    SECOND_CHOICE_TRIES,
    STOP_TOKENS,
)
from toolsmith.shared.grammar import call_grammar, closing_text, forced_text, split_tails
from toolsmith.shared.parse import parse_output

_CONTROL_SPLIT = re.compile("(" + "|".join(map(re.escape, CONTROL_TOKENS)) + ")")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generation:
    """One generation step.

    Attributes:
        text: New text, special tokens kept.
        prompt_tokens: Tokens in the prompt.
        evaluated_tokens: Prompt tokens actually evaluated (the rest came from the KV cache).
        new_tokens: Tokens generated.
        seconds: Wall time.
        stopped: Why it stopped: ``stop_token``, ``max_tokens``, ``context``, or ``closed`` (under a call grammar the
            budget was running out inside the call, and the grammar's shortest ending was written instead:
            :meth:`_Decode._close`).
        second_choice: Where the output took the model's second choice instead of one to avoid (token index), or
            None.
    """

    text: str
    prompt_tokens: int
    evaluated_tokens: int
    new_tokens: int
    seconds: float
    stopped: str
    second_choice: int | None = None


class GGUFModel:
    """llama-cpp-python ``Llama`` over a GGUF, used with project-rendered prompts (no chat handler)."""

    def __init__(
        self, path: Path, n_ctx: int = 4096, n_threads: int | None = None, seed: int = 0, jump_forward: bool = True
    ) -> None:
        from llama_cpp import Llama

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"expected a GGUF model at {path}, got no such file")
        self.path = path
        self.llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads or os.cpu_count() or 1,
            seed=seed,
            verbose=False,
            logits_all=False,
        )
        self.control_ids = {t: self.token_id(t) for t in CONTROL_TOKENS}
        self.stop_ids = {self.control_ids[t] for t in STOP_TOKENS}
        self.control_id_set = set(self.control_ids.values())
        self._last_ids: list[int] = []
        self._grammars: dict[str, GrammarConstraint] = {}
        # grammar text -> its tool schemas and the plain texts forced text may end with (jump-forward)
        self._jumps: dict[str, tuple[list[dict[str, Any]], frozenset[str]]] = {}
        self.jump_forward = jump_forward  # under a call grammar, append what it leaves no choice about (_Decode.run)

    def token_id(self, token: str) -> int:
        """The single id of a special token (raises if it is not one token)."""
        ids = self.llm.tokenize(token.encode(), add_bos=False, special=True)
        if len(ids) != 1:
            raise ValueError(f"expected {token} to be one token in {self.path.name}, got {ids}")
        return ids[0]

    def tokenize(self, prompt: Rendered) -> list[int]:
        """Token ids of a rendered prompt (it starts with ``<bos>`` itself; none is added).

        The template's control tokens become their single ids; all other text is tokenized with special
        tokens off, so a control-token string in a file or a tool result stays plain text. The same ids
        as :func:`toolsmith.shared.chat.encode` on the HF side.
        """
        ids: list[int] = []
        for a, b, control in prompt.pieces():
            piece = prompt.text[a:b]
            if control:
                ids.append(self.control_ids[piece])
            else:
                ids += self.llm.tokenize(piece.encode("utf-8"), add_bos=False, special=False)
        return ids

    def text_ids(self, text: str) -> list[int]:
        """Token ids of output text: control tokens by id, the rest with special tokens off (as :meth:`tokenize`)."""
        ids: list[int] = []
        for piece in _CONTROL_SPLIT.split(text):
            if piece in self.control_ids:
                ids.append(self.control_ids[piece])
            elif piece:
                ids += self.llm.tokenize(piece.encode("utf-8"), add_bos=False, special=False)
        return ids

    def detokenize(self, ids: list[int]) -> str:
        """Ids back to text, keeping special tokens."""
        return self.llm.detokenize(ids, special=True).decode("utf-8", errors="replace")

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
        """Generate after ``prompt`` until a stop token (``<end_of_turn>``, ``<start_function_response>``, ``<eos>``).

        Args:
            prompt: From :func:`toolsmith.shared.chat.render`, starting with ``<bos>``.
            max_tokens: Upper bound on new tokens.
            reuse_cache: Keep the KV cache of the longest shared prefix with the last call.
            temperature: 0 means greedy.
            top_p: Nucleus sampling bound when sampling.
            grammar: GBNF text (:func:`toolsmith.shared.grammar.call_grammar`) the output must match; then a stop
                token ends the output only once the output is a whole call (inside a string it is just a token).
            avoid: True for an output not to write (greedy only): the output then takes the model's second choice at
                the token it was least sure of (the gap between its two best logits), then at the next least sure,
                up to ``SECOND_CHOICE_TRIES``; if every one is avoided too, the first output is kept.
            blame: Text the tools named as wrong (``got X``): the tokens of the avoided output inside it are tried
                first, least sure first.
        """
        if not prompt.text.startswith(BOS) or not prompt.controls or prompt.controls[0] != (0, len(BOS)):
            raise ValueError(f"expected a prompt starting with the {BOS} token, got {prompt.text[:20]!r}")
        ids = self.tokenize(prompt)
        room = self.llm.n_ctx() - len(ids)
        if room <= 0:
            raise ValueError(f"expected a prompt under {self.llm.n_ctx()} tokens, got {len(ids)}")
        if not reuse_cache:
            self.llm.reset()
        shared = _common_prefix(self._last_ids, ids) if reuse_cache else 0
        start = time.perf_counter()
        margins = _Margins() if avoid is not None and not temperature else None
        decode = _Decode(self, ids, min(max_tokens, room), max_tokens, temperature, top_p, grammar)
        out, stopped = decode.run([], margins=margins)
        second = None
        if margins is not None and avoid is not None and avoid(self.detokenize(out)):
            blamed = self._blamed(out, blame)
            steps = margins.least_sure(len(out) - (stopped == "stop_token"))
            for at in sorted(steps, key=lambda i: i not in blamed)[:SECOND_CHOICE_TRIES]:
                other, other_stopped = decode.run(out[:at], ban=out[at])
                if not avoid(self.detokenize(other)):
                    out, stopped, second = other, other_stopped, at
                    break
        seconds = time.perf_counter() - start
        self._last_ids = ids + out
        text = self.detokenize(out)
        return Generation(text, len(ids), len(ids) - shared, len(out), seconds, stopped, second)

    def _blamed(self, out: list[int], blame: tuple[str, ...]) -> set[int]:
        """Indices of the tokens of ``out`` that overlap an occurrence of a ``blame`` text."""
        pieces = [self.llm.detokenize([t], special=True) for t in out]
        ends = list(itertools.accumulate(len(p) for p in pieces))
        text = b"".join(pieces)
        spans = [(m.start(), m.end()) for b in blame if b for m in re.finditer(re.escape(b.encode()), text)]
        return {i for i, end in enumerate(ends) if any(a < end and end - len(pieces[i]) < z for a, z in spans)}

    def call_grammar(self, schemas: list[dict[str, Any]]) -> str:
        """The GBNF grammar of one call to one of ``schemas``, with this model's control-token ids."""
        text = call_grammar(schemas, self.control_ids)
        self._jumps[text] = (schemas, split_tails(schemas, self.text_ids))
        return text

    def _constraint(self, text: str, greedy: bool) -> GrammarConstraint:
        """The grammar's constraint, reset for a new output (compiled once per text: an agent has one grammar)."""
        if text not in self._grammars:
            self._grammars[text] = GrammarConstraint(self.llm._model.vocab, text)
        constraint = self._grammars[text]
        constraint.reset(greedy)
        return constraint

    def next_token_logits(self, prompt: Rendered) -> Any:
        """Logits (numpy, vocab-sized) of the token after ``prompt``, from a fresh evaluation."""
        import numpy as np

        self.llm.reset()
        self.llm.eval(self.tokenize(prompt))
        self._last_ids = []
        # llama-cpp-python keeps no scores unless logits_all; the context holds the last token's row
        return np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),)).copy()

    def metadata(self) -> dict[str, Any]:
        """GGUF metadata as llama.cpp read it."""
        return dict(self.llm.metadata)


class _Decode:
    """Greedy or sampled decoding of one prompt, from a given start of the output."""

    def __init__(
        self,
        model: GGUFModel,
        ids: list[int],
        limit: int,
        max_tokens: int,
        temperature: float,
        top_p: float,
        grammar: str | None,
    ) -> None:
        self.model, self.ids, self.limit, self.max_tokens = model, ids, limit, max_tokens
        self._last_ending: tuple[list[int], list[int] | None] | None = None  # (output, its ending) last worked out
        self.temperature, self.top_p, self.grammar = temperature, top_p, grammar

    def run(self, start: list[int], margins: _Margins | None = None, ban: int | None = None) -> tuple[list[int], str]:
        """The output tokens (``start`` first; ``ban`` is not the next token) and why decoding stopped.

        Under a grammar built by :meth:`GGUFModel.call_grammar`, what the grammar leaves no choice about
        (:func:`toolsmith.shared.grammar.forced_text`) is appended without asking the model and evaluated in one batch
        with the token before it (jump-forward decoding: one forward pass instead of one per token).
        """
        model = self.model
        constraint = model._constraint(self.grammar, greedy=not self.temperature) if self.grammar else None
        processors: list[Any] = [p for p in (margins, _Ban(ban) if ban is not None else None, constraint) if p]
        if constraint:
            for tok in start:
                constraint.accept(tok)
        out = list(start)
        if ban is None:
            out += self._forced(out, constraint, margins)
            if (end := self._end(out, constraint)) is not None:
                return end  # the whole call was forced (one tool, nothing to choose)
        while True:
            for tok in model.llm.generate(
                self.ids + out,
                temp=self.temperature,
                top_p=self.top_p,
                top_k=0 if self.temperature else 1,
                reset=True,
                logits_processor=processors or None,
            ):
                if (closed := self._close(out, tok, constraint, margins)) is not None:
                    return closed
                if margins is not None:
                    margins.settle(tok, constraint)
                if constraint:
                    constraint.accept(tok)
                out.append(tok)
                forced = self._forced(out, constraint, margins)
                out += forced
                if (end := self._end(out, constraint)) is not None:
                    return end
                if forced:
                    break  # again from the forced tokens: llama.cpp evaluates them in one batch
            else:  # pragma: no cover - llama.cpp's generator does not end by itself
                return out, "max_tokens"

    def _close(
        self, out: list[int], tok: int, constraint: GrammarConstraint | None, margins: _Margins | None
    ) -> tuple[list[int], str] | None:
        """Under a call grammar, near the end of the budget: when writing the model's next token ``tok`` would leave
        the call an ending (:func:`toolsmith.shared.grammar.closing_text`) longer than the budget then left, the
        output with the ending it has now appended instead, and ``closed``: one well-formed call within
        ``max_tokens``, whose values may be cut short (the runner does not run it). A call the model ends within the
        budget is never closed: each of its prefixes has an ending that fits. None otherwise (also when the ending
        no longer fits already, at a budget too small for any call: the output is then cut at the limit)."""
        left = self.limit - len(out)
        if constraint is None or left > CLOSE_LOOKAHEAD:
            return None
        now = self._ending(out)
        if now is None or len(now) > left:
            return None
        after = self._ending([*out, tok])
        if after is None or len(after) <= left - 1:
            return None
        for t in now:
            if not constraint.allows(t):  # never for the grammar's own endings; kept as a guard
                log.warning("the grammar refused the ending %r of %r", self.model.detokenize(now), out)
                return out, "max_tokens"  # what was accepted stays: the output ends cut, as without the closing
            constraint.accept(t)
            out.append(t)
            if margins is not None:
                margins.gaps.append(float("inf"))
        return out, "closed"

    def _ending(self, out: list[int]) -> list[int] | None:
        """Token ids of the shortest ending of the call ``out`` starts; None when it has none to write (a whole call,
        no call, or no grammar built by :meth:`GGUFModel.call_grammar`)."""
        if self._last_ending is not None and self._last_ending[0] == out:  # the last token's check worked it out
            return self._last_ending[1]
        jump = self.model._jumps.get(self.grammar or "")
        text = closing_text(jump[0], self.model.detokenize(out)) if jump else None
        ids = self.model.text_ids(text) if text else None
        self._last_ending = (list(out), ids)
        return ids

    def _end(self, out: list[int], constraint: GrammarConstraint | None) -> tuple[list[int], str] | None:
        """The output and why it ends, if it does: a stop token that ends a whole call (within the limit), or the
        limit (``max_tokens``, or the context's room)."""
        model = self.model
        if 0 < len(out) <= self.limit and out[-1] in model.stop_ids:
            if constraint is None or parse_output(model.detokenize(out)).ok:
                return out, "stop_token"
        if len(out) >= self.limit:
            return out[: self.limit], "max_tokens" if self.limit >= self.max_tokens else "context"
        return None

    def _forced(self, out: list[int], constraint: GrammarConstraint | None, margins: _Margins | None) -> list[int]:
        """The tokens the grammar leaves no choice about after ``out`` (accepted by ``constraint``), or none.

        The forced text is used up to its last control token, and past it only when the rest is a text the tokenizer
        splits off whatever the model writes next (:func:`toolsmith.shared.grammar.split_tails`): the model's next
        token then starts where the template's tokenization starts one too. (A forced ``{`` the model then writes
        after may be split otherwise than in training, and the model writes otherwise: an ``options:{`` it left
        empty.) The text goes on the piece being written (the output after its last control token) as the tokenizer
        would split the whole piece; when the model's own tokens of the piece are not that split, nothing is forced.
        """
        model = self.model
        jump = model._jumps.get(self.grammar or "")
        if constraint is None or jump is None or not model.jump_forward:
            return []
        schemas, tails = jump
        text = forced_text(schemas, model.detokenize(out))
        cut = max((m.end() for m in _CONTROL_SPLIT.finditer(text)), default=0)
        if text[cut:] and text[cut:] not in tails:
            text = text[:cut]
        if not text:
            return []
        last = max((i for i, t in enumerate(out) if t in model.control_id_set), default=-1)
        piece = out[last + 1 :]
        head = _CONTROL_SPLIT.split(text, maxsplit=1)[0]
        if piece and head:
            whole = model.text_ids(model.detokenize(piece) + head)
            if whole[: len(piece)] != piece:
                return []
            ids = whole[len(piece) :] + model.text_ids(text[len(head) :])
        else:
            ids = model.text_ids(text)
        forced = []
        for tok in ids:
            if not constraint.allows(tok):
                break
            constraint.accept(tok)
            forced.append(tok)
            if margins is not None:
                margins.gaps.append(float("inf"))
        return forced


class _Margins:
    """How sure the model was of each token it wrote: the gap between the token's logit and the best other token's
    (among the top ``k``, and only one the grammar allows there; none is an infinite gap)."""

    def __init__(self, k: int = 8) -> None:
        self.k = k
        self.gaps: list[float] = []
        self._logits: Any = None

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        self._logits = logits.copy()
        return logits

    def settle(self, token: int, constraint: GrammarConstraint | None) -> None:
        """Record the gap of the step that wrote ``token`` (call before the grammar accepts it)."""
        import numpy as np

        logits = self._logits
        top = np.argpartition(logits, -(self.k + 1))[-(self.k + 1) :]
        others = sorted((int(t) for t in top if t != token), key=lambda t: -logits[t])[: self.k]
        best = next((t for t in others if constraint is None or constraint.allows(t)), None)
        self.gaps.append(float("inf") if best is None else float(logits[token] - logits[best]))

    def least_sure(self, n: int) -> list[int]:
        """Indices of the first ``n`` steps that had another choice, least sure first."""
        steps = [i for i in range(min(n, len(self.gaps))) if self.gaps[i] != float("inf")]
        return sorted(steps, key=lambda i: self.gaps[i])


class _Ban:
    """Leaves out one token at the first step only."""

    def __init__(self, token: int) -> None:
        self.token: int | None = token

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        if self.token is not None:
            logits[self.token] = -float("inf")
            self.token = None
        return logits


class GrammarConstraint:
    """A logits processor that leaves only the tokens a GBNF grammar allows next (llama.cpp's grammar sampler).

    Greedy decoding checks the best token first and every token only when the grammar refuses it (as llama.cpp's
    own common sampler does): the same output as masking every token each step, without decoding the whole
    vocabulary's text at each step. Sampling masks every token. Call :meth:`accept` with each chosen token.
    """

    def __init__(self, vocab: Any, text: str) -> None:
        from llama_cpp import llama_cpp

        self._lib = llama_cpp
        self._sampler = llama_cpp.llama_sampler_init_grammar(vocab, text.encode(), b"root")
        if not self._sampler:  # llama.cpp printed why; a NULL sampler would crash the process
            raise ValueError(f"expected a GBNF grammar llama.cpp can parse, got one it refused: {text[:200]!r}")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._all: Any = None
        self.greedy = True
        self.full_checks = 0  # steps of this output that checked every token (greedy: the best one was refused)
        self.steps = 0  # sampling steps of this output

    def reset(self, greedy: bool) -> None:
        """Start a new output."""
        self._lib.llama_sampler_reset(self._sampler)
        self.greedy = greedy
        self.full_checks = self.steps = 0

    def allows(self, token: int) -> bool:
        """Whether the grammar allows ``token`` next."""
        import numpy as np

        self._one[0].id, self._one[0].logit, self._one[0].p = token, 0.0, 0.0
        self._apply(self._one, 1)
        return bool(np.isfinite(self._one[0].logit))

    def accept(self, token: int) -> None:
        """Advance the grammar past the chosen token."""
        self._lib.llama_sampler_accept(self._sampler, token)

    def _apply(self, data: Any, size: int) -> None:
        lib = self._lib
        array = lib.llama_token_data_array(data=data, size=size, selected=-1, sorted=False)
        lib.llama_sampler_apply(self._sampler, ctypes.byref(array))

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        import numpy as np

        self.steps += 1
        if self.greedy:
            best = int(np.argmax(logits))
            if self.allows(best):
                out = np.full_like(logits, -np.inf)
                out[best] = logits[best]
                return out
        self.full_checks += 1
        n = len(logits)
        if self._all is None or len(self._all) != n:
            self._all = (self._lib.llama_token_data * n)()
            self._view = np.ctypeslib.as_array(self._all).view(
                np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
            )
        self._view["id"] = np.arange(n, dtype=np.intc)
        self._view["logit"] = logits
        self._apply(self._all, n)
        return self._view["logit"].copy()

    def __del__(self) -> None:
        if getattr(self, "_sampler", None):
            self._lib.llama_sampler_free(self._sampler)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
