"""toolsmith lint agent: ruff-backed tools, the example generator, fine-tune settings and evaluator checks."""

from toolsmith.lint.baseline import BASELINE, baseline
from toolsmith.lint.checks import check_episode
from toolsmith.lint.generate import generate
from toolsmith.lint.settings import TRAIN
from toolsmith.lint.tools import RULES, fix_all, read_file, rewrite, run_linter, submit_result

TOOLS = (run_linter, fix_all, rewrite, read_file, submit_result)
TERMINAL_TOOL = "submit_result"

__all__ = [
    "BASELINE",
    "RULES",
    "TERMINAL_TOOL",
    "TOOLS",
    "TRAIN",
    "baseline",
    "check_episode",
    "fix_all",
    "generate",
    "read_file",
    "rewrite",
    "run_linter",
    "submit_result",
]
