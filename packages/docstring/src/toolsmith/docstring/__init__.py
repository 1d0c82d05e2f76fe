"""toolsmith docstring agent: Google-style docstrings that the checkers pass, with the code untouched.

Tools (inspect, write through a template and a libcst edit, check with pydoclint and ruff, submit), the
example generator, fine-tune settings, the evaluator's checks and the no-model baseline (a skeleton generator).
"""

from toolsmith.docstring.baseline import BASELINE, baseline
from toolsmith.docstring.checks import check_episode
from toolsmith.docstring.generate import generate
from toolsmith.docstring.settings import TRAIN
from toolsmith.docstring.tools import TOOLS, check_docstrings, inspect_function, submit_result, write_docstring

TERMINAL_TOOL = "submit_result"

__all__ = [
    "BASELINE",
    "TERMINAL_TOOL",
    "TOOLS",
    "TRAIN",
    "baseline",
    "check_docstrings",
    "check_episode",
    "generate",
    "inspect_function",
    "submit_result",
    "write_docstring",
]
