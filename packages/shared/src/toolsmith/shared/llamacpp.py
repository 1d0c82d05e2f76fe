"""llama-cpp-python's sdist: the cached wheel build and llama.cpp's own GGUF converter.

Standard library only: the Makefile runs this file with the system Python before the
virtual environment exists (``python llamacpp.py wheel|converter``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
from pathlib import Path

log = logging.getLogger(__name__)

try:  # run as a script, the package is not importable yet
    from toolsmith.shared.constants import CACHE_ENV, DEFAULT_CACHE, LLAMA_CPP_PYTHON_VERSION
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from toolsmith.shared.constants import CACHE_ENV, DEFAULT_CACHE, LLAMA_CPP_PYTHON_VERSION

_CONVERTER_PARTS = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")


def cache_dir() -> Path:
    """The toolsmith cache (``$TOOLSMITH_CACHE`` or ``~/.cache/toolsmith``)."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def sdist(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    """The llama-cpp-python sdist, fetched once by pip into the cache."""
    folder = cache_dir() / "sdist"
    path = folder / f"llama_cpp_python-{version}.tar.gz"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        log.info("fetching llama-cpp-python %s sdist with pip", version)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"llama-cpp-python=={version}",
                "-d",
                str(folder),
            ],
            check=True,
        )
    if not path.is_file():
        raise FileNotFoundError(f"expected {path} after pip download, got nothing")
    return path


def wheel(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    """The llama-cpp-python wheel, built from the sdist once (minutes) and cached."""
    folder = cache_dir() / "wheels"
    found = sorted(folder.glob(f"llama_cpp_python-{version}-*.whl"))
    if found:
        return found[-1]
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("CMAKE_ARGS", "-DLLAVA_BUILD=OFF")
    log.warning("building llama-cpp-python %s from source (several minutes, once)", version)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(folder), str(sdist(version))], check=True, env=env
    )
    found = sorted(folder.glob(f"llama_cpp_python-{version}-*.whl"))
    if not found:
        raise FileNotFoundError(f"expected a llama_cpp_python-{version} wheel in {folder}, got none")
    return found[-1]


def converter_dir(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    """llama.cpp's ``convert_hf_to_gguf.py`` with its own ``gguf-py``, unpacked from the sdist once."""
    target = cache_dir() / f"llama.cpp-{version}"
    done = target / ".complete"
    if done.is_file():
        return target
    prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
    tmp = target.with_name(target.name + ".partial")
    with tarfile.open(sdist(version)) as tar:
        members = []
        for m in tar.getmembers():
            if (
                m.name.startswith(prefix)
                and m.name[len(prefix) :].startswith(_CONVERTER_PARTS)
                and (m.isfile() or m.isdir())
            ):
                m.name = m.name[len(prefix) :]
                members.append(m)
        if not any(m.name == "convert_hf_to_gguf.py" for m in members):
            raise FileNotFoundError(f"expected {prefix}convert_hf_to_gguf.py in the sdist, got none")
        tar.extractall(tmp, members=members, filter="data")
    if target.exists():
        import shutil

        shutil.rmtree(target)
    tmp.rename(target)
    (target / ".complete").write_text(version)
    return target


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "wheel":
        print(wheel())
    elif what == "converter":
        print(converter_dir())
    else:
        sys.exit("usage: llamacpp.py wheel|converter")
