"""Measurements for the design notes: the corpus per package, and the expert against the polyfactory baseline.

Library functions that return plain dicts (run them from a shell; they log progress).
"""

from __future__ import annotations

import collections
import logging
import shutil
import tempfile
import time
from pathlib import Path

from toolsmith.sample_data.child import ChildError, run_worker
from toolsmith.sample_data.corpus import Target, package_schemas, package_types, real_target
from toolsmith.sample_data.plan import GenerationError, generate, new_plan
from toolsmith.sample_data.schema import describe_schema
from toolsmith.sample_data.spec import fields_by_path

log = logging.getLogger(__name__)
MIN_FIELDS = 2


def usable(description: dict) -> str:
    """Why a described type is not usable as a task ("" when it is)."""
    fields = fields_by_path(description)
    if len(description["fields"]) < MIN_FIELDS:
        return "fewer than 2 fields"
    if any(f["spec"]["type"] == "unsupported" and f["required"] and not f["optional"] for f in fields.values()):
        return "a required field of an unsupported type"
    try:
        generate(description, new_plan(description), 1, 0)
    except (GenerationError, ValueError) as e:
        return f"no records: {str(e)[:60]}"
    return ""


def write_project(root: Path, target: Target) -> None:
    for rel, text in target.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def measure_real_types(timeout_s: float = 300.0, packages: set[str] | None = None, keep: list | None = None) -> dict:
    """Per distribution: candidate classes (ast), ones that import and describe, usable ones, licence.

    ``keep``: when given, the usable targets are appended to it.
    """
    refs = package_types(only=None if packages is None else frozenset(packages))
    by_package: dict[str, list] = collections.defaultdict(list)
    for ref in refs:
        by_package[ref.package].append(ref)
    out: dict[str, dict] = {}
    for package, items in sorted(by_package.items()):
        start = time.perf_counter()
        targets = [t for t in (real_target(r) for r in items) if t is not None]
        row = {"candidates": len(items), "cut": len(targets), "described": 0, "usable": 0, "reasons": {}}
        row["licence"] = targets[0].meta["licence"] if targets else "unknown"
        with tempfile.TemporaryDirectory(prefix="toolsmith-corpus-") as tmp:
            pairs = []
            for i, t in enumerate(targets):
                folder = Path(tmp) / f"p{i:04d}"
                write_project(folder, t)
                pairs.append([f"p{i:04d}/{t.target}", t.symbol])
            try:
                results = run_worker("describe_many", {"targets": pairs}, Path(tmp), timeout_s=timeout_s)
            except ChildError as e:
                results = [str(e)] * len(pairs)
        reasons: collections.Counter = collections.Counter()
        for target, result in zip(targets, results):
            if isinstance(result, str):
                reasons[result.split(":")[0]] += 1
                continue
            row["described"] += 1
            why = usable(result)
            if why:
                reasons[why.split(":")[0]] += 1
            else:
                row["usable"] += 1
                if keep is not None:
                    keep.append(target)
        row["reasons"] = dict(reasons.most_common(4))
        row["seconds"] = round(time.perf_counter() - start, 1)
        log.info("%s: %s", package, row)
        out[package] = row
    return out


def measure_schemas() -> dict:
    """Per distribution: JSON Schema files with an object root, and usable ones."""
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="toolsmith-schemas-") as tmp:
        for t in package_schemas():
            row = out.setdefault(t.package, {"schemas": 0, "usable": 0, "licence": t.meta["licence"], "files": []})
            row["schemas"] += 1
            path = Path(tmp) / t.target
            path.write_text(t.files[t.target], encoding="utf-8")
            try:
                why = usable(describe_schema(path))
            except ValueError as e:
                why = str(e)
            row["usable"] += not why
            row["files"].append(t.source.split(":", 1)[1] + ("" if not why else f" ({why[:40]})"))
            shutil.os.remove(path)
    return out


def _judged(root: Path, target: Target, run) -> dict:
    """Run ``run(root)`` (returns a Session and the submission) on a fresh copy of the target's project; judge it."""
    write_project(root, target)
    start = time.perf_counter()
    try:
        session, submitted, judge_submission = run(root)
        seconds = time.perf_counter() - start
        result = session.judge(submitted, judge_submission)
    except (ValueError, ChildError) as e:
        seconds = time.perf_counter() - start
        result = {"success": False, "valid": False, "realism": 0.0, "edge_coverage": 0.0, "records": 0,
                  "reason": f"{type(e).__name__}: {str(e)[:200]}"}  # fmt: skip
    result["seconds"] = round(seconds, 2)
    return result


def compare(targets: list[Target]) -> dict:
    """The expert and the polyfactory baseline on the same targets (Python ones for the baseline).

    Returns:
        ``rows`` (per target: kind, both results) and ``summary`` (means per system).
    """
    from toolsmith.sample_data.baseline import baseline
    from toolsmith.sample_data.expert import expert
    from toolsmith.sample_data.plan import new_plan
    from toolsmith.sample_data.session import Session, is_schema

    rows = []
    with tempfile.TemporaryDirectory(prefix="toolsmith-compare-") as tmp:
        for i, t in enumerate(targets):

            def run_expert(root: Path, t: Target = t) -> tuple:
                session = Session.open(root, t.target, t.symbol, run_worker)
                return session, expert(session.call, session.description), True

            ours = _judged(Path(tmp) / f"e{i}", t, run_expert)
            row = {"source": t.source, "kind": t.meta.get("kind", "?"), "expert": ours}
            if not is_schema(t.target):

                def run_baseline(root: Path, t: Target = t, n: int = max(ours.get("records") or 0, 5)) -> tuple:
                    made = baseline(root, t.target, t.symbol, run_worker, count=n)
                    d = made["description"]
                    return Session(root, t.target, t.symbol, d, new_plan(d), run_worker), None, False

                row["baseline"] = _judged(Path(tmp) / f"b{i}", t, run_baseline)
            log.info("%s %s", t.source, {k: (v.get("success"), v.get("reason", "")[:80]) for k, v in row.items()
                                           if isinstance(v, dict)})  # fmt: skip
            rows.append(row)
    summary = {}
    for system in ("expert", "baseline"):
        results = [r[system] for r in rows if system in r]
        if results:
            summary[system] = {
                "targets": len(results),
                "success": sum(r["success"] for r in results) / len(results),
                "valid": sum(bool(r.get("valid")) for r in results) / len(results),
                "realism": sum(r.get("realism", 0.0) for r in results) / len(results),
                "edge_coverage": sum(r.get("edge_coverage", 0.0) for r in results) / len(results),
                "seconds_per_target": sum(r["seconds"] for r in results) / len(results),
            }
    return {"rows": rows, "summary": summary}
