"""The test file writer: new file, appends, imports, unique names, the pinned calls read back, valid Python."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from toolsmith.test.writer import Pinned, add_test, pinned_calls


def test_new_file_then_appends() -> None:
    text, name = add_test(None, "pkg.mod", "clamp", Pinned("5", "return", "5"))
    assert name == "test_clamp_1"
    assert text == (
        '"""Tests for `pkg.mod.clamp`: each pins one observed behaviour."""\n'
        "\n"
        "from pkg.mod import clamp\n"
        "\n"
        "\n"
        "def test_clamp_1():\n"
        "    assert clamp(5) == 5\n"
    )
    text, name = add_test(text, "pkg.mod", "clamp", Pinned("-1", "raise", exception="ValueError"))
    assert name == "test_clamp_2"
    assert "import pytest\n" in text and text.endswith(
        "def test_clamp_2():\n    with pytest.raises(ValueError):\n        clamp(-1)\n"
    )
    text, _ = add_test(text, "pkg.mod", "clamp", Pinned("x=Decimal('1.5')", "return", "Fraction(3, 2)"))
    assert "from decimal import Decimal\n" in text and "from fractions import Fraction\n" in text
    assert text.count("from pkg.mod import clamp") == 1 and text.count("import pytest") == 1
    ast.parse(text)


@pytest.mark.parametrize(
    ("pinned", "line"),
    [
        (Pinned("1", "return", "None", identity=True), "    assert f(1) is None\n"),
        (Pinned("1", "return", "True", identity=True), "    assert f(1) is True\n"),
        (Pinned("3", "return", "[1]", wrap="list"), "    assert list(f(3)) == [1]\n"),
        (Pinned("'a'", "return", "{'a': (1, 2.5)}"), "    assert f('a') == {'a': (1, 2.5)}\n"),
        (
            Pinned("b''", "raise", exception="JSONDecodeError", exception_module="json.decoder"),
            "    with pytest.raises(JSONDecodeError):\n        f(b'')\n",
        ),
    ],
)
def test_test_bodies(pinned: Pinned, line: str) -> None:
    text, _ = add_test(None, "m", "f", pinned)
    assert text.endswith(line)
    if pinned.exception_module:
        assert "from json.decoder import JSONDecodeError\n" in text


def test_names_stay_unique_in_a_users_file() -> None:
    existing = "import pytest\n\n\ndef test_f_1():\n    pass\n\n\ndef test_f_3():\n    pass\n"
    text, name = add_test(existing, "m", "f", Pinned("1", "return", "2"))
    assert name == "test_f_4"
    assert text.startswith("import pytest\nfrom m import f\n")  # added after the existing imports
    assert text.count("def test_f_") == 3


def test_file_without_newline_or_imports() -> None:
    text, _ = add_test("def helper():\n    return 1", "m", "f", Pinned("1", "return", "2"))
    assert text.startswith("from m import f\n\ndef helper():")
    ast.parse(text)


def test_refuses_broken_file_and_bad_pins() -> None:
    with pytest.raises(ValueError, match="expected tests/t.py to be valid Python, got a syntax error at line 1"):
        add_test("def (:\n", "m", "f", Pinned("1", "return", "2"), "tests/t.py")
    with pytest.raises(ValueError, match="got a call of `os.system`"):
        Pinned("os.system('x')", "return", "2")
    with pytest.raises(ValueError, match="expected a Python literal"):
        Pinned("1", "return", "<object at 0x1>")
    with pytest.raises(ValueError, match="expected outcome 'return' or 'raise', got 'timeout'"):
        Pinned("1", "timeout")


def test_pinned_calls_round_trip() -> None:
    text = None
    for args in ["5", "x=11", "[3, 1], reverse=True", "Decimal('1')"]:
        text, _ = add_test(text, "m", "f", Pinned(args, "return", "1"))
    text += "\n\ndef test_other():\n    assert f(open('x')) == 1\n    assert g(2) == 1\n    assert f(5) == 5\n"
    assert pinned_calls(text, "f") == ["5", "x=11", "[3, 1], reverse=True", "Decimal('1')"]
    assert pinned_calls(None, "f") == [] and pinned_calls("def (:", "f") == []


def test_written_file_is_ruff_clean(tmp_path) -> None:
    text = None
    pins = [
        Pinned("5", "return", "5"),
        Pinned("-1", "raise", exception="ValueError"),
        Pinned("b''", "raise", exception="JSONDecodeError", exception_module="json.decoder"),
        Pinned("'x'", "raise", exception="MyError", exception_module="mod"),
        Pinned("Decimal('2')", "return", "Fraction(1, 2)"),
    ]
    for pinned in pins:
        text, _ = add_test(text, "mod", "f", pinned)
    assert text.splitlines()[2:9] == [
        "from decimal import Decimal",
        "from fractions import Fraction",
        "from json.decoder import JSONDecodeError",
        "",
        "import pytest",
        "",
        "from mod import MyError, f",
    ]
    (tmp_path / "mod.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod_f.py").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,B,UP,I", "tests/test_mod_f.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout
