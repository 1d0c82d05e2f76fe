"""make bench-run's report: a run of some domains keeps the other domains' rows from their last run."""

from __future__ import annotations

import pytest

from toolsmith.shared.benchrun import commands, merge_report

ORDER = ["lint", "test", "docstring", "sample_data"]
A = "make bench-run ARGS='--domain lint --domain sample_data --calls 0'"
B = "make bench-run ARGS='--domain docstring --calls 0'"


def row(domain: str, value: int, command: str | None = None) -> dict:
    return {"domain": domain, "value": value, **({"command": command} if command else {})}


@pytest.mark.parametrize(
    ("last", "results", "expected"),
    [
        # no report yet: this run's rows
        (None, [row("docstring", 1)], [row("docstring", 1, B)]),
        # a report from before rows named their command: its one command is theirs; docstring comes in order
        (
            {"command": A, "results": [row("lint", 0), row("sample_data", 0)], "calls": []},
            [row("docstring", 1)],
            [row("lint", 0, A), row("docstring", 1, B), row("sample_data", 0, A)],
        ),
        # a domain measured again: its old row goes, the others stay with their own commands
        (
            {"results": [row("lint", 0, A), row("docstring", 0, A)], "calls": []},
            [row("docstring", 1)],
            [row("lint", 0, A), row("docstring", 1, B)],
        ),
    ],
)
def test_merge_report_keeps_each_domains_last_rows(last: dict | None, results: list, expected: list) -> None:
    report = merge_report(last, B, results, [], ORDER)
    assert report == {"results": expected, "calls": []}


def test_calls_rows_merge_on_their_own() -> None:
    last = {"results": [row("lint", 0, A)], "calls": [row("lint", 5, A)]}
    report = merge_report(last, B, [row("lint", 1)], [], ORDER)  # a run without --calls keeps the calls rows
    assert report == {"results": [row("lint", 1, B)], "calls": [row("lint", 5, A)]}


def test_commands_name_their_domains() -> None:
    report = {"results": [row("lint", 0, A), row("docstring", 1, B), row("sample_data", 0, A)], "calls": []}
    assert commands(report) == f"`{A}` (lint, sample_data); `{B}` (docstring)"
