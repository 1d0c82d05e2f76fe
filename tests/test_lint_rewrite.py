"""The lint agent's rewrites for issues ruff cannot fix (B904, E721, E722, E741), kept only when real ruff agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

import toolsmith.lint.tools as lint_tools
from toolsmith.lint import fix_all, rewrite, run_linter
from toolsmith.lint.rename import suggest_name
from toolsmith.lint.rewrite import REPLACEMENTS, Rewrite, rewrite_text
from toolsmith.shared.sandbox import open_sandbox

TRY = "def f(d, x):\n    try:\n        return d[x]\n"

REWRITES = {
    # name: (text, code, line, replacement, the text after)
    "bare except": (
        TRY + "    except:  # anything\n        return None\n",
        "E722",
        4,
        "Exception",
        TRY + "    except Exception:  # anything\n        return None\n",
    ),
    "bare except, an imported class": (
        "import os\n\n\n" + TRY + "    except :\n        return None\n",
        "E722",
        7,
        "os.error",
        "import os\n\n\n" + TRY + "    except os.error:\n        return None\n",
    ),
    "type ==": ("def f(x):\n    return type(x) == int\n", "E721", 2, "is", "def f(x):\n    return type(x) is int\n"),
    "type != without spaces": (
        "def f(x, y):\n    return type(y)!=type(x)\n",
        "E721",
        2,
        "is",
        "def f(x, y):\n    return type(y) is not type(x)\n",
    ),
    "not type ==": (
        "def f(x):\n    return not type(x) == int\n",
        "E721",
        2,
        "is",
        "def f(x):\n    return type(x) is not int\n",
    ),
    "raise, handler without a name": (
        TRY + "    except KeyError:\n        raise ValueError(\n            x)\n",
        "B904",
        5,
        "err",
        TRY + "    except KeyError as err:\n        raise ValueError(\n            x) from err\n",
    ),
    "raise, the handler's own name": (
        TRY + "    except (KeyError, IndexError) as e:\n        raise ValueError(e)\n",
        "B904",
        5,
        "err",
        TRY + "    except (KeyError, IndexError) as e:\n        raise ValueError(e) from e\n",
    ),
    "raise from None": (
        TRY + "    except KeyError:\n        raise ValueError(x)\n",
        "B904",
        5,
        "None",
        TRY + "    except KeyError:\n        raise ValueError(x) from None\n",
    ),
    "E741 loop variable, everywhere in its scope": (
        'def f(rows):\n    for l in rows:\n        print(f"{l!r}")\n\n        def g():\n            return l\n\n'
        "    return l, [l for l in rows]\n",
        "E741",
        2,
        "row",
        'def f(rows):\n    for row in rows:\n        print(f"{row!r}")\n\n        def g():\n            return row\n\n'
        "    return row, [l for l in rows]\n",  # the comprehension's own l is another variable
    ),
    "E741 in a comprehension": (
        "def f(rows):\n    return [l.upper() for l in rows]\n",
        "E741",
        2,
        "row",
        "def f(rows):\n    return [row.upper() for row in rows]\n",
    ),
    "E741 assigned twice, with": (
        "def f(p):\n    with open(p) as O:\n        O = O.read()\n    return O\n",
        "E741",
        2,
        "data",
        "def f(p):\n    with open(p) as data:\n        data = data.read()\n    return data\n",
    ),
}


@pytest.mark.parametrize("text, code, line, replacement, after", REWRITES.values(), ids=REWRITES.keys())
def test_rewrite_text(text: str, code: str, line: int, replacement: str, after: str) -> None:
    assert rewrite_text(text, code, line, replacement).text == after


REFUSED = {
    "not a class name": (TRY + "    except:\n        pass\n", "E722", 4, "Exception()", "expected an exception class"),
    "no bare except there": (TRY + "    except:\n        pass\n", "E722", 3, "Exception", "expected a bare `except:`"),
    "an undefined class": (TRY + "    except:\n        pass\n", "E722", 4, "err", "expected an exception class the"),
    "E721 wants is": ("x = type(1) == int\n", "E721", 1, "isinstance", "expected 'is'"),
    "B904 cause": (TRY + "    except KeyError:\n        raise ValueError\n", "B904", 5, "e", "expected 'err'"),
    "B904 err in use": (
        TRY + "    except KeyError:\n        err = 1\n        raise ValueError(err)\n",
        "B904",
        6,
        "err",
        "expected the name 'err' free",
    ),
    "not a rule it rewrites": ("import os\n", "F401", 1, "x", "expected one of the codes B904, E721, E722, E741"),
    "E741 parameter": ("def f(l):\n    return l\n", "E741", 1, "x", "got the parameter `l`"),
    "E741 lambda parameter": ("def f():\n    return lambda I: I\n", "E741", 2, "x", "got the parameter `I`"),
    "E741 module name": ("l = 1\nprint(l)\n", "E741", 1, "x", "in a module or class"),
    "E741 class attribute": ("class C:\n    O = 1\n", "E741", 2, "x", "in a module or class"),
    "E741 global": ("def f():\n    global l\n    l = 1\n", "E741", 3, "x", "in a module or class"),
    "E741 nonlocal": (
        "def f():\n    l = 1\n\n    def g():\n        nonlocal l\n        l = 2\n\n    return g\n",
        "E741",
        2,
        "x",
        "a global or nonlocal declaration",
    ),
    "E741 walrus in a comprehension": (
        "def f(xs):\n    ys = [l * 2 for x in xs if (l := x)]\n    return ys, l\n",
        "E741",
        2,
        "y",
        "bound without :=",
    ),  # libcst scopes the := to the comprehension, Python to the function: half a rename would break the code
    "E741 name taken": ("def f(x):\n    l = len(x)\n    return l + x\n", "E741", 2, "x", "not already used"),
    "E741 builtin": ("def f(x):\n    l = len(x)\n    return l\n", "E741", 2, "len", "not already used"),
    "E741 module's name": ("import os\n\n\ndef f(x):\n    l = x\n    return l\n", "E741", 5, "os", "not already"),
    "E741 ambiguous": ("def f(x):\n    l = x\n    return l\n", "E741", 2, "I", "not ambiguous itself"),
    "E741 no identifier": ("def f(x):\n    l = x\n    return l\n", "E741", 2, "a b", "a plain identifier"),
    "E741 keyword": ("def f(x):\n    l = x\n    return l\n", "E741", 2, "class", "a plain identifier"),
    "E741 nothing there": ("def f(x):\n    l = x\n    return l\n", "E741", 3, "y", "bound at line 3, got none"),
}


@pytest.mark.parametrize("text, code, line, replacement, message", REFUSED.values(), ids=REFUSED.keys())
def test_rewrite_text_refuses(text: str, code: str, line: int, replacement: str, message: str) -> None:
    with pytest.raises(ValueError, match="expected") as err:
        rewrite_text(text, code, line, replacement)
    assert message in str(err.value)


CODE = """import os


def f(d, x):
    try:
        return d[x]
    except KeyError:
        raise ValueError("no")
    except:
        pass
    if type(x) == int:
        return 1
    try:
        return d[0]
    except:
        pass
"""


def test_next_names_ruff_fixes_first_then_the_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(CODE, encoding="utf-8")
    with open_sandbox(path) as box:
        r = run_linter()
        steps = []
        while "next" in r:
            nxt = r["next"]
            # the model copies the next call: its tool, code and replacement (the rule's)
            r = fix_all(nxt["code"]) if nxt["call"] == "fix_all" else rewrite(nxt["code"], nxt["replacement"])
            steps.append((nxt, r["count"]))
        assert steps == [
            ({"call": "fix_all", "code": "F401"}, 1),
            ({"call": "rewrite", "code": "B904", "replacement": "err"}, 1),
            ({"call": "rewrite", "code": "E722", "replacement": "Exception"}, 2),  # every E722 in one call
            ({"call": "rewrite", "code": "E721", "replacement": "is"}, 1),
        ]
        assert all(REPLACEMENTS[n["code"]] == n["replacement"] for n, _ in steps[1:])
        assert r == {"rewritten": "E721", "count": 1, "remaining": 0, "fixable": 0}
        assert box.read().count("except Exception:") == 2 and 'raise ValueError("no") from err' in box.read()
        assert run_linter()["issues_fixed"] == 5


def test_fix_all_points_a_rule_without_a_fix_to_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(CODE, encoding="utf-8")
    with open_sandbox(path), pytest.raises(ValueError, match=r"E722 without an automatic fix \(rewrite fixes E722\)"):
        fix_all("E722")


def project(tmp_path: Path, code: str, config: str | None = None) -> Path:
    if config is not None:
        (tmp_path / "ruff.toml").write_text(config, encoding="utf-8")
    path = tmp_path / "m.py"
    path.write_text(code, encoding="utf-8")
    return path


BARE = TRY + "    except:\n        return None\n"


def test_a_rewrite_that_adds_an_issue_is_refused(tmp_path: Path) -> None:
    # the project's config also selects BLE001 (blind except): `except Exception:` trades one issue for another
    config = "[lint]\nselect = ['E722', 'BLE001']\n"
    with open_sandbox(project(tmp_path, BARE, config)) as box:
        assert "next" not in run_linter()  # the dry run (Exception) adds BLE001: not sent to a call that fails
        with pytest.raises(ValueError, match="expected no new issue, got BLE001 after rewriting line 4"):
            rewrite("E722", "Exception")
        assert box.read() == BARE
        assert rewrite("E722", "LookupError") == {"rewritten": "E722", "count": 1, "remaining": 0, "fixable": 0}


@pytest.mark.parametrize(
    "fake, message",
    [
        (lambda text: text.replace("except:", "except Exception"), "expected the rewrite to keep the file valid"),
        (lambda text: text, "expected the rewrite to remove E722 at line 4, got it still there"),
        (lambda text: text.replace("except:", "except Exception:") + "import os\n", "expected only line 4's"),
        (lambda text: "import os\n" + text.replace("except:", "except Exception:"), "expected only line 4's"),
        (lambda text: text.replace("except:", "except Exception:").replace("d[x]", "d[x]  "), "expected only"),
    ],
    ids=["does not parse", "leaves the issue", "adds a line", "moves the lines", "changes another line"],
)
def test_the_checks_refuse_a_bad_rewrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake, message: str) -> None:
    # the rewriter replaced by a bad one: the tool's own checks (real ruff, the changed lines) must refuse it
    monkeypatch.setattr(lint_tools, "rewrite_text", lambda text, code, line, r: Rewrite(fake(text), frozenset({4})))
    with open_sandbox(project(tmp_path, BARE)) as box:
        with pytest.raises(ValueError, match="expected") as err:
            rewrite("E722", "Exception")
        assert message in str(err.value) and box.read() == BARE


def test_an_issue_the_rewrite_cannot_fix_is_not_next(tmp_path: Path) -> None:
    # B904 in a bare except (a config without E722): `raise ... from err` needs a named exception; the dry run finds
    # that, so the model is not sent to a call that fails, and the issue is reported as left
    code = TRY + "    except:\n        raise ValueError(x)\n"
    with open_sandbox(project(tmp_path, code, "[lint]\nselect = ['B904']\n")) as box:
        r = run_linter()
        assert [i["code"] for i in r["issues"]] == ["B904"] and "next" not in r
        with pytest.raises(ValueError, match="got a bare except; the file is unchanged"):
            rewrite("B904", "err")
        assert rewrite("B904", "None")["remaining"] == 0  # from None needs no name
        assert box.read().endswith("raise ValueError(x) from None\n")


OFFERED = {
    # name: (text, line of the binding, the name offered)
    "singular of the loop's iterable": ("def f(self):\n    for l in self.entries:\n        print(l)\n", 2, "entry"),
    "a file's lines": ("def f(p):\n    for l in open(p).readlines():\n        print(l)\n", 2, "line"),
    "a range": ("def f(n):\n    for I in range(n):\n        print(I)\n", 2, "index"),
    "dict keys, sorted": ("def f(d):\n    for l in sorted(d.keys()):\n        print(l)\n", 2, "key"),
    "a length": ("def f(x):\n    l = len(x)\n    return l\n", 2, "length"),
    "a list": ("def f(x):\n    l = [x]\n    return l\n", 2, "items"),
    "an open file": ("def f(p):\n    with open(p) as O:\n        return O.read()\n", 2, "file"),
    "nothing to go by": ("def f(x):\n    l = x * 2\n    return l\n", 2, "value"),
    "not a plural": ("def f(status):\n    for l in status:\n        print(l)\n", 2, "value"),
    "the name taken": ("def f(rows, row):\n    for l in rows:\n        print(l, row)\n", 2, "row2"),
    "a parameter: none": ("def f(l):\n    return l\n", 1, None),
}


@pytest.mark.parametrize("text, line, name", OFFERED.values(), ids=OFFERED.keys())
def test_suggest_name(text: str, line: int, name: str | None) -> None:
    assert suggest_name(text, line) == name


AMBIGUOUS = """def f(rows, l2):
    total = 0
    for l in rows:
        total += l
    for I in range(total):
        print(I, l2)
    return total
"""


def test_e741_next_offers_a_name_per_variable_and_rewrite_renames_one(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(AMBIGUOUS, encoding="utf-8")
    with open_sandbox(path) as box:
        r = run_linter()
        assert r["count"] == 2 and r["next"] == {"call": "rewrite", "code": "E741", "replacement": "row"}
        with pytest.raises(ValueError, match="got the parameter `l2`|not already used"):
            rewrite("E741", "l2")  # a name in use: refused, the file unchanged
        assert box.read() == AMBIGUOUS
        r = rewrite("E741", "row")
        assert r == {"rewritten": "E741", "count": 1, "remaining": 1, "fixable": 0,
                     "next": {"call": "rewrite", "code": "E741", "replacement": "index"}}  # fmt: skip
        assert rewrite("E741", "index") == {"rewritten": "E741", "count": 1, "remaining": 0, "fixable": 0}
        assert box.read() == AMBIGUOUS.replace("l in rows", "row in rows").replace("+= l\n", "+= row\n").replace(
            "I", "index"
        )
        assert run_linter()["issues_fixed"] == 2


def test_e741_on_a_parameter_is_not_offered(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("def f(l):\n    return l\n", encoding="utf-8")
    with open_sandbox(path):
        r = run_linter()
        assert r["count"] == 1 and "next" not in r  # left, and reported
        with pytest.raises(ValueError, match="got the parameter `l`"):
            rewrite("E741", "value")
