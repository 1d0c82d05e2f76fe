"""The lint agent's rewrites for issues ruff cannot fix (B904, E721, E722), kept only when real ruff agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

import toolsmith.lint.tools as lint_tools
from toolsmith.lint import fix_all, rewrite, run_linter
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
    "not a rule it rewrites": ("l = 1\n", "E741", 1, "x", "expected one of the codes B904, E721, E722"),
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
            code = r["next"]["code"]
            r = rewrite(code, REPLACEMENTS[code]) if code in REPLACEMENTS else fix_all(code)
            steps.append((code, r["count"]))
        assert steps == [("F401", 1), ("B904", 1), ("E722", 2), ("E721", 1)]  # every E722 in one call
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
