"""Safe call arguments and result values: checked with ast, built without eval (table-driven)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from toolsmith.test.values import build, parse_arguments, parse_value

ACCEPTED = [
    # source, normalised source, (args, kwargs)
    ("[3, 1], reverse=True", "[3, 1], reverse=True", (([3, 1],), {"reverse": True})),
    ("", "", ((), {})),
    ("  'a' ,  b'x' ", "'a', b'x'", (("a", b"x"), {})),
    ("-1, +2.5, 1+2j, -3-4j", "-1, +2.5, 1 + 2j, -3 - 4j", ((-1, 2.5, 1 + 2j, -3 - 4j), {})),
    ("None, (1,), {1: [2]}, {3}", "None, (1,), {1: [2]}, {3}", ((None, (1,), {1: [2]}, {3}), {})),
    ("set(), frozenset({1}), tuple([1]), list(), dict(a=1)", "set(), frozenset({1}), tuple([1]), list(), dict(a=1)",
     ((set(), frozenset({1}), (1,), [], {"a": 1}), {})),
    ("bytes(b'a'), bytearray(), range(1, 5, 2), complex(1, 2)",
     "bytes(b'a'), bytearray(), range(1, 5, 2), complex(1, 2)",
     ((b"a", bytearray(), range(1, 5, 2), 1 + 2j), {})),
    ("x=Decimal('1.5'), y=Fraction(1, 3)", "x=Decimal('1.5'), y=Fraction(1, 3)",
     ((), {"x": Decimal("1.5"), "y": Fraction(1, 3)})),
    ("float('inf')", "float('inf')", ((math.inf,), {})),
    ("[1, -2], key=abs", "[1, -2], key=abs", (([1, -2],), {"key": abs})),  # builtin functions by name
]  # fmt: skip


@pytest.mark.parametrize(("source", "normalised", "values"), ACCEPTED)
def test_accepted(source: str, normalised: str, values: tuple) -> None:
    args = parse_arguments(source)
    assert args.source == normalised
    assert args.build() == values
    assert parse_arguments(args.source).build() == values  # the normalised source means the same


def test_nan_argument_and_fresh_values() -> None:
    args = parse_arguments("float('nan'), [1]")
    first, second = args.build()[0], args.build()[0]
    assert math.isnan(first[0]) and first[1] == [1]
    assert first[1] is not second[1]  # each call gets its own list (the function may mutate it)
    assert parse_arguments("Decimal('1'), []").constructors() == {"Decimal"}


REFUSED = [
    ("os.getcwd()", "got a call of `os.getcwd`"),
    ("__import__('os')", "got a call of `__import__`"),
    ("open('x')", "got a call of `open`"),
    ("x", "got `x`"),
    ("eval", "got `eval`"),
    ("print", "got `print`"),
    ("1 + 1", "expected + or - only in a complex number like 1+2j, got `1 + 1`"),
    ("2 ** 100", "got `2 ** 100`"),
    ("-'a'", "expected a sign only before a number, got `-'a'`"),
    ("*[1, 2]", "expected plain arguments, got `*[1, 2]`"),
    ("**{'a': 1}", "expected plain arguments, got `**{'a': 1}`"),
    ("{**{'a': 1}}", "expected plain dict items, got `**{'a': 1}`"),
    ("[*[1]]", "expected plain items, got `*[1]`"),
    ("lambda: 1", "got `lambda: 1`"),
    ("[i for i in range(3)]", "got `[i for i in range(3)]`"),
    ("set([1], [2])", "expected at most 1 plain argument(s) to set(), got `set([1], [2])`"),
    ("list(x=1)", "expected no keyword arguments to list(), got `list(x=1)`"),
    ("1), print(2", "expected call arguments such as `[3, 1], reverse=True`, got `1), print(2`"),
    ("1, (", "got a syntax error in `1, (`"),
    ("...", "got `...`"),
    ("1)(2", "expected call arguments such as `[3, 1], reverse=True`, got `1)(2`"),
    ("f'{x}'", "got `f'{x}'`"),
    ("(1).real", "got `1 .real`"),
    ("[1][0]", "got `[1][0]`"),
    ("1 if x else 2", "got `1 if x else 2`"),
    ("'" + "a" * 3000 + "'", "expected arguments of at most 2000 characters, got 3002"),
]


@pytest.mark.parametrize(("source", "message"), REFUSED)
def test_refused(source: str, message: str) -> None:
    with pytest.raises(ValueError, match="^expected") as e:
        parse_arguments(source)
    assert message in str(e.value)


def test_refuses_non_string() -> None:
    with pytest.raises(ValueError, match="expected the arguments as a string of Python source, got int"):
        parse_arguments(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[1, 'a', None]", [1, "a", None]),
        ("{'n': Decimal('1.5'), 's': {1, 2}}", {"n": Decimal("1.5"), "s": {1, 2}}),
        ("frozenset({1})", frozenset({1})),
        ("(1+2j)", 1 + 2j),
        ("-0.0", -0.0),
    ],
)
def test_result_values(text: str, value: object) -> None:
    assert build(parse_value(text)) == value


@pytest.mark.parametrize("text", ["nan", "<P object at 0x7f>", "Point(x=1)", "inf", "[1, nan]", "1 2"])
def test_result_values_refused(text: str) -> None:
    with pytest.raises(ValueError, match="^expected"):
        parse_value(text)
