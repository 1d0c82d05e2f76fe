"""FunctionGemma rendering (golden, byte for byte) and parsing (table-driven round trips)."""

from __future__ import annotations

import json

import pytest

from toolsmith.shared.chat import encode, render
from toolsmith.shared.constants import BOS, CONTROL_TOKENS, TRIGGER
from toolsmith.shared.parse import FunctionCall, parse_output, parse_value

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Gets the current weather in a given location.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": 'The city and state, e.g. "San Francisco, CA" or "Tokyo, JP"',
                },
                "unit": {
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"],
                    "description": "The unit to return the temperature in.",
                },
            },
            "required": ["location"],
        },
    },
}
GOLDEN_DEVELOPER = (
    "<start_of_turn>developer\n"
    "You are a model that can do function calling with the following functions<start_function_declaration>"
    "declaration:get_current_weather{description:<escape>Gets the current weather in a given location.<escape>,"
    'parameters:{properties:{location:{description:<escape>The city and state, e.g. "San Francisco, CA" or '
    '"Tokyo, JP"<escape>,type:<escape>STRING<escape>},unit:{description:<escape>The unit to return the '
    "temperature in.<escape>,enum:[<escape>celsius<escape>,<escape>fahrenheit<escape>],type:<escape>STRING<escape>}},"
    "required:[<escape>location<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration><end_of_turn>\n"
)
GOLDEN_CALL = (
    "<start_of_turn>user\nHey, what's the weather in Tokyo right now?<end_of_turn>\n"
    "<start_of_turn>model\n"
    "<start_function_call>call:get_current_weather{location:<escape>Tokyo, Japan<escape>}<end_function_call>"
    "<start_function_response>response:get_current_weather{temperature:15,weather:<escape>sunny<escape>}"
    "<end_function_response>The current weather in Tokyo is sunny with a temperature of 15 degrees Celsius."
    "<end_of_turn>\n"
)
MESSAGES = [
    {"role": "developer", "content": TRIGGER},
    {"role": "user", "content": "Hey, what's the weather in Tokyo right now?"},
    {
        "role": "assistant",
        "tool_calls": [
            {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": "Tokyo, Japan"}}}
        ],
    },
    {"role": "tool", "name": "get_current_weather", "content": {"temperature": 15, "weather": "sunny"}},
    {"role": "assistant", "content": "The current weather in Tokyo is sunny with a temperature of 15 degrees Celsius."},
]


def test_golden_renderings_byte_for_byte():
    assert render(MESSAGES, [WEATHER]).text == BOS + GOLDEN_DEVELOPER + GOLDEN_CALL
    # without a developer message the trigger sentence is supplied
    assert render(MESSAGES[1:2], [WEATHER]).text.startswith(BOS + GOLDEN_DEVELOPER)


def test_spans_are_exactly_what_the_model_wrote():
    r = render(MESSAGES, [WEATHER])
    assert r.model_text() == [
        "<start_function_call>call:get_current_weather{location:<escape>Tokyo, Japan<escape>}<end_function_call>",
        "<start_function_response>",
        "The current weather in Tokyo is sunny with a temperature of 15 degrees Celsius.<end_of_turn>",
    ]
    assert not any("response:" in t or "Hey" in t for t in r.model_text())


def test_generation_prompt_and_continuation():
    opened = render(MESSAGES[:2], [WEATHER], add_generation_prompt=True).text
    assert opened.endswith(
        "<start_of_turn>user\nHey, what's the weather in Tokyo right now?<end_of_turn>\n<start_of_turn>model\n"
    )
    # after a tool response the model continues in place: no new turn is opened
    cont = render(MESSAGES[:4], [WEATHER], add_generation_prompt=True).text
    assert cont.endswith("<end_function_response>")
    assert render(MESSAGES, [WEATHER]).text.startswith(cont)


def test_multi_step_responses_stay_in_the_model_turn():
    call = {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": "Paris"}}}
    msgs = [
        *MESSAGES[:4],
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "name": "get_current_weather", "content": "rain"},
        {"role": "assistant", "content": "Wet."},
    ]
    text = render(msgs, [WEATHER]).text
    assert text.count("<start_of_turn>model") == 1
    assert "<end_function_response><start_function_call>call:get_current_weather{location:<escape>Paris" in text
    assert "response:get_current_weather{value:<escape>rain<escape>}<end_function_response>Wet.<end_of_turn>" in text


def test_parallel_calls():
    calls = [
        {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": c}}}
        for c in ("Tokyo", "Paris")
    ]
    r = render([MESSAGES[1], {"role": "assistant", "tool_calls": calls}], [WEATHER])
    assert parse_output(r.model_text()[0]).calls == (
        FunctionCall("get_current_weather", {"location": "Tokyo"}),
        FunctionCall("get_current_weather", {"location": "Paris"}),
    )


def test_tokenizer_template_gives_the_same_bytes(tokenizer):
    text = tokenizer.apply_chat_template(MESSAGES, tools=[WEATHER], tokenize=False)
    assert text == render(MESSAGES, [WEATHER]).text
    ids = tokenizer.apply_chat_template(MESSAGES, tools=[WEATHER], tokenize=True, return_dict=True)["input_ids"]
    assert ids == encode(tokenizer, render(MESSAGES, [WEATHER])).input_ids
    assert ids.count(tokenizer.convert_tokens_to_ids(BOS)) == 1 and ids[0] == tokenizer.convert_tokens_to_ids(BOS)


def test_supervised_tokens_decode_to_the_model_spans(tokenizer):
    r = render(MESSAGES, [WEATHER])
    enc = encode(tokenizer, r)
    picked = tokenizer.decode([i for i, s in zip(enc.input_ids, enc.supervised) if s], skip_special_tokens=False)
    assert picked == "".join(r.model_text())


def _call(location: str) -> dict:
    return {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": location}}}


RECOVERY = [  # a failed first call (not to be learned), its error, then the right call and the answer
    *MESSAGES[:2],
    {"role": "assistant", "tool_calls": [_call("Tokio")], "weight": 0},
    {"role": "tool", "name": "get_current_weather", "content": {"error": "unknown location"}},
    {"role": "assistant", "tool_calls": [_call("Tokyo, Japan")], "weight": 1},
    {"role": "tool", "name": "get_current_weather", "content": {"temperature": 15, "weather": "sunny"}},
    MESSAGES[4],
]


def test_weight_zero_renders_the_same_and_is_not_learned(tokenizer):
    from toolsmith.shared.batching import tokenize_examples

    unweighted = [{k: v for k, v in m.items() if k != "weight"} for m in RECOVERY]
    r, plain = render(RECOVERY, [WEATHER]), render(unweighted, [WEATHER])
    assert r.text == plain.text
    failed = "<start_function_call>call:get_current_weather{location:<escape>Tokio<escape>}<end_function_call>"
    assert plain.model_text()[:2] == [failed, "<start_function_response>"]
    assert r.model_text() == plain.model_text()[2:]  # exactly the failed call and its stop token are gone

    enc, enc_plain = encode(tokenizer, r), encode(tokenizer, plain)
    assert enc.input_ids == enc_plain.input_ids
    dropped = [i for i, (a, b) in enumerate(zip(enc.supervised, enc_plain.supervised)) if a != b]
    assert all(enc_plain.supervised[i] and not enc.supervised[i] for i in dropped)
    assert dropped == list(range(dropped[0], dropped[-1] + 1))  # one run of tokens
    assert tokenizer.decode([enc.input_ids[i] for i in dropped]) == failed + "<start_function_response>"

    (ex, ex_plain), _ = tokenize_examples(
        tokenizer, [{"messages": RECOVERY, "tools": [WEATHER]}, {"messages": unweighted, "tools": [WEATHER]}], 1024
    )
    assert ex.input_ids == ex_plain.input_ids
    # position t predicts token t+1: exactly the positions before the dropped tokens lose their label
    assert [t for t, (a, b) in enumerate(zip(ex.labels, ex_plain.labels)) if a != b] == [i - 1 for i in dropped]
    assert all(ex.labels[i - 1] == -100 for i in dropped)
    assert ex.supervised == ex_plain.supervised - len(dropped)


# every control-token string, the private-use characters render() stands them in with, and a non-format special
EVERY_CONTROL = "".join(CONTROL_TOKENS) + "\ue000\ue001\ue000<pad>"


def with_control_strings(text: str) -> list[dict]:
    """A conversation whose user text, schema description, call arguments and tool results hold ``text``."""
    call = {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": f"a{text}b"}}}
    return [
        {"role": "developer", "content": TRIGGER},
        {"role": "user", "content": f"What is in {text}?"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "name": "get_current_weather", "content": {"weather": text, "n": [text, 1]}},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "name": "get_current_weather", "content": text},
        {"role": "assistant", "content": f"It says {text}."},
    ]


def tool_with(text: str) -> dict:
    tool = json.loads(json.dumps(WEATHER))
    tool["function"]["parameters"]["properties"]["location"]["description"] = f"A city{text}"
    return tool


def test_control_strings_in_content_are_content():
    r = render(with_control_strings(EVERY_CONTROL), [tool_with(EVERY_CONTROL)])
    clean = render(with_control_strings(""), [tool_with("")])
    assert r.text.count(EVERY_CONTROL) == 8  # as written: user, description, 2 arguments, 3 in results, answer
    assert r.text.replace(EVERY_CONTROL, "") == clean.text
    # the template's control tokens, and only those, are marked; the model spans move with the content
    assert [r.text[a:b] for a, b in r.controls] == [clean.text[a:b] for a, b in clean.controls]
    assert [t.replace(EVERY_CONTROL, "") for t in r.model_text()] == clean.model_text()
    assert sum(EVERY_CONTROL in t for t in r.model_text()) == 3  # two call arguments and the answer
    pieces = r.pieces()
    assert "".join(r.text[a:b] for a, b, _ in pieces) == r.text
    assert all((a, b) in r.controls for a, b, control in pieces if control)
    assert not any(r.text[a:b] in CONTROL_TOKENS for a, b, control in pieces if not control)


def test_control_strings_in_content_tokenize_as_plain_text(tokenizer):
    control_ids = set(tokenizer.convert_tokens_to_ids(list(CONTROL_TOKENS)))
    r = render(with_control_strings(EVERY_CONTROL), [tool_with(EVERY_CONTROL)])
    clean = render(with_control_strings(""), [tool_with("")])
    ids, clean_ids = encode(tokenizer, r).input_ids, encode(tokenizer, clean).input_ids
    assert [i for i in ids if i in control_ids] == [i for i in clean_ids if i in control_ids]
    assert tokenizer.decode(ids, skip_special_tokens=False) == r.text
    # what HF did before: the whole text with special tokens on turns content into control tokens
    whole = tokenizer(r.text, add_special_tokens=False)["input_ids"]
    assert sum(i in control_ids for i in whole) > sum(i in control_ids for i in ids)


# ids from tokenizing the whole text with special tokens on (as before segment-wise tokenizing existed)
GOLDEN_IDS = [2, 105, 2364, 107, 36819, 138, 1580, 236787, 107, 255968, 1106, 3252, 236761, 106, 107, 105, 4368, 107]


def test_text_without_control_strings_tokenizes_as_before(tokenizer):
    r = render([{"role": "user", "content": "Fix  this:\n\timport os."}], add_generation_prompt=True)
    assert encode(tokenizer, r).input_ids == GOLDEN_IDS
    assert tokenizer.decode(GOLDEN_IDS) == r.text
    for msgs in (MESSAGES, RECOVERY, MESSAGES[:2], MESSAGES[:4]):
        r = render(msgs, [WEATHER], add_generation_prompt=True)
        enc = encode(tokenizer, r)
        whole = tokenizer(r.text, add_special_tokens=False, return_offsets_mapping=True)
        assert enc.input_ids == whole["input_ids"]
        assert enc.supervised == [any(a <= s < b for a, b in r.spans) and e > s for s, e in whole["offset_mapping"]]


ARGUMENT_CASES = [
    ("plain string", {"a": "hello"}),
    ("escaped punctuation", {"q": 'x{y}, z: [1] "quoted"'}),
    ("bare numbers", {"n": 15, "f": -2.5, "e": 1e-07, "zero": 0}),
    ("booleans and null", {"t": True, "f": False, "n": None}),
    ("nested", {"o": {"b": [1, "two", {"c": False}], "a": {}}, "l": []}),
    ("unicode and newlines", {"code": "def f():\n\treturn 'é中文'\n"}),
    ("commas inside strings", {"csv": "a,b,c", "colon": "k:v"}),
    ("sorted keys", {"z": 1, "a": 2, "M": 3}),
]


@pytest.mark.parametrize(("name", "args"), ARGUMENT_CASES, ids=[c[0] for c in ARGUMENT_CASES])
def test_round_trip_render_parse(name, args):
    msgs = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": args}}]},
    ]
    tool = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
    parsed = parse_output(render(msgs, [tool]).model_text()[0])
    assert parsed.errors == ()
    assert parsed.calls == (FunctionCall("f", args),)
    assert list(parsed.calls[0].arguments) == sorted(args)  # rendered with sorted keys
    assert all(type(parsed.calls[0].arguments[k]) is type(v) for k, v in args.items())


PARSE_CASES = [
    # (output, expected calls, expected error kinds, expected text)
    ("<start_function_call>call:f{a:1}<end_function_call>", [("f", {"a": 1})], [], ""),
    (
        "noise<start_function_call>call:f{}<end_function_call>mid<start_function_call>call:g{b:true}"
        "<end_function_call><start_function_response>",
        [("f", {}), ("g", {"b": True})],
        [],
        "noisemid",
    ),
    (
        "<bos><bos><start_function_call>call:f{a:<escape>x<escape>}<end_function_call>",
        [("f", {"a": "x"})],
        [],
        "<bos><bos>",
    ),
    ("Just text.<end_of_turn>", [], [], "Just text."),
    ("<start_function_call>call:f{a:1", [], ["unterminated"], ""),
    ("<start_function_call>call:f{a:<escape>open}<end_function_call>", [], ["unterminated"], ""),
    ("<start_function_call>f{a:1}<end_function_call>", [], ["bad_name"], ""),
    (
        "<start_function_call>call:f{a:bare}<end_function_call><start_function_call>call:g{}<end_function_call>",
        [("g", {})],
        ["bad_value"],
        "",
    ),
    ("<start_function_call>call:f{a:1}}<end_function_call>", [], ["trailing"], ""),
    ("<start_function_call>call:f{a:[1,2}<end_function_call>", [], ["bad_value"], ""),
    ("", [], [], ""),
]


@pytest.mark.parametrize(("text", "calls", "errors", "rest"), PARSE_CASES)
def test_parse_table(text, calls, errors, rest):
    parsed = parse_output(text)
    assert [(c.name, c.arguments) for c in parsed.calls] == calls
    assert [e.kind for e in parsed.errors] == errors
    assert parsed.text == rest


def test_parse_value_errors_say_expected_and_got():
    assert parse_value("{a:<escape>x<escape>,b:[1,null]}") == {"a": "x", "b": [1, None]}
    with pytest.raises(ValueError, match="expected .*got"):
        parse_value("{a:1")
