"""The docstring tools in a real sandbox (pydoclint, ruff, libcst), their schemas, and the expert end to end."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolsmith.docstring.checks import judge
from toolsmith.docstring.damage import damage
from toolsmith.docstring.expert import expert
from toolsmith.docstring.parts import Parts, change_summary
from toolsmith.docstring.tools import TOOLS, check_docstrings, inspect_function, submit_result, write_docstring
from toolsmith.shared.agent import load_agent
from toolsmith.shared.examples import Recorder
from toolsmith.shared.sandbox import Sandbox, open_sandbox
from toolsmith.shared.tools import check_arguments, tool_schema

AGENT_YAML = Path(__file__).resolve().parents[1] / "agents" / "docstring" / "agent.yaml"
CODE = '''"""Shapes."""


class Box:
    def grow(self, by, *, limit=None):
        """grow the box

        Args:
            by: How much.
            step: Gone.

        Example:
            >>> Box().grow(2)
        """
        if by < 0:
            raise ValueError("negative")
        return min(by, limit or by)
'''
TRUTH = Parts(
    summary="Grow the box.",
    args={"by": "How much to grow it.", "limit": "The largest growth allowed, if any."},
    returns="The growth applied.",
    raises={"ValueError": "``by`` is negative."},
)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    path = tmp_path / "shapes.py"
    path.write_text(CODE, encoding="utf-8")
    with open_sandbox(path, symbol="Box.grow") as b:
        yield b


def test_inspect_function(box: Sandbox) -> None:
    r = inspect_function()
    assert r["params"] == ["by", "limit"] and r["signature"] == "def grow(by, *, limit=None)"
    assert (r["returns"], r["yields"], r["raises"]) == (True, False, ["ValueError"])
    assert r["docstring"] == {  # aligned to the code: a null where words are missing, the stale name apart
        "summary": "grow the box",
        "args": {"by": "How much.", "limit": None},
        "not_params": {"step": "Gone."},
        "returns": None,
        "raises": {"ValueError": None},
        "kept": ["Example"],
    }
    assert r["code"].startswith("def grow(self, by, *, limit=None):\n    if by < 0:")
    assert r["problem_count"] == 7 and len(r["problems"]) == 6 and r["next"] == "write_docstring"
    assert r["problems"][:2] == [
        "D417 Missing argument description in the docstring for `grow`: `limit`",
        "DOC103 Not documented: [limit]. Not in the signature: [step].",
    ]
    assert len(json.dumps(r)) < 1500  # it goes into a 4096-token context


def test_write_check_submit(box: Sandbox) -> None:
    refused = r"before submitting, got 7 problem\(s\): D417 .*`limit`; call write_docstring"
    with pytest.raises(ValueError, match=refused):  # the stale docstring: refused, not ended
        submit_result(["by", "step"], 0)
    r = write_docstring(
        summary="grow the box",
        args={"by": "How much.", "limit": "The cap."},
        returns="The growth.",
        raises={"ValueError": "by is negative."},
    )
    assert r == {
        "written": "Box.grow",
        "sections": ["Args", "Returns", "Raises"],
        "lines": 14,
        "next": "check_docstrings",
    }
    assert '        """Grow the box.\n\n        Args:\n            by: How much.\n' in box.read()
    assert "        Example:\n            >>> Box().grow(2)\n" in box.read()  # kept verbatim
    assert check_docstrings() == {"problems": [], "count": 0, "documented": ["by", "limit"], "next": "submit_result"}
    with pytest.raises(ValueError, match=r"expected documented to be the documented parameter names \['by', 'limit'\]"):
        submit_result(["Example"], 0)  # a name from the kept sections, not a parameter
    with pytest.raises(ValueError, match="expected remaining_problems 0"):
        submit_result(["limit", "by"], 2)
    written = "Fixed the docstring of `Box.grow`: documented `limit`, removed `step`, added Returns, added Raises."
    assert submit_result(["limit", "by"], 0) == {"accepted": True, "summary": written}  # the tool writes it
    assert submit_result(["limit", "by"], 0, summary=" Grew it. ") == {"accepted": True, "summary": "Grew it."}


def test_a_part_left_out_keeps_its_current_text(box: Sandbox) -> None:
    write_docstring(summary="Grow the box.", args={"limit": "The cap."}, raises={"ValueError": "by is negative."},
                    returns="The growth.")  # fmt: skip
    doc = box.read()
    assert "            by: How much.\n            limit: The cap.\n" in doc  # by: the current description
    assert "step" not in doc and "Example:" in doc  # the stale name dropped, the kept section kept
    write_docstring(summary="Grow the box by some.", args={"by": "", "limit": "The upper cap."})
    doc = box.read()
    assert "by: How much." in doc and "limit: The upper cap." in doc and "Returns:\n            The growth." in doc
    assert "ValueError: by is negative." in doc and '"""Grow the box by some.' in doc
    assert check_docstrings()["count"] == 0


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"summary": "Grow.", "args": {"by": "x", "limit": "y", "step": "z"}, "returns": "r",
          "raises": {"ValueError": "v"}},
         "expected args names of `Box.grow` (by, limit), got 'step'"),
        ({"summary": "Grow.", "args": {"by": "x", "limit": "y"}, "raises": {"ValueError": "v"}},
         "expected `returns` (what `Box.grow` returns), got none"),
    ],
)  # fmt: skip
def test_write_refuses_and_leaves_the_file(box: Sandbox, arguments: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        write_docstring(**arguments)
    assert box.read() == CODE


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"summary": "ok", "documented": ["by"], "remaining_problems": -1}, "expected remaining_problems"),
        ({"summary": "ok", "documented": "by", "remaining_problems": 0}, "expected documented to be a list"),
        ({"summary": 3, "documented": [], "remaining_problems": 0}, "expected a one-sentence summary"),
    ],
)
def test_submit_result_validates(arguments: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        submit_result(**arguments)


@pytest.mark.parametrize(
    ("before", "after", "summary"),
    [
        (Parts("Grow."), Parts("Grow."), "The docstring of `f` is already complete."),
        (None, Parts("Grow.", args={"by": "How much."}), "Added a docstring to `f`."),
        (Parts(""), Parts("Grow."), "Added a docstring to `f`."),
        (Parts("Grow.", args={"by": ""}), Parts("Grow.", args={"by": "How much."}),
         "Fixed the docstring of `f`: documented `by`."),
        (Parts("Grow.", args={"step": "Gone."}), Parts("Grow.", args={"by": "How much."}, returns="The box."),
         "Fixed the docstring of `f`: documented `by`, removed `step`, added Returns."),
        (Parts("Grow.", raises={}), Parts("Grow.", yields="Boxes.", raises={"ValueError": "by < 0."}),
         "Fixed the docstring of `f`: added Yields, added Raises."),
        (Parts("grow it"), Parts("Grow it."), "Rewrote the docstring of `f`."),
    ],
)  # fmt: skip
def test_change_summary(before: Parts | None, after: Parts, summary: str) -> None:
    assert change_summary("f", before, after) == summary


def test_schemas_come_from_the_signatures() -> None:
    schemas = {
        fn.__name__: tool_schema(fn) for fn in (inspect_function, write_docstring, check_docstrings, submit_result)
    }
    params = schemas["write_docstring"]["function"]["parameters"]
    assert params["required"] == ["summary"]
    assert params["properties"]["args"]["type"] == "object"
    good = {"summary": "Grow.", "args": {"by": "x"}, "raises": {"ValueError": "v"}, "returns": "r"}
    assert check_arguments(schemas["write_docstring"], good) == []
    assert (
        check_arguments(schemas["submit_result"], {"summary": "s", "documented": ["a"], "remaining_problems": 0}) == []
    )


def test_tools_need_a_symbol(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(CODE, encoding="utf-8")
    with open_sandbox(path), pytest.raises(ValueError, match="expected a run limited to one function"):
        inspect_function()


@pytest.mark.parametrize("kind", ["remove", "drop_arg", "rename_param", "drop_returns", "drop_raises", "stale_arg"])
def test_expert_restores_the_author_docstring(tmp_path: Path, kind: str) -> None:
    author = '''class Box:
    def grow(self, by, *, limit=None):
        """Grow the box.

        Args:
            by: How much to grow it.
            limit: The largest growth allowed, if any.

        Returns:
            The growth applied.

        Raises:
            ValueError: ``by`` is negative.
        """
        if by < 0:
            raise ValueError("negative")
        return min(by, limit or by)
'''
    damaged = damage(author, "Box.grow", kind, random.Random(0))
    assert damaged is not None and damaged.text != author
    path = tmp_path / "shapes.py"
    path.write_text(damaged.text, encoding="utf-8")
    with open_sandbox(path, symbol="Box.grow") as b:
        rec = Recorder(load_agent("docstring", path=AGENT_YAML, tools=TOOLS), b)
        expert(rec, TRUTH, damaged.renamed)
        final = b.read()
    calls = [m["tool_calls"][0]["function"] for m in rec.messages if m["role"] == "assistant"]
    assert [c["name"] for c in calls] == ["inspect_function", "write_docstring", "check_docstrings", "submit_result"]
    r = judge(damaged.text, final, "Box.grow", rec.submitted, reference=TRUTH)
    assert r["success"], r["reason"]
    assert r["similarity"] == 1.0


def test_a_class_documents_its_init(tmp_path: Path) -> None:
    path = tmp_path / "point.py"
    path.write_text(
        "class Point(Base):\n    def __init__(self, x, y=0):\n        if x < 0:\n            raise ValueError(x)\n"
        "        self.x, self.y = x, y\n",
        encoding="utf-8",
    )
    with open_sandbox(path, symbol="Point") as b:
        r = inspect_function()
        assert (r["signature"], r["params"], r["returns"], r["raises"]) == (
            "class Point(Base): __init__(x, y=0)",
            ["x", "y"],
            False,
            ["ValueError"],
        )
        write_docstring("A point.", args={"x": "Across.", "y": "Up."}, raises={"ValueError": "x is negative."})
        assert check_docstrings()["count"] == 0
        assert b.read().startswith('class Point(Base):\n    """A point.\n\n    Args:\n        x: Across.\n')


@pytest.mark.parametrize(
    ("class_doc", "problems", "next_call"),
    [
        ('"""A point.\n\n    Args:\n        x: Across.\n    """', [], "submit_result"),  # the class documents it
        ('"""A point."""', ["D107 Missing docstring in `__init__`"], "write_docstring"),
    ],
)
def test_an_init_its_class_documents_needs_no_docstring(
    tmp_path: Path, class_doc: str, problems: list[str], next_call: str
) -> None:
    path = tmp_path / "point.py"
    path.write_text(
        f"class Point:\n    {class_doc}\n\n    def __init__(self, x):\n        self.x = x\n", encoding="utf-8"
    )
    with open_sandbox(path, symbol="Point.__init__"):
        r = inspect_function()
    skeleton = {"summary": None, "args": {"x": None}}  # what to write, when there is work to do
    assert (r["problems"], r["next"]) == (problems, next_call)
    assert r["docstring"] == (None if next_call == "submit_result" else skeleton)
