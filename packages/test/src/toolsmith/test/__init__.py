"""toolsmith test agent, phase 1: static analysis, safe values, the child worker, the test-file writer, pytest +
coverage runs, the checks, the expert's search, the corpus and the ghostwriter baseline.

The tools, generator and settings (TOOLS, TERMINAL_TOOL, TRAIN, generate, check_episode) are wired to the
shared kit in phase 2; until then the domain loader reports this package as not ready.
"""
