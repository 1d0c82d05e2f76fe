"""The project sandbox: what is copied, what tools may write, encodings kept, and apply (all or none)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolsmith.shared.sandbox import (
    ApplyError,
    Sandbox,
    SandboxError,
    check_target,
    decode_source,
    encode_like,
    fill_outputs,
    find_project,
    open_sandbox,
)


def tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())


@pytest.mark.parametrize(
    ("files", "target", "project"),
    [
        ({"pyproject.toml": "", "src/pkg/mod.py": ""}, "src/pkg/mod.py", "."),
        ({"setup.py": "", "pkg/sub/mod.py": ""}, "pkg/sub/mod.py", "."),
        ({"a/setup.cfg": "", "a/b/mod.py": ""}, "a/b/mod.py", "a"),
        ({".git/HEAD": "", "x/mod.py": ""}, "x/mod.py", "."),
        ({"lone/mod.py": ""}, "lone/mod.py", "lone"),  # no marker: the file's own folder
    ],
)
def test_find_project(tmp_path: Path, files: dict, target: str, project: str) -> None:
    root = tmp_path / "p"
    tree(root, files)
    (root.parent / "marker-free").mkdir()
    found, _ = find_project(root / target)
    assert found == (root / project).resolve()


def test_the_copy_holds_project_sources_only(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[project]\nname='p'\n",
        "ruff.toml": "line-length = 100\n",
        "src/pkg/.ruff.toml": "line-length = 90\n",
        "src/pkg/__init__.py": "",
        "src/pkg/mod.py": "def f():\n    return 1\n",
        "src/pkg/helper.py": "X = 1\n",
        "src/pkg/data.bin": b"\0" * 10,
        "README.md": "hi",
        ".venv/pyvenv.cfg": "home = /usr\n",
        ".venv/lib/site.py": "",
        "env2/pyvenv.cfg": "",
        "env2/lib.py": "",
        "node_modules/x.py": "",
        "src/pkg/__pycache__/mod.cpython-311.pyc": b"\0",
        "build/lib/pkg/mod.py": "",
        "big.py": "# " + "x" * (2 << 20),
    }
    tree(tmp_path, files)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_text("SECRET = 1\n")
    os.symlink(outside, tmp_path / "src" / "pkg" / "link.py")
    with open_sandbox(tmp_path / "src" / "pkg" / "mod.py") as box:
        copied = sorted(p.relative_to(box.root).as_posix() for p in box.root.rglob("*") if p.is_file())
        assert copied == [
            "pyproject.toml",
            "ruff.toml",
            "src/pkg/.ruff.toml",
            "src/pkg/__init__.py",
            "src/pkg/helper.py",
            "src/pkg/mod.py",
        ]
        assert box.rel_target == "src/pkg/mod.py"
        assert any("link.py (a link)" in s for s in box.skipped)
        assert any("big.py (over" in s for s in box.skipped)
        assert any("env2/" in s for s in box.skipped)


def test_a_link_target_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("x = 1\n")
    os.symlink(real, tmp_path / "link.py")
    with pytest.raises(ValueError, match=r"link\.py: expected a regular file, got a link"):
        check_target(tmp_path / "link.py")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"x = 1\r\ny = 2\r\n", "x = 1\r\ny = 2\r\n"),  # CRLF kept
        (b"\xef\xbb\xbfx = 1\n", "x = 1\n"),  # BOM: utf-8-sig
        (b"# -*- coding: latin-1 -*-\ns = '\xe9'\n", "# -*- coding: latin-1 -*-\ns = '\xe9'\n"),
        (b"\tif x:\n\t\tpass\n", "\tif x:\n\t\tpass\n"),
    ],
)
def test_text_keeps_encoding_and_newlines(data: bytes, text: str) -> None:
    assert decode_source(data, "f.py") == text
    assert encode_like(text, data, "f.py") == data


def test_undecodable_bytes_name_the_file() -> None:
    with pytest.raises(ValueError, match=r"^pkg/f\.py: expected text in its declared encoding"):
        decode_source(b"s = '\xe9'\n", "pkg/f.py")
    with pytest.raises(ValueError, match=r"^f\.py: expected text that iso-8859-1 .* can hold"):
        encode_like("s = '\u20ac'\n", b"# coding: latin-1\n", "f.py")


def test_crlf_files_stay_crlf_when_a_tool_writes_lf(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    with open_sandbox(tmp_path / "t.py") as box:
        text = box.read()
        box.write(text.replace("b = 2\r\n", "b = 3\nc = 4\n"))
        assert box.read_bytes() == b"a = 1\r\nb = 3\r\nc = 4\r\n"
        assert box.diff().count("\n-") == 1  # one line changed, one added


def test_tools_write_only_the_target_and_declared_outputs(tmp_path: Path) -> None:
    tree(tmp_path, {"pyproject.toml": "", "pkg/mod.py": "def f():\n    return 1\n", "pkg/other.py": ""})
    with open_sandbox(tmp_path / "pkg" / "mod.py", symbol="f", outputs=["tests/test_{module}_{symbol}.py"]) as box:
        assert box.outputs == ("tests/test_mod_f.py",)
        box.write("x = 1\n")
        box.write("def test_f(): ...\n", "tests/test_mod_f.py")
        for rel in ("pkg/other.py", "pyproject.toml", "tests/test_other.py"):
            with pytest.raises(SandboxError, match="expected one of the files this agent may write"):
                box.write("pwned\n", rel)
        for rel in ("../x.py", "/etc/passwd"):
            with pytest.raises(SandboxError, match="expected a relative path inside the sandbox"):
                box.write("pwned\n", rel)
        assert set(box.changes()) == {"pkg/mod.py", "tests/test_mod_f.py"}
        diff = box.diff()
        assert "--- /dev/null\n+++ b/tests/test_mod_f.py" in diff and "+++ b/pkg/mod.py" in diff
    with open_sandbox(tmp_path / "pkg" / "mod.py", outputs=["t.py"], edits_target=False) as box:
        with pytest.raises(SandboxError):
            box.write("x = 1\n")


@pytest.mark.parametrize(
    ("patterns", "target", "symbol", "expected"),
    [
        (["tests/test_{module}_{symbol}.py"], "src/pkg/mod.py", "f", ("tests/test_mod_f.py",)),
        (["tests/test_{module}_{symbol}.py"], "mod.py", "A.b", ("tests/test_mod_A_b.py",)),
        (
            ["samples/{symbol}.json", "tests/fixtures_{symbol}.py"],
            "schema.json",
            None,
            ("samples/schema.json", "tests/fixtures_schema.py"),
        ),
        (
            ["samples/{symbol}.json", "tests/fixtures_{symbol}.py"],
            "schemas/invoice.schema.json",
            None,
            ("samples/invoice.json", "tests/fixtures_invoice.py"),
        ),
    ],
)
def test_fill_outputs(patterns: list, target: str, symbol: str | None, expected: tuple) -> None:
    assert fill_outputs(patterns, target, symbol) == expected


def run_and_apply(tmp_path: Path, edit, overwrite: bool = False) -> list[str]:
    with open_sandbox(tmp_path / "mod.py", outputs=["out.py"], project=tmp_path) as box:
        edit(box)
        return box.apply(overwrite=overwrite)


def test_apply_writes_changes_and_new_files(tmp_path: Path) -> None:
    tree(tmp_path, {"mod.py": "x = 1\n"})

    def edit(box):
        box.write("x = 2\n")
        box.write("y = 1\n", "out.py")

    assert run_and_apply(tmp_path, edit) == ["mod.py", "out.py"]
    assert (tmp_path / "mod.py").read_text() == "x = 2\n" and (tmp_path / "out.py").read_text() == "y = 1\n"


def test_apply_refuses_an_existing_file_it_would_create_unless_overwrite(tmp_path: Path) -> None:
    tree(tmp_path, {"mod.py": "x = 1\n"})

    def edit(box):
        box.write("x = 2\n")
        box.write("y = 1\n", "out.py")
        (tmp_path / "out.py").write_text("mine\n")  # appears in the user's project during the run

    with pytest.raises(ApplyError, match=r"out\.py: expected a new file, got an existing one .*--overwrite"):
        run_and_apply(tmp_path, edit)
    assert (tmp_path / "mod.py").read_text() == "x = 1\n"  # nothing written
    assert (tmp_path / "out.py").read_text() == "mine\n"
    (tmp_path / "out.py").unlink()
    assert run_and_apply(tmp_path, edit, overwrite=True) == ["mod.py", "out.py"]
    assert (tmp_path / "out.py").read_text() == "y = 1\n"


def test_apply_refuses_a_file_edited_during_the_run(tmp_path: Path) -> None:
    tree(tmp_path, {"mod.py": "x = 1\n"})

    def edit(box):
        box.write("x = 2\n")
        box.write("y = 1\n", "out.py")
        (tmp_path / "mod.py").write_text("x = 1  # edited\n")

    with pytest.raises(ApplyError, match=r"mod\.py: expected it unchanged since the run started"):
        run_and_apply(tmp_path, edit)
    assert not (tmp_path / "out.py").exists()
    assert (tmp_path / "mod.py").read_text() == "x = 1  # edited\n"


def test_apply_never_writes_through_a_link(tmp_path: Path) -> None:
    project, outside = tmp_path / "p", tmp_path / "elsewhere.py"
    tree(project, {"mod.py": "x = 1\n"})
    outside.write_text("keep = True\n")
    (project / "out.py").symlink_to(outside)  # an output path that leads out of the project

    def edit(box):
        box.write("x = 2\n")
        box.write("y = 1\n", "out.py")

    with pytest.raises(ApplyError, match=r"out\.py: expected a regular file to write, got a link"):
        run_and_apply(project, edit, overwrite=True)
    assert outside.read_text() == "keep = True\n" and (project / "mod.py").read_text() == "x = 1\n"


def test_apply_puts_back_what_it_wrote_when_a_later_write_fails(tmp_path: Path, monkeypatch) -> None:
    tree(tmp_path, {"mod.py": "x = 1\n"})
    import toolsmith.shared.sandbox as sandbox

    real = sandbox.atomic_write_bytes

    def flaky(path, data):
        if path == tmp_path / "out.py":  # the second file written into the user's project
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(sandbox, "atomic_write_bytes", flaky)

    def edit(box):
        box.write("x = 2\n")
        box.write("y = 1\n", "out.py")

    with pytest.raises(ApplyError, match="disk full"):
        run_and_apply(tmp_path, edit)
    assert (tmp_path / "mod.py").read_text() == "x = 1\n" and not (tmp_path / "out.py").exists()


def test_apply_keeps_encoding_and_newlines_byte_for_byte(tmp_path: Path) -> None:
    original = b"# -*- coding: latin-1 -*-\r\ns = '\xe9'\r\nt = 1\r\n"
    (tmp_path / "mod.py").write_bytes(original)

    def edit(box):
        box.write(box.read().replace("t = 1", "t = 2"))

    run_and_apply(tmp_path, edit)
    assert (tmp_path / "mod.py").read_bytes() == original.replace(b"t = 1", b"t = 2")


def test_original_is_the_bytes_copied_in(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("x = 1\n")
    with open_sandbox(tmp_path / "mod.py", outputs=["out.py"]) as box:
        (tmp_path / "mod.py").write_text("x = 99\n")  # the user edits meanwhile
        box.write("x = 2\n")
        assert box.original() == "x = 1\n" and box.original("out.py") is None


@pytest.mark.parametrize("project_config", [True, False])
def test_project_config_travels_to_another_process(tmp_path: Path, project_config: bool) -> None:
    (tmp_path / "mod.py").write_text("x = 1\n")
    with open_sandbox(tmp_path / "mod.py", project_config=project_config) as box:
        assert box.project_config is project_config
        assert Sandbox.from_json(box.to_json()).project_config is project_config
    older = {k: v for k, v in box.to_json().items() if k != "project_config"}
    assert Sandbox.from_json(older).project_config is True  # the default, as in open_sandbox
