"""The real 270M offline base through export and llama.cpp (slow: `pytest -m slow`, skipped by `make test`)."""

from __future__ import annotations

import pytest

from toolsmith.shared.chat import Rendered, render
from toolsmith.shared.constants import BOS

pytestmark = pytest.mark.slow


def test_real_base_exports_to_q8_in_range_with_parity(base_dir, tmp_path):
    from toolsmith.shared.export import Q8_SIZE_MB_270M, convert_to_gguf
    from toolsmith.shared.pipeline import check_parity

    gguf = convert_to_gguf(base_dir, tmp_path / "base_q8.gguf")
    size_mb = gguf.stat().st_size / 1e6
    assert Q8_SIZE_MB_270M[0] <= size_mb <= Q8_SIZE_MB_270M[1]
    tool = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
    prompts = [
        *(
            Rendered(BOS + text, spans=(), controls=((0, len(BOS)),))
            for text in ("The capital of France is", "def fibonacci(n):\n    ")
        ),
        render([{"role": "user", "content": "Lint  this:\n\timport os"}], [tool], add_generation_prompt=True),
    ]
    parity = check_parity(base_dir, gguf, prompts)
    assert parity.token_ids_equal, parity.first_mismatch
    assert parity.greedy_agree == parity.prompts, parity
