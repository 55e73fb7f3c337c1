"""Reading a stored batch: ``open_batch("runs/<batch-id>")`` -> tables as pandas DataFrames.

Only runs that are done (status line ``ok`` and both part files present) are read, so a batch
still running, or one interrupted, can be read at any time; temporary files are never read.
Every table has the columns ``run_id, scenario, design_point, replicate, seed``, one column per
varied lever or parameter, then the outcomes (docs/outputs.md). The same files can be read
without stabsim, with ``pyarrow.dataset`` or DuckDB (docs/batches.md). No Mesa here.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.experiments.batchfiles import (
    KEY_COLUMNS,
    TABLES,
    StoreError,
    list_parts,
    read_manifest,
    read_status,
    run_parts,
    run_states,
)
from model.experiments.locking import lock_holder

__all__ = ["KEY_COLUMNS", "BatchResults", "open_batch"]

MONTHLY_KEYS: tuple[str, ...] = ("month", "level", "unit")


def open_batch(path: str | os.PathLike[str]) -> BatchResults:
    """Open a batch folder for reading.

    Raises:
        StoreError: if ``path`` holds no batch.
    """
    return BatchResults(path)


class BatchResults:
    """The stored results of a batch.

    Attributes:
        path: the batch folder.
        manifest: the manifest (resolved batch, design, seeds, versions, sessions, runs).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.manifest: dict[str, Any] = read_manifest(self.path)

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"<BatchResults {self.manifest['batch_id']}: {c['ok']} ok, {c['failed']} failed, "
            f"{c['missing']} missing of {len(self.manifest['runs'])} runs>"
        )

    @property
    def scenarios(self) -> list[str]:
        """Scenario names, in batch order."""
        return list(self.manifest["scenarios"])

    @property
    def varied(self) -> list[str]:
        """The levers and parameters the design varies (empty without a design)."""
        design = self.manifest.get("design") or {}
        return list(design.get("names") or [])

    @property
    def ensemble(self) -> dict[str, Any] | None:
        """The parameter draws (``uncertainty`` of the manifest), or None without an ensemble."""
        return self.manifest.get("uncertainty") or None

    @property
    def uncertain(self) -> list[str]:
        """The names drawn by the ensemble: parameters, then the varied parts of lever-schedule
        variables (empty without an ensemble)."""
        return list((self.ensemble or {}).get("names") or [])

    def draws(self) -> pd.DataFrame:
        """The parameter draws: ``draw`` and one column per drawn name (no rows without an
        ensemble)."""
        ens = self.ensemble or {}
        table = pd.DataFrame(ens.get("values") or [], columns=self.uncertain, dtype=float)
        table.insert(0, "draw", np.arange(len(table), dtype=np.int64))
        return table

    @property
    def running(self) -> bool:
        """Whether a process is writing to the batch now."""
        return lock_holder(self.path) is not None

    def counts(self) -> dict[str, int]:
        """Runs ``ok``, ``failed`` and ``missing`` now."""
        out = {"ok": 0, "failed": 0, "missing": 0}
        for state in run_states(self.path, self.manifest).values():
            out[state] += 1
        return out

    def unreadable(self) -> list[Path]:
        """Part files that are there but cannot be read (cut short or damaged); their runs count
        as missing, and ``stabsim batch --resume`` runs them again."""
        bad: set[str] = set()
        list_parts(self.path, bad)
        return [self.path / rel for rel in sorted(bad)]

    def _damaged(self, files: Sequence[Any], exc: BaseException) -> StoreError:
        """The error naming the first part of ``files`` that cannot be read."""
        import pyarrow.parquet as pq

        for f in files:
            try:
                pq.ParquetFile(f).read()
            except Exception as err:  # noqa: BLE001 - any failure to read names the part
                exc = err
                bad = f
                break
        else:
            bad = None
        what = f"the part {bad}" if bad is not None else f"a part of {self.path}"
        reason = " ".join(str(exc).split())[:120]
        return StoreError(
            f"{what} cannot be read ({type(exc).__name__}: {reason}); repair: delete it, then "
            f"run `stabsim batch --resume {self.path}` to run it again"
        )

    def design(self) -> pd.DataFrame:
        """The design points: ``design_point`` and one column per varied name."""
        design = self.manifest.get("design") or {}
        names = self.varied
        table = pd.DataFrame(design.get("values") or [], columns=names, dtype=float)
        if not names:
            table = pd.DataFrame(index=range(int(design.get("points") or 1)))
        table.insert(0, "design_point", np.arange(len(table), dtype=np.int64))
        return table

    def status(self) -> pd.DataFrame:
        """One row per planned run: keys, varied values, status (ok/failed/missing), timing,
        worker and the error's traceback for failed runs."""
        status = read_status(self.path)
        states = run_states(self.path, self.manifest, status)
        rows = []
        for run in self.manifest["runs"]:
            line = status.get(run["run_id"], {})
            rows.append(
                {
                    "run_id": run["run_id"],
                    "scenario": run["scenario"],
                    "design_point": run["design_point"],
                    "replicate": run["replicate"],
                    "seed": run["seed"],
                    "status": states[run["run_id"]],
                    "duration_s": line.get("duration_s"),
                    "started": line.get("started"),
                    "finished": line.get("finished"),
                    "worker": line.get("worker"),
                    "max_rss_mb": line.get("max_rss_mb"),
                    "error": line.get("error") if states[run["run_id"]] == "failed" else None,
                }
            )
        table = pd.DataFrame(
            rows,
            columns=[
                *KEY_COLUMNS,
                "status",
                "duration_s",
                "started",
                "finished",
                "worker",
                "max_rss_mb",
                "error",
            ],
        )
        table = table.astype(
            {
                "design_point": np.int64,
                "replicate": np.int64,
                "seed": np.uint64,
                "duration_s": float,
                "max_rss_mb": float,
            }
        )
        for col in ("started", "finished"):
            table[col] = pd.to_datetime(table[col], utc=True, format="ISO8601")
        if self.varied:
            table = table.merge(self.design(), on="design_point", how="left")
            cols = [*KEY_COLUMNS, *self.varied]
            table = table[cols + [c for c in table.columns if c not in cols]]
        return table

    def files(self, table: str, scenarios: Iterable[str] | None = None) -> list[Path]:
        """The part files of the done runs of ``table`` ("monthly" or "summary")."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; allowed: {', '.join(TABLES)}")
        wanted = self._scenarios(scenarios)
        states = run_states(self.path, self.manifest)
        parts = list_parts(self.path)
        index = TABLES.index(table)
        out = []
        for run in self.manifest["runs"]:
            if run["scenario"] in wanted and states[run["run_id"]] == "ok":
                rel = run_parts(run)[index]
                if rel in parts:
                    out.append(self.path / rel)
        return out

    def dataset(self, table: str, scenarios: Iterable[str] | None = None):
        """The done runs of ``table`` as one ``pyarrow.dataset.Dataset`` (None if none)."""
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        files = self.files(table, scenarios)
        if not files:
            return None
        # One schema per scenario (its outcomes and levels); unified across scenarios.
        firsts: dict[str, Path] = {}
        for f in files:
            firsts.setdefault(f.parent.name, f)
        # permissive: older parts may store dates at another time unit
        try:
            schema = pa.unify_schemas(
                [pq.read_schema(f) for f in firsts.values()], promote_options="permissive"
            )
        except (pa.ArrowException, OSError) as exc:
            raise self._damaged(list(firsts.values()), exc) from None
        return ds.dataset([str(f) for f in files], format="parquet", schema=schema)

    def _to_table(self, data: Any, **kwargs: Any) -> Any:
        """``data.to_table(**kwargs)``; a part that cannot be read is named."""
        import pyarrow as pa

        try:
            return data.to_table(**kwargs)
        except (pa.ArrowException, OSError) as exc:
            raise self._damaged(data.files, exc) from None

    def monthly(
        self,
        level: str | None = "national",
        scenarios: Iterable[str] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Monthly outcomes of the done runs.

        Args:
            level: ``"national"``, ``"governorate"``, ``"area"`` or None for every level stored.
            scenarios: scenario names to read (default: all).
            columns: outcome columns to read (default: all); keys, varied values, month, level
                and unit always come along.

        Returns:
            One row per run, month and unit, sorted by scenario (batch order), design point,
            replicate, month, level and unit.
        """
        import pyarrow.dataset as ds

        data = self.dataset("monthly", scenarios)
        keys = [*KEY_COLUMNS, *self._draw, *self.varied, *MONTHLY_KEYS]
        if data is None:
            return pd.DataFrame(columns=keys if columns is None else [*keys, *columns])
        filt = None
        if level is not None:
            filt = ds.field("level") == level
        table = self._to_table(
            data, columns=self._columns(data.schema.names, keys, columns), filter=filt
        )
        return self._sorted(table.to_pandas(), [*MONTHLY_KEYS])

    def summary(
        self, scenarios: Iterable[str] | None = None, columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Run summaries of the done runs: one row per run, sorted like ``monthly``.

        Args:
            scenarios: scenario names to read (default: all).
            columns: summary columns to read (default: all); keys and varied values always.
        """
        data = self.dataset("summary", scenarios)
        keys = [*KEY_COLUMNS, *self._draw, *self.varied]
        if data is None:
            return pd.DataFrame(columns=keys if columns is None else [*keys, *columns])
        table = self._to_table(data, columns=self._columns(data.schema.names, keys, columns))
        return self._sorted(table.to_pandas(), [])

    # -- helpers --

    @property
    def _draw(self) -> list[str]:
        """The draw column, for a batch with an ensemble."""
        return ["draw"] if self.ensemble else []

    def _scenarios(self, scenarios: Iterable[str] | None) -> set[str]:
        if scenarios is None:
            return set(self.scenarios)
        if isinstance(scenarios, str):
            scenarios = [scenarios]
        wanted = set(scenarios)
        for name in wanted:
            if name not in self.scenarios:
                close = difflib.get_close_matches(name, self.scenarios, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise KeyError(
                    f"no scenario {name!r} in this batch; allowed: {', '.join(self.scenarios)}{hint}"
                )
        return wanted

    @staticmethod
    def _columns(
        available: Sequence[str], keys: list[str], columns: Sequence[str] | None
    ) -> list[str]:
        keep = [k for k in dict.fromkeys(keys) if k in available]
        if columns is None:
            return keep + [c for c in available if c not in keep]
        for col in columns:
            if col not in available:
                close = difflib.get_close_matches(col, list(available), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise KeyError(f"no column {col!r} in this table{hint}")
        return keep + [c for c in columns if c not in keep]

    def _sorted(self, frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
        order = {name: i for i, name in enumerate(self.scenarios)}
        frame["_order"] = frame["scenario"].map(order)
        by = ["_order", "design_point", "replicate", *[c for c in extra if c in frame.columns]]
        frame = frame.sort_values(by, kind="stable").drop(columns="_order")
        return frame.reset_index(drop=True)
