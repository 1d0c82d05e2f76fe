"""The call grammar: llama.cpp compiles it for every agent's tools and for odd schemas, and everything it lets a model
write parses, names a declared tool and passes the tool's schema — even from a random, untuned model."""

from __future__ import annotations

import random
import re

import pytest

from toolsmith.shared.agent import load_agent
from toolsmith.shared.chat import render
from toolsmith.shared.constants import (
    AGENT_FILE,
    DOMAINS,
    END_FUNCTION_CALL,
    START_FUNCTION_CALL,
    START_FUNCTION_RESPONSE,
    TRIGGER,
)
from toolsmith.shared.domain import DomainNotReady, agent_dir
from toolsmith.shared.grammar import call_grammar, closing_text, forced_text, split_tails
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


def arguments_for(schema: dict, rng: random.Random) -> object:
    """Arguments a schema accepts: required keys always, optional ones by chance, enum members, nested values."""
    if "anyOf" in schema:
        return arguments_for(rng.choice(schema["anyOf"]), rng)
    kind = schema.get("type", "string")
    kind = rng.choice([k for k in kind if k != "null"]) if isinstance(kind, list) else kind
    if kind == "string":
        return rng.choice(schema["enum"]) if "enum" in schema else rng.choice(["a b", "x", "utf-8 é", "12"])
    if kind == "integer":
        return rng.choice([0, 7, -3, 120])
    if kind == "number":
        return rng.choice([0.5, 2, -1.25])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [arguments_for(schema.get("items", {}), rng) for _ in range(rng.randrange(3))]
    if "properties" not in schema:  # a free-form object, its values of additionalProperties' schema
        extra = schema.get("additionalProperties")
        return {"k": arguments_for(extra, rng) if isinstance(extra, dict) else "v"} if rng.random() < 0.5 else {}
    props, required = schema["properties"], set(schema.get("required", []))
    return {k: arguments_for(v, rng) for k, v in props.items() if k in required or rng.random() < 0.5}


def call_text(name: str, arguments: dict) -> str:
    """The output text of one call, as the template writes it (the stop token after it)."""
    text = render([{"role": "assistant", "tool_calls": [{"function": {"name": name, "arguments": arguments}}]}]).text
    start = text.index(START_FUNCTION_CALL)
    return text[start : text.index(END_FUNCTION_CALL, start)] + END_FUNCTION_CALL + START_FUNCTION_RESPONSE


@pytest.mark.parametrize("schemas", [*SCHEMA_SETS, pytest.param("forcing", id="forcing-edges")])
def test_forced_text_is_always_what_the_call_goes_on_with(schemas) -> None:
    """For every prefix of calls the template writes (every tool, arguments of every kind), the forced text is
    the start of the rest of that call: jump-forward decoding never writes what a valid call would not."""
    schemas = FORCING if schemas == "forcing" else schemas
    rng = random.Random(0)
    forced_chars = 0
    for s in schemas * 8:
        fn = s["function"]
        text = call_text(fn["name"], arguments_for(fn.get("parameters") or {}, rng))
        for i in range(len(text)):
            forced = forced_text(schemas, text[:i])
            assert text[i:].startswith(forced), (text[:i], forced, text[i:])
            forced_chars += len(forced)
        assert forced_text(schemas, text) == ""
    assert forced_chars  # something was forced


SET_FIELD = {
    "type": "function",
    "function": {
        "name": "set_field",
        "parameters": {
            "type": "object",
            "properties": {"field": {"type": "string"}, "options": {"type": "object"}, "provider": {"type": "string"}},
            "required": ["field", "provider"],
        },
    },
}
EDGE = {
    "type": "function",
    "function": {
        "name": "add_edge_case",
        "parameters": {
            "type": "object",
            "properties": {
                "field": {"type": "string"},
                "kind": {"type": "string", "enum": ["min", "max", "each_enum"]},
            },
            "required": ["field", "kind"],
        },
    },
}
DESCRIBE = {"type": "function", "function": {"name": "describe", "parameters": {"type": "object", "properties": {}}}}
OPTIONAL_ONLY = {  # the call may end right after its {
    "type": "function",
    "function": {"name": "optional_only", "parameters": {"type": "object", "properties": {"flt": {"type": "string"}}}},
}
UNION_MODE = {  # transformers writes a docstring's (choices: [...]) beside an anyOf: the grammar leaves the string free
    "type": "function",
    "function": {
        "name": "union_mode",
        "parameters": {
            "type": "object",
            "properties": {
                "mode": {
                    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                    "enum": ["fast", "slow"],
                }
            },
            "required": ["mode"],
        },
    },
}
TAG_LIST = {  # enum strings inside an array: nothing is forced inside arrays
    "type": "function",
    "function": {
        "name": "tag_list",
        "parameters": {
            "type": "object",
            "properties": {"names": {"type": "array", "items": {"type": "string", "enum": ["alpha", "beta"]}}},
            "required": ["names"],
        },
    },
}
FORCING = [SET_FIELD, EDGE, DESCRIBE, OPTIONAL_ONLY, UNION_MODE, TAG_LIST]
CALL = START_FUNCTION_CALL + "call:"
END = END_FUNCTION_CALL + START_FUNCTION_RESPONSE


@pytest.mark.parametrize(
    ("text", "forced"),
    [
        ("", CALL),  # every output starts with the call's opening
        (CALL, ""),  # three tools: the model chooses
        (CALL + "s", "et_field{field:<escape>"),  # one tool starts so; its first key is required, a string
        (CALL + "d", "escribe{}" + END),  # a tool without arguments ends at once
        (CALL + "set_field{field:<escape>home_city", ""),  # inside a free string: the model writes
        (CALL + "set_field{field:<escape>home_city<escape>", ","),  # provider is still to come; options may first
        (CALL + "set_field{field:<escape>x<escape>,p", "rovider:<escape>"),
        (CALL + "set_field{field:<escape>x<escape>,provider:<escape>city<escape>", "}" + END),  # no key after it
        (CALL + "set_field{field:<escape>x<escape>,options:{a:1}", ",provider:<escape>"),
        (CALL + "set_field{field:<escape>x<escape>,options:{a:1", ""),  # inside an object: nothing
        (CALL + "add_edge_case{field:<escape>x<escape>", ",kind:<escape>"),
        (CALL + "add_edge_case{field:<escape>x<escape>,kind:<escape>m", ""),  # min or max
        (CALL + "add_edge_case{field:<escape>x<escape>,kind:<escape>e", "ach_enum<escape>}" + END),
        (CALL + "nope{", ""),  # not a declared tool: nothing to say
        (CALL + "o", "ptional_only{"),  # its one key is optional: } may come as well
        (CALL + "optional_only{f", "lt:<escape>"),
        (CALL + "union_mode{mode:<escape>f", ""),  # the enum beside an anyOf does not bind the string
        (CALL + "tag_list{names:[<escape>a", ""),
        ("plain text", ""),
    ],
)
def test_forced_text(text: str, forced: str) -> None:
    assert forced_text(FORCING, text) == forced


def merging(pairs: set[str]):
    """A tokenizer of single characters that keeps each of ``pairs`` as one token."""

    def tokenize(text: str) -> list[str]:
        out, i = [], 0
        while i < len(text):
            two = text[i : i + 2]
            out.append(two if two in pairs else text[i])
            i += len(out[-1])
        return out

    return tokenize


@pytest.mark.parametrize(
    ("pairs", "tails"),
    [
        (set(), {"call:", ","}),  # split everywhere: both may end forced text
        ({",p"}, {"call:"}),  # ",provider" would not start with the "," token: the model must write the comma
        ({":s", ":d"}, {","}),  # "call:set_field": the tool name starts inside a token with the colon
        ({"ld"}, {"call:", ","}),  # a merge inside the continuation itself does not matter
    ],
)
def test_split_tails(pairs: set[str], tails: set[str]) -> None:
    assert split_tails([SET_FIELD, EDGE, DESCRIBE], merging(pairs)) == tails


@pytest.mark.parametrize("schemas", SCHEMA_SETS)
def test_jump_forward_writes_valid_calls_with_fewer_model_steps(schemas, tiny_gguf) -> None:
    """Under a grammar from ``GGUFModel.call_grammar`` the forced text is appended without a sampling step of the
    model: a random model still writes a valid call, in fewer sampling steps than tokens."""
    from toolsmith.shared.llm import GGUFModel

    model = GGUFModel(tiny_gguf, n_ctx=4096)
    grammar = model.call_grammar(schemas)
    prompt = render(
        [{"role": "developer", "content": TRIGGER}, {"role": "user", "content": "Go."}],
        schemas,
        add_generation_prompt=True,
    )
    gen = model.generate(prompt, max_tokens=1500, grammar=grammar)
    parsed = parse_output(gen.text)
    assert gen.stopped == "stop_token" and parsed.ok and len(parsed.calls) == 1, gen.text
    by_name = {s["function"]["name"]: s for s in schemas}
    assert check_arguments(by_name[parsed.calls[0].name], parsed.calls[0].arguments) == []
    assert model._grammars[grammar].steps < gen.new_tokens  # the opening at least was not sampled
    model.jump_forward = False
    again = model.generate(prompt, max_tokens=1500, grammar=grammar, reuse_cache=False)
    assert parse_output(again.text).ok and model._grammars[grammar].steps == again.new_tokens


def test_jump_forward_ends_a_call_written_whole_and_keeps_the_token_limit(tiny_gguf) -> None:
    """A call with nothing to choose is written without a sampling step and ends at its stop token; forced tokens
    never take an output past ``max_tokens``."""
    from toolsmith.shared.llm import GGUFModel

    model = GGUFModel(tiny_gguf, n_ctx=4096)
    prompt = render([{"role": "user", "content": "Go."}], [DESCRIBE], add_generation_prompt=True)
    grammar = model.call_grammar([DESCRIBE])
    gen = model.generate(prompt, max_tokens=64, grammar=grammar)
    assert gen.text == call_text("describe", {}) and gen.stopped == "stop_token"
    assert model._grammars[grammar].steps == 0
    grammar = model.call_grammar([SET_FIELD, EDGE])
    for limit in (1, 2, 3, 5):
        gen = model.generate(prompt, max_tokens=limit, grammar=grammar)
        assert gen.new_tokens == limit and gen.stopped == "max_tokens", (limit, gen)


@pytest.mark.parametrize("schemas", [*SCHEMA_SETS, pytest.param("forcing", id="forcing-edges")])
def test_closing_text_ends_every_prefix_as_a_valid_call(schemas) -> None:
    """For every prefix of calls the template writes, the prefix and its closing text parse as one call to a declared
    tool whose arguments pass the tool's schema: a decoder out of budget can always end the call."""
    schemas = FORCING if schemas == "forcing" else schemas
    by_name = {s["function"]["name"]: s for s in schemas}
    rng = random.Random(1)
    for s in schemas * 6:
        fn = s["function"]
        arguments = arguments_for(fn.get("parameters") or {}, rng)
        text = call_text(fn["name"], arguments)
        # the schema check where the whole call passes it (an enum beside an anyOf binds neither the grammar nor
        # every value the generator writes)
        valid = check_arguments(s, arguments) == []
        inside = {i for m in re.finditer(r"<[a-z_]+>", text) for i in range(m.start() + 1, m.end())}
        for i in range(len(text) + 1):
            if i in inside:
                continue  # a control token is one token: no output ends inside one
            ending = closing_text(schemas, text[:i])
            assert ending is not None, text[:i]
            parsed = parse_output(text[:i] + ending)
            assert parsed.ok and len(parsed.calls) == 1, (text[:i], ending)
            call = parsed.calls[0]
            assert call.name in by_name and (not valid or check_arguments(by_name[call.name], call.arguments) == []), (
                text[:i],
                ending,
            )
        assert closing_text(schemas, text) == ""


@pytest.mark.parametrize(
    ("text", "ending"),
    [
        ("", CALL + "set_field{field:<escape><escape>,provider:<escape><escape>}" + END),  # the first tool
        (CALL + "add", "_edge_case{field:<escape><escape>,kind:<escape>min<escape>}" + END),  # an enum's first member
        (CALL + "add_edge_case{field:<escape>x<escape>,kind:<escape>ea", "ch_enum<escape>}" + END),
        (CALL + "set_field{field:<escape>home", "<escape>,provider:<escape><escape>}" + END),
        (CALL + "set_field{field:<escape>x<escape>,options:{a:-", "0},provider:<escape><escape>}" + END),
        (CALL + "set_field{field:<escape>x<escape>,options:{a:tr", "ue},provider:<escape><escape>}" + END),
        (CALL + "set_field{field:<escape>x<escape>,", "provider:<escape><escape>}" + END),
        (CALL + "set_field{field:<escape>x<escape>,provider:<escape>y<escape>}" + END_FUNCTION_CALL,
         START_FUNCTION_RESPONSE),
        (CALL + "tag_list{names:[<escape>alpha<escape>,", "<escape>beta<escape>]}" + END),  # the shorter member
        (CALL + "optional_only{", "}" + END),
        (CALL + "short_enum{e:<escape>", "a<escape>}" + END),  # the shortest member, not the first
        (CALL + "short_enum{", "}" + END),
        (CALL + "nope{", None),  # not a declared tool
        ("plain text", None),
    ],
)  # fmt: skip
def test_closing_text(text: str, ending: str | None) -> None:
    short_enum = {
        "type": "function",
        "function": {
            "name": "short_enum",
            "parameters": {"type": "object", "properties": {"e": {"type": "string", "enum": ["alpha_long", "a"]}}},
        },
    }
    assert closing_text([*FORCING, short_enum], text) == ending


def label(text: str, n: int) -> dict:
    """A tool with a free string, which a random model fills up to the grammar's bound.

    Args:
        text: The label.
        n: How many.
    """
    return {}


def test_out_of_budget_the_decoder_closes_the_call(tiny_gguf) -> None:
    """A random model under the grammar with a budget below its strings' bound: the output is still one valid
    call within ``max_tokens``, ``closed``; without the grammar it is cut off and does not parse. A call that fits
    its budget is never closed."""
    from toolsmith.shared.llm import GGUFModel

    model = GGUFModel(tiny_gguf, n_ctx=2048)
    schemas = [tool_schema(pick), tool_schema(label)]
    by_name = {s["function"]["name"]: s for s in schemas}
    grammar = model.call_grammar(schemas)
    prompt = render(
        [{"role": "developer", "content": TRIGGER}, {"role": "user", "content": "Label it."}],
        schemas,
        add_generation_prompt=True,
    )
    closed = 0
    for max_tokens in (20, 30, 45, 60):
        gen = model.generate(prompt, max_tokens=max_tokens, temperature=1.5, grammar=grammar)
        parsed = parse_output(gen.text)
        assert parsed.ok and len(parsed.calls) == 1, (max_tokens, gen.text)
        call = parsed.calls[0]
        assert check_arguments(by_name[call.name], call.arguments) == [], gen.text
        assert gen.stopped in ("closed", "stop_token") and gen.new_tokens <= max_tokens
        closed += gen.stopped == "closed"
    assert closed  # the random model's strings run past these budgets
    cut = model.generate(prompt, max_tokens=12, temperature=1.5, grammar=None)
    assert cut.stopped == "max_tokens" and not parse_output(cut.text).calls  # without the grammar: cut off
    whole = model.generate(prompt, max_tokens=400, grammar=grammar)  # greedy: it ends by itself
    assert whole.stopped == "stop_token"
    exact = model.generate(prompt, max_tokens=whole.new_tokens, grammar=grammar)
    assert (exact.text, exact.stopped) == (whole.text, "stop_token")  # a call that fits its budget is never closed
    short = model.generate(prompt, max_tokens=whole.new_tokens - 2, grammar=grammar)
    assert short.stopped == "closed" and parse_output(short.text).ok and short.new_tokens <= whole.new_tokens - 2
