"""Isolated child runs of user code: real child processes, real limits, real sockets (no mocks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from toolsmith.shared.constants import (
    NETWORK_ALLOWED,
    NETWORK_AUDIT_HOOK,
    NETWORK_NAMESPACE,
    NETWORK_USER_NAMESPACE,
)
from toolsmith.shared.isolate import ChildResult, Limits, run_isolated

TESTS = Path(__file__).parent
CUT = (NETWORK_NAMESPACE, NETWORK_USER_NAMESPACE, NETWORK_AUDIT_HOOK)

USER_CODE = """
import os
import socket
import subprocess
import sys
import time


def add(a, b):
    print("adding", a, b)
    print("careful", file=sys.stderr)
    return a + b


def check(value):
    if value != 42:
        raise ValueError(f"bad input {value}")


def fail():
    check(41)


def sleep_forever():
    sleeper = subprocess.Popen(["sleep", "1000"])
    with open("pids.txt", "w") as f:
        f.write(f"{os.getpid()} {sleeper.pid}")
    while True:
        time.sleep(1)


def nap_forever():
    with open("pid.txt", "w") as f:
        f.write(str(os.getpid()))
    while True:
        time.sleep(1)


def big(n):
    return "x" * n


def leave_running():
    return subprocess.Popen(["sleep", "1000"]).pid


def allocate():
    blocks = []
    while True:
        blocks.append(bytearray(50 * 2**20))


def spin():
    while True:
        pass


def connect(port):
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    return "connected"


def resolve():
    return str(socket.getaddrinfo("pypi.org", 443))


def connect_outside():
    socket.create_connection(("1.1.1.1", 80), timeout=5).close()
    return "connected"


def flood():
    chunk = "x" * 2**20
    for _ in range(100):
        sys.stdout.write(chunk)
    return "done"


def exit_politely():
    sys.exit(3)


def exit_hard():
    os._exit(3)


def not_json():
    return {1, 2}


def read_data():
    with open("data.txt", encoding="utf-8") as f:
        return f.read()


def set_repr():
    return repr({f"word{i}" for i in range(30)})


def context():
    return {"env": dict(os.environ), "path": sys.path[:2], "cwd": os.getcwd()}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user project: one module of misbehaving functions and a data file."""
    (tmp_path / "userlib.py").write_text(USER_CODE, encoding="utf-8")
    (tmp_path / "data.txt").write_text("relative data\n", encoding="utf-8")
    return tmp_path


def call(project: Path, function: str, *args: object, **limits: object) -> ChildResult:
    """Run ``userlib.function(*args)`` through the test entry in an isolated child."""
    payload = {"module": "userlib", "function": function, "args": list(args)}
    limits = {"timeout_s": 60.0, **limits}
    return run_isolated("isolate_entries:call", payload, cwd=project, limits=Limits(**limits), path=[TESTS])


def gone(pid: int, bound_s: float = 30.0) -> bool:
    """Whether ``pid`` is gone (or a zombie) within a generous bound."""
    deadline = time.monotonic() + bound_s
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------------ outcomes


def test_value_output_and_isolation_come_back(project: Path) -> None:
    result = call(project, "add", 2, 3)
    assert result.ok and result.value == 5
    assert (result.error, result.error_type, result.traceback) == (None, None, None)
    assert result.stdout == "adding 2 3\n" and result.stderr == "careful\n"
    assert result.network_isolation in CUT


def test_a_hung_function_times_out_and_its_process_group_dies(project: Path) -> None:
    result = call(project, "sleep_forever", timeout_s=3.0)
    assert not result.ok and result.error_type == "Timeout"
    assert result.error == "timed out after 3s while running the user code"
    assert result.seconds < 60  # a generous bound: it returned instead of hanging
    child, sleeper = (int(pid) for pid in (project / "pids.txt").read_text().split())
    assert gone(child) and gone(sleeper)


def test_what_the_user_code_leaves_running_dies_with_the_call(project: Path) -> None:
    result = call(project, "leave_running")
    assert result.ok
    assert gone(result.value)


def test_the_child_dies_with_its_parent(project: Path) -> None:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from toolsmith.shared.isolate import run_isolated
        payload = {{"module": "userlib", "function": "nap_forever"}}
        run_isolated("isolate_entries:call", payload, cwd=Path({str(project)!r}), path=[Path({str(TESTS)!r})])
    """)
    parent = subprocess.Popen([sys.executable, "-c", code])
    pid_file, deadline = project / "pid.txt", time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline and parent.poll() is None:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    try:
        parent.kill()
        parent.wait()
        assert gone(child)
    finally:
        if not gone(child, 0):
            os.kill(child, 9)


def test_a_result_past_the_file_size_limit_is_reported(project: Path) -> None:
    result = call(project, "big", 2 << 20, file_mb=1)
    assert not result.ok and result.error_type == "ResultTooLarge"
    assert "File too large" in result.error and "file size limit is 1 MB" in result.error


def test_unbounded_allocation_fails_without_hanging(project: Path) -> None:
    result = call(project, "allocate", memory_mb=256)
    assert not result.ok
    assert result.error_type in ("MemoryError", "Killed"), result.error
    if result.error_type == "MemoryError":
        assert "memory limit is 256 MB" in result.error


def test_cpu_limit_kills_a_busy_loop(project: Path) -> None:
    result = call(project, "spin", cpu_s=1)
    assert not result.ok and result.error_type == "Killed"
    assert result.error.startswith("killed by SIGXCPU (it used its 1s of CPU time)")


def test_flooded_output_is_capped(project: Path) -> None:
    result = call(project, "flood", file_mb=4, output_chars=1000)
    assert not result.ok and result.error_type == "OSError"
    assert "File too large" in result.error and "4 MB file size limit" in result.error
    assert result.stdout.startswith("x" * 1000 + "\n[toolsmith: output cut to its first 1000 characters;")
    assert f"{4 << 20} bytes were written" in result.stdout
    assert len(result.stdout) < 1200


def test_an_exception_comes_back_with_type_message_and_user_traceback(project: Path) -> None:
    result = call(project, "fail")
    assert not result.ok and result.value is None
    assert result.error_type == "ValueError" and result.error == "ValueError: bad input 41"
    assert result.traceback.startswith("Traceback (most recent call last):")
    line = USER_CODE.splitlines().index("def fail():") + 2  # the call in fail's body, 1-based
    assert f'userlib.py", line {line}, in fail\n    check(41)' in result.traceback
    assert 'raise ValueError(f"bad input {value}")' in result.traceback
    assert "isolate_entries.py" in result.traceback
    assert "toolsmith/shared/isolate.py" not in result.traceback


def test_sys_exit_is_reported(project: Path) -> None:
    result = call(project, "exit_politely")
    assert not result.ok and (result.error_type, result.error) == ("SystemExit", "SystemExit: 3")


def test_os_exit_is_a_crash(project: Path) -> None:
    result = call(project, "exit_hard")
    assert not result.ok and result.error_type == "Crashed"
    assert result.error == "the child process exited with code 3 while running the user code, with no result"


def test_a_value_that_is_not_json_is_a_clear_error(project: Path) -> None:
    result = call(project, "not_json")
    assert not result.ok and result.error_type == "NotJSON"
    assert result.error.startswith("expected a JSON value from isolate_entries:call, got set {1, 2}")


def test_files_are_read_relative_to_cwd(project: Path) -> None:
    assert call(project, "read_data").value == "relative data\n"


def test_set_reprs_are_the_same_on_every_run(project: Path) -> None:
    first, second = call(project, "set_repr"), call(project, "set_repr")
    assert first.ok and first.value == second.value


def test_environment_is_minimal_and_paths_come_first(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    value = call(project, "context").value
    env = value["env"]
    assert "HTTPS_PROXY" not in env and "SECRET_TOKEN" not in env
    assert env["PYTHONHASHSEED"] == "0" and env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PATH"] == os.environ["PATH"]
    assert env["HOME"] != os.environ.get("HOME") and Path(env["TMPDIR"]).parent == Path(env["HOME"]).parent
    assert not Path(env["HOME"]).exists()  # the private folder is removed after the run
    assert value["path"] == [str(project.resolve()), str(TESTS.resolve())]
    assert value["cwd"] == str(project.resolve())


# ------------------------------------------------------------------------------------------------ network


@pytest.fixture
def listener():
    """A TCP server of the test itself on 127.0.0.1."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def test_no_connection_to_a_local_server(project: Path, listener: socket.socket) -> None:
    result = call(project, "connect", listener.getsockname()[1])
    assert not result.ok and result.network_isolation in CUT
    assert result.error_type in ("OSError", "PermissionError", "ConnectionRefusedError"), result.error
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_the_same_connection_works_when_the_network_is_allowed(project: Path, listener: socket.socket) -> None:
    result = call(project, "connect", listener.getsockname()[1], network=True)
    assert result.ok and result.value == "connected" and result.network_isolation == NETWORK_ALLOWED


@pytest.mark.parametrize("function", ["resolve", "connect_outside"])
def test_no_outside_network(project: Path, function: str) -> None:
    result = call(project, function)
    assert not result.ok and result.network_isolation in CUT
    assert result.error_type in ("OSError", "PermissionError", "gaierror", "TimeoutError"), result.error


def test_audit_hook_refuses_the_network_but_not_unix_sockets(listener: socket.socket) -> None:
    """The fallback where namespaces are refused, checked in a plain child (an audit hook cannot be removed)."""
    code = textwrap.dedent(f"""
        import socket, sys
        from toolsmith.shared.isolate import audit_network
        sys.addaudithook(audit_network)
        a, b = socket.socketpair()
        a.sendall(b"ok")
        print(b.recv(2).decode())
        for attempt in (lambda: socket.socket().connect(("127.0.0.1", {listener.getsockname()[1]})),
                        lambda: socket.getaddrinfo("localhost", 80)):
            try:
                attempt()
            except PermissionError as exc:
                print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == [
        "ok",
        "network access is disabled in this process (socket.connect)",
        "network access is disabled in this process (socket.getaddrinfo)",
    ]
    with pytest.raises(BlockingIOError):
        listener.accept()


# ------------------------------------------------------------------------------------------------ caller bugs


@pytest.mark.parametrize("entry", ["isolate_entries", "isolate_entries:", ":call", "isolate-entries:call", "a.:b", 3])
def test_a_malformed_entry_is_a_caller_bug(project: Path, entry: object) -> None:
    with pytest.raises(ValueError, match=r"expected entry as 'package.module:function', got"):
        run_isolated(entry, {}, cwd=project)


def test_a_missing_cwd_or_a_non_json_payload_is_a_caller_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected cwd to be an existing folder, got .*missing"):
        run_isolated("isolate_entries:call", {}, cwd=tmp_path / "missing")
    with pytest.raises(ValueError, match="expected a JSON-serialisable payload, got"):
        run_isolated("isolate_entries:call", {"args": {1}}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"timeout_s": 0}, "expected timeout_s > 0, got 0"),
        ({"timeout_s": -1.5}, "expected timeout_s > 0, got -1.5"),
        ({"timeout_s": float("inf")}, "expected timeout_s a finite number, got inf"),
        ({"timeout_s": "10"}, "expected timeout_s a finite number, got '10'"),
        ({"timeout_s": True}, "expected timeout_s a finite number, got True"),
        ({"cpu_s": 0}, "expected cpu_s an integer >= 1, got 0"),
        ({"cpu_s": 1.5}, "expected cpu_s an integer >= 1, got 1.5"),
        ({"memory_mb": 10}, "expected memory_mb an integer >= 64, got 10"),
        ({"memory_mb": True}, "expected memory_mb an integer >= 64, got True"),
        ({"file_mb": 0}, "expected file_mb an integer >= 1, got 0"),
        ({"output_chars": -1}, "expected output_chars an integer >= 0, got -1"),
        ({"network": "no"}, "expected network a bool, got 'no'"),
    ],
)
def test_limits_are_validated(fields: dict, expected: str) -> None:
    with pytest.raises(ValueError, match=f"^Limits: {expected}$"):
        Limits(**fields)


@pytest.mark.parametrize(
    "fields",
    [{}, {"timeout_s": 0.5, "cpu_s": 1, "memory_mb": 64, "file_mb": 1, "output_chars": 0, "network": True}],
)
def test_valid_limits_are_kept(fields: dict) -> None:
    assert all(getattr(Limits(**fields), name) == value for name, value in fields.items())
