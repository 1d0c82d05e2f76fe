"""toolsmith docstring agent: its tools, generator and settings are not written yet (see the issues)."""
