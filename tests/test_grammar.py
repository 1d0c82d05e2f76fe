"""The call grammar: llama.cpp compiles it for every agent's tools and for odd schemas, and everything it lets a model
write parses, names a declared tool and passes the tool's schema — even from a random, untuned model."""

from __future__ import annotations

import random

import pytest

from toolsmith.shared.agent import load_agent
from toolsmith.shared.chat import render
from toolsmith.shared.constants import AGENT_FILE, DOMAINS, TRIGGER
from toolsmith.shared.domain import DomainNotReady, agent_dir
from toolsmith.shared.grammar import call_grammar
from toolsmith.shared.parse import parse_output
from toolsmith.shared.tools import check_arguments, tool_schema


def odd(
    mode: str,
    depth: int,
    tags: list[str],
    point: dict[str, float] | None = None,
    flags: list[bool] | None = None,
    note: str | None = None,
    ratio: float = 0.5,
) -> dict:
    """A tool with every kind of parameter.

    Args:
        mode: The mode. (choices: ["fast", "slow", "a b"])
        depth: How deep.
        tags: Labels.
        point: Coordinates by axis name.
        flags: Switches.
        note: An optional note.
        ratio: A share.
    """
    return {}


NESTED = {
    "type": "function",
    "function": {
        "name": "nested",
        "description": "A hand-written schema: nested objects, arrays of objects, anyOf, nullable.",
        "parameters": {
            "type": "object",
            "properties": {
                "config": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "size": {"type": "integer", "nullable": True},
                        "inner": {"type": "object", "properties": {"on": {"type": "boolean"}}, "required": ["on"]},
                    },
                    "required": ["name"],
                },
                "rows": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
                "either": {"anyOf": [{"type": "integer"}, {"type": "string", "enum": ["auto"]}]},
            },
            "required": ["config", "either"],
        },
    },
}
IDS = {
    "<start_function_call>": 8,
    "<end_function_call>": 9,
    "<start_function_response>": 10,
    "<escape>": 12,
}


def agents() -> list:
    out = []
    for domain in DOMAINS:
        if (agent_dir(domain) / AGENT_FILE).is_file():
            try:
                out.append(pytest.param(load_agent(domain).schemas, id=domain))
            except DomainNotReady:
                continue
    return out


SCHEMA_SETS = [*agents(), pytest.param([tool_schema(odd), NESTED], id="odd-schemas")]


def test_grammar_text() -> None:
    g = call_grammar([tool_schema(odd)], IDS, max_string_tokens=5, max_items=2)
    assert g.startswith('root ::= <[8]> "call:" (odd-') and "<[9]> <[10]>" in g.splitlines()[0]
    assert '<[12]> ("fast" | "slow" | "a b") <[12]>' in g  # an enum: its members only
    assert "<[12]> (!<[12]>){0,5} <[12]>" in g  # any other string: bounded, the escape token by id
    assert '"depth:"' in g and '"mode:"' in g and '"flags:"' in g
    with pytest.raises(ValueError, match="expected at least one tool schema"):
        call_grammar([], IDS)


@pytest.mark.parametrize("schemas", SCHEMA_SETS)
def test_everything_the_grammar_allows_is_a_valid_call(schemas, tiny_gguf) -> None:
    from toolsmith.shared.llm import GGUFModel

    model = GGUFModel(tiny_gguf, n_ctx=4096)
    grammar = call_grammar(schemas, model.control_ids, max_string_tokens=4, max_items=2)
    by_name = {s["function"]["name"]: s for s in schemas}
    prompt = render(
        [{"role": "developer", "content": TRIGGER}, {"role": "user", "content": "Go."}],
        schemas,
        add_generation_prompt=True,
    )
    seen = set()
    rng = random.Random(0)
    for n in range(3):
        gen = model.generate(prompt, max_tokens=1500, temperature=0.0 if n == 0 else 1.5, grammar=grammar)
        parsed = parse_output(gen.text)
        assert gen.stopped == "stop_token" and parsed.ok and len(parsed.calls) == 1, gen.text
        call = parsed.calls[0]
        assert call.name in by_name
        assert check_arguments(by_name[call.name], call.arguments) == [], (call, gen.text)
        seen.add(call.name)
        model.llm.set_seed(rng.randrange(1 << 30))
    assert seen  # at least one tool was called; with sampling, usually several


def test_a_grammar_llama_cpp_refuses_is_an_error_not_a_crash(tiny_gguf) -> None:
    from toolsmith.shared.llm import GGUFModel

    model = GGUFModel(tiny_gguf, n_ctx=512)
    prompt = render([{"role": "user", "content": "Go."}], add_generation_prompt=True)
    with pytest.raises(ValueError, match="expected a GBNF grammar llama.cpp can parse"):
        model.generate(prompt, grammar='root ::= "a" |\nx ::= "b"\n')


def pick(mode: str, n: int) -> dict:
    """A small tool, so a random model's constrained calls stay short.

    Args:
        mode: The mode. (choices: ["fast", "slow"])
        n: How many.
    """
    return {}


def test_next_call_eval_with_the_grammar_parses_every_step_even_for_a_random_model(tiny_gguf) -> None:
    from toolsmith.shared.benchrun import calls_table
    from toolsmith.shared.evaluate import next_call_eval
    from toolsmith.shared.llm import GGUFModel

    gold = {"function": {"name": "pick", "arguments": {"mode": "fast", "n": 1}}}
    row = {
        "tools": [tool_schema(pick)],
        "messages": [
            {"role": "developer", "content": TRIGGER},
            {"role": "user", "content": "Go."},
            {"role": "assistant", "tool_calls": [gold]},
        ],
    }
    model = GGUFModel(tiny_gguf, n_ctx=1024)
    stats = next_call_eval(model, [row], max_tokens=256, grammar=True).to_json()
    assert stats["steps"] == 1 and stats["parse_rate"] == 1.0  # the output is a call to the declared tool
    assert stats["argument_names_accuracy"] == 1.0  # both keys are required: the grammar writes them
    text = calls_table([{"domain": "odd", "models": {"random, grammar": stats}}])
    assert text.splitlines()[-1].startswith("| odd | random, grammar | 1 | 100.0% | 100.0% | 100.0% |")


@pytest.mark.parametrize("max_string_tokens", [4, 24])
def test_greedy_first_gives_the_tokens_of_llama_cpps_grammar_sampler(tiny_gguf, max_string_tokens) -> None:
    """Checking the best token first and every token only when it is refused (GGUFModel) writes exactly what
    llama.cpp's grammar sampler, masking every token at every step, writes."""
    from llama_cpp import LlamaGrammar

    from toolsmith.shared.llm import GGUFModel

    model = GGUFModel(tiny_gguf, n_ctx=4096)
    schemas = [tool_schema(odd), NESTED]
    grammar = call_grammar(schemas, model.control_ids, max_string_tokens=max_string_tokens, max_items=2)
    steps = []  # (steps that checked every token, tokens) per output
    for content in ("Go.", "Call odd with a long note, then stop."):
        prompt = render(
            [{"role": "developer", "content": TRIGGER}, {"role": "user", "content": content}],
            schemas,
            add_generation_prompt=True,
        )
        ours = model.generate(prompt, max_tokens=1500, grammar=grammar)
        constraint = model._grammars[grammar]
        reference: list[int] = []
        compiled = LlamaGrammar.from_string(grammar, verbose=False)
        for tok in model.llm.generate(model.tokenize(prompt), top_k=1, temp=0.0, reset=True, grammar=compiled):
            reference.append(tok)
            if model.detokenize(reference) == ours.text or len(reference) > ours.new_tokens:
                break
        assert model.detokenize(reference) == ours.text
        steps.append((constraint.full_checks, ours.new_tokens))
    assert any(full for full, _ in steps) and any(full < n for full, n in steps), steps  # both branches ran


@pytest.mark.parametrize("grammar_on", [False, True])
def test_an_output_to_avoid_takes_the_models_second_choice_at_its_least_sure_token(tiny_gguf, grammar_on) -> None:
    """With ``avoid``, an avoided greedy output is written again up to the token the model was least sure of (the
    smallest gap between its logit and the best other token's the grammar allows), which becomes that other token,
    and greedy from there on."""
    import numpy as np

    from toolsmith.shared.llm import GGUFModel, GrammarConstraint

    model = GGUFModel(tiny_gguf, n_ctx=4096)
    schemas = [tool_schema(odd), NESTED]
    grammar = call_grammar(schemas, model.control_ids, max_string_tokens=4, max_items=2) if grammar_on else None
    prompt = render(
        [{"role": "developer", "content": TRIGGER}, {"role": "user", "content": "Call odd with a long note."}],
        schemas,
        add_generation_prompt=True,
    )
    first = model.generate(prompt, max_tokens=40, grammar=grammar)
    assert first.second_choice is None
    ids = model.tokenize(prompt)
    out = model._last_ids[len(ids) :]  # the tokens written (their text may tokenize otherwise)
    check = GrammarConstraint(model.llm._model.vocab, grammar) if grammar_on else None

    def best_other(i: int) -> tuple[float, int]:
        """The gap at step i and the best other token the grammar allows there (all of the top 8 refused: inf)."""
        model.llm.reset()
        model.llm.eval(ids + out[:i])
        row = np.ctypeslib.as_array(model.llm._ctx.get_logits(), shape=(model.llm.n_vocab(),)).copy()
        if check:
            check.reset(greedy=True)
            for tok in out[:i]:
                check.accept(tok)
        for t in [int(t) for t in np.argsort(row)[::-1][:9] if t != out[i]][:8]:
            if check is None or check.allows(t):
                return float(row[out[i]] - row[t]), t
        return float("inf"), -1

    choices = [best_other(i) for i in range(len(out) - (first.stopped == "stop_token"))]
    assert any(gap != float("inf") for gap, _ in choices)
    other = model.generate(prompt, max_tokens=40, grammar=grammar, avoid=lambda text: text == first.text)
    at = other.second_choice
    assert at == min(range(len(choices)), key=lambda i: choices[i][0]) and other.text != first.text
    got = model._last_ids[len(ids) :]
    assert got[:at] == out[:at] and got[at] == choices[at][1]
    # what the tools blamed is changed first: the least sure token inside it, though others were less sure
    pieces = [model.detokenize([t]) for t in out]
    j = max(
        (i for i, (gap, _) in enumerate(choices) if gap != float("inf") and first.text.count(pieces[i]) == 1),
        key=lambda i: choices[i][0],
    )
    assert choices[j][0] > choices[at][0]
    blamed = model.generate(
        prompt, max_tokens=40, grammar=grammar, avoid=lambda text: text == first.text, blame=(pieces[j],)
    )
    assert blamed.second_choice == j and model._last_ids[len(ids) :][j] == choices[j][1]
    # nothing else to write: the first output stays
    kept = model.generate(prompt, max_tokens=40, grammar=grammar, avoid=lambda text: True)
    assert (kept.text, kept.second_choice) == (first.text, None)
