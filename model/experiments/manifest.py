"""A batch's manifest: provenance (versions, git revision), the batch hash, a new manifest, and
the resolved batch rebuilt from one (to resume without the YAML files). No Mesa here."""

from __future__ import annotations

import hashlib
import json
import platform
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.experiments.batchfiles import FORMAT, STATUS, _now

if TYPE_CHECKING:
    from model.experiments.design import Design, RunSpec
    from model.files.batch import Batch

__all__ = ["batch_from_manifest", "batch_hash", "git_revision", "versions"]


def versions() -> dict[str, str | None]:
    """Versions of stabsim, its key dependencies and Python (None if not installed)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("stabsim", "mesa", "numpy", "pandas", "pyarrow", "SALib", "dask", "distributed"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out["stabsim"] is None:
        from model import __version__

        out["stabsim"] = __version__
    out["python"] = platform.python_version()
    return out


def git_revision() -> str | None:
    """The git commit of the stabsim checkout, or None (no git, no commit, not a checkout)."""
    here = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    rev = done.stdout.strip()
    return rev if done.returncode == 0 and rev else None


def _strip(data: Any) -> Any:
    """Plain data without descriptions (they do not change results)."""
    if isinstance(data, Mapping):
        return {k: _strip(v) for k, v in data.items() if k != "description"}
    if isinstance(data, list | tuple):
        return [_strip(v) for v in data]
    return data


def batch_hash(batch: Batch, specs: Sequence[RunSpec]) -> str:
    """A hash of everything that decides a batch's results: resolved scenarios and the run plan.

    Descriptions and file paths are left out; every lever and parameter value is in (registry
    defaults included), so a changed default also changes the hash.
    """
    plan = [
        [s.run_id, int(s.seed), [float(v) for v in s.values.values()]]
        # a run of an ensemble adds its draw (the plan of a batch without one is unchanged)
        + ([s.draw, [float(v) for v in s.drawn.values()]] if s.draw is not None else [])
        for s in specs
    ]
    blob = json.dumps(
        {"batch": _strip(batch.to_dict(full=True)), "plan": plan},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def batch_from_manifest(manifest: Mapping[str, Any]) -> Batch:
    """Rebuild the resolved batch recorded in a manifest (to resume without the YAML files).

    Raises:
        ConfigError: if the recorded values are no longer valid for the parameter registry.
    """
    from model.files.batch import Batch
    from model.files.scenario import Scenario

    raw = manifest["batch"]
    scenarios = []
    for sd in raw["scenarios"]:
        keys = ("description", "start", "horizon", "seed", "replicates", "levers", "parameters")
        more = ("outcomes", "levels", "uncertainty")
        fields: dict[str, Any] = {k: sd[k] for k in (*keys, *more) if k in sd}
        initial = sd.get("initial") or {}
        if initial.get("data") is not None:
            fields["initial_data"] = initial["data"]
        if initial.get("areas"):
            fields["initial_areas"] = initial["areas"]
        if initial.get("forces"):
            fields["initial_forces"] = initial["forces"]
        scenarios.append(Scenario(name=sd["name"]).with_changes(**fields))
    return Batch(
        name=raw["batch"],
        description=raw.get("description", ""),
        path=manifest.get("batch_file"),
        seed=raw["seed"],
        replicates=raw.get("replicates"),
        scenarios=tuple(scenarios),
        design=raw.get("design"),
        uncertainty=raw.get("uncertainty"),
    )


def _difference(old: Any, new: Any, path: str) -> str | None:
    """The first place where two plain data trees differ, as ``key: old -> new``."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                return f"{sub}: {old.get(key, 'absent')} -> {new.get(key, 'absent')}"
            found = _difference(old[key], new[key], sub)
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return f"{path}: {len(old)} items -> {len(new)} items"
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found = _difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if old != new:
        return f"{path}: {old} -> {new}"
    return None


def _new_manifest(
    root: Path,
    batch: Batch,
    specs: Sequence[RunSpec],
    design: Design | None,
    h: str,
    overrides: Mapping[str, Any] | None,
    ensemble: Any = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "batch_id": root.name,
        "batch_hash": h,
        "batch_file": batch.path,
        "master_seed": batch.seed,
        "overrides": dict(overrides or {}),
        "created": _now(),
        "finished": None,
        "status": "new",
        "host": socket.gethostname(),
        "versions": versions(),
        "git_revision": git_revision(),
        "layout": {
            "status": STATUS,
            "monthly": "monthly/<scenario>/<design_point:05d>-r<replicate:04d>.parquet",
            "summary": "summary/<scenario>/<design_point:05d>-r<replicate:04d>.parquet",
        },
        "scenarios": [s.name for s in batch.scenarios],
        "batch": batch.to_dict(full=True),
        "design": design.to_dict() if design is not None else None,
        "uncertainty": ensemble.to_dict() if ensemble is not None else None,
        "runs_total": len(specs),
        "counts": {},
        "sessions": [],
        "runs": [
            {
                "run_id": s.run_id,
                "scenario": s.scenario_name,
                "design_point": s.design_point,
                "replicate": s.replicate,
                "seed": int(s.seed),
                **({"draw": s.draw} if s.draw is not None else {}),
                "status": "missing",
                "duration_s": None,
            }
            for s in specs
        ],
    }
