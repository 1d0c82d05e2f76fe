"""toolsmith docstring agent: Google-style docstrings that the checkers pass, with the code untouched.

Phase 1: tools, checkers, corpus, damages, expert, checks and baseline; the generator, fine-tune settings
and the wiring to the shared kit come next (see the design note).
"""

from toolsmith.docstring.tools import check_docstrings, inspect_function, submit_result, write_docstring

TOOLS = (inspect_function, write_docstring, check_docstrings, submit_result)
TERMINAL_TOOL = "submit_result"

__all__ = ["TERMINAL_TOOL", "TOOLS", "check_docstrings", "inspect_function", "submit_result", "write_docstring"]
