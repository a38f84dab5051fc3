"""``View``: a lazy, immutable selection of a study's runs, recordings and results.

``study.filter(**conditions)`` returns a :class:`View` (mozaik's
``param_filter_query`` on a ``DataStoreView``). Condition keys:

- ``st_<param>``: a run parameter (``st_rate=5.0``; dotted names as
  ``**{"st_input.rate": 5}`` or with ``_`` for ``.``: ``st_input_rate=5``);
- ``population``: recordings of those populations (and results with that parameter);
- ``run``: run indices;
- ``name``, ``tags`` or any other key: analysis results with that name, tags
  or parameter (recordings have none of these, so such a view holds results only).

Every table a view returns spells run parameters ``st_<name>`` (``view.runs``,
``view.spikes()``, analysis outputs), the same spelling ``filter``, ``by=`` and
the plots take (see :mod:`neuroloom.analysis` and ``docs/columns.md``).

A list means "any of"; ``key__gt=5`` (also ``ge``, ``lt``, ``le``, ``ne``,
``in``) compares. Views chain (``view.filter(...)``) and nothing is read until
a table is asked for. Names that the study does not know are errors, not
empty views. Recordings come from the consolidated tables (brought up to date
first when runs finished since), results from the catalog.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from neuroloom._io.atomic import write_json
from neuroloom._io.names import FRESH as FRESH  # re-exported
from neuroloom.analysis.correlation import SAMPLES_ITS_NEURONS
from neuroloom.analysis.recorded import attach_recorded
from neuroloom.analysis.tables import (
    PARAM_PREFIX,
    as_list,
    check_window,
    expand_sizes,
    neurons_frame,
    param_column,
)
from neuroloom.datastore.conditions import Condition, for_tuple_value, parse
from neuroloom.datastore.consolidate import (
    catalog_stat,
    is_fresh,
    load_parquet,
    quarantined_runs,
    read_manifest,
    read_parts,
    tables_dir,
    update,
)
from neuroloom.datastore.population import PopulationView
from neuroloom.datastore.results import Result, ResultStore, results_frame
from neuroloom.datastore.study_files import network_nodes, read_signals
from neuroloom.errors import EmptyDataError, ParameterError, QueryError
from neuroloom.params.tree import resolve_keyword
from neuroloom.study.run import run_name
from neuroloom.study.worker import converter_for

if TYPE_CHECKING:
    from neuroloom.datastore.protocol import StudyData as Study

SPIKE_COLUMNS = ("run", "population", "node_id", "time")
Target = Literal["run", "population", "result", "index"]


# ------------------------------------------------------------- study state


def fresh_manifest(study: Study) -> dict[str, Any]:
    """The tables' manifest, consolidating first if runs finished since the last update.

    The catalog's file times and sizes are compared with those last seen fresh
    (``tables/fresh.json``), so an unchanged study costs two ``stat`` calls.
    """
    manifest = read_manifest(study.path)
    stat = catalog_stat(study.path)
    seen_path = tables_dir(study.path) / FRESH
    try:
        seen = json.loads(seen_path.read_text())
    except (OSError, ValueError):
        seen = None
    if manifest.get("runs") and seen == {"stat": stat, "runs": manifest.get("runs")}:
        return manifest
    current = study.catalog.fingerprint()
    if not is_fresh(manifest, current):
        manifest = update(study.path, study.catalog)
    with contextlib.suppress(OSError):
        write_json(seen_path, {"stat": stat, "runs": manifest.get("runs")})
    return manifest


def runs_table(study: Study, manifest: dict[str, Any], params: Sequence[str] | None = None) -> pa.Table:
    """Finished runs as an Arrow table: ``run`` and ``p:<name>`` per explored parameter
    (``params``: only those parameters)."""
    if not manifest.get("runs"):
        return pa.table({"run": pa.array([], pa.int64())})
    names = manifest["params"] if params is None else [n for n in manifest["params"] if n in set(params)]
    cols = ["run", "status", *("p:" + n for n in names)]
    table = load_parquet(tables_dir(study.path) / manifest["runs"], cols)
    usable = pc.equal(table.column("status"), "done")
    damaged = quarantined_runs(manifest)
    if damaged:  # unreadable recordings: out of every view (reported once by the consolidation)
        usable = pc.and_(
            usable, pc.invert(pc.is_in(table.column("run"), pa.array(list(damaged), pa.int64())))
        )
    return table.filter(usable).drop_columns(["status"])


def column_values(study: Study, table: pa.Table, name: str) -> Any:
    """Decoded values of parameter ``name`` (catalog NULL -> the default) as an array or list."""
    col = table.column("p:" + name)
    default = study.params.values().get(name)
    conv = converter_for(default)
    if conv is None and isinstance(default, (int, float, str)) and not isinstance(default, bool):
        if col.null_count:
            col = pc.fill_null(col, default)
        return col.to_numpy(zero_copy_only=False)
    values = col.to_pylist()
    return [default if v is None else (conv(v) if conv is not None else v) for v in values]


def runs_frame(study: Study, manifest: dict[str, Any], table: pa.Table | None = None) -> pd.DataFrame:
    """Done runs (index ``run``) with their explored parameters decoded."""
    table = runs_table(study, manifest) if table is None else table
    data = {
        n: column_values(study, table, n)
        for n in manifest.get("params", [])
        if "p:" + n in table.column_names
    }
    frame = pd.DataFrame(data, index=pd.Index(table.column("run").to_numpy(), name="run"))
    return frame.infer_objects()


def param_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with its parameter columns named as in every table: ``st_<name>``."""
    return runs.rename(columns={c: param_column(str(c)) for c in runs.columns})


def resolve_param(study: Study, name: str, where: str) -> str:
    """A parameter name from a filter key (``input.rate``, ``input_rate`` or a unique suffix: ``rate``)."""
    names = list(study.params.values())
    try:
        return resolve_keyword(name, names)
    except ParameterError as exc:
        text = str(exc) if "ambiguous" in str(exc) else f"the study has no parameter {name!r} ({exc})"
        raise ParameterError(f"{where}: {text}; parameters: {', '.join(sorted(names)) or 'none'}") from None


def known_populations(study: Study, manifest: dict[str, Any]) -> set[str]:
    pops = set(read_parts(study.path, manifest, "recorded", ["population"]).column("population").to_pylist())
    pops.discard("")

    pops.update(network_nodes(study.path))
    return pops


# --------------------------------------------------------------------- View
class View:
    """A lazy selection of a study (see the module docstring); never modified in place."""

    __slots__ = ("_conditions", "study")

    def __init__(self, study: Study, conditions: tuple[tuple[Target, Condition], ...] = ()) -> None:
        self.study = study
        self._conditions = conditions

    def __repr__(self) -> str:
        conds = ", ".join(str(c) for _t, c in self._conditions) or "everything"
        return f"View({self.study.path.name}: {conds})"

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(c for _t, c in self._conditions)

    # ---------------------------------------------------------- filtering
    def filter(self, **conditions: Any) -> View:
        """A narrower view: every condition of this view and the new ones (see module docs)."""
        added: list[tuple[Target, Condition]] = []
        result_conds: list[Condition] = []
        manifest: dict[str, Any] | None = None
        for key, value in conditions.items():
            cond = parse(key, value)
            if cond.key.startswith("st_"):
                pname = resolve_param(self.study, cond.key[3:], f"filter({key}=...)")
                cond = Condition(pname, cond.op, cond.value)
                if isinstance(self.study.params.values()[pname], tuple):
                    cond = for_tuple_value(cond)
                added.append(("run", cond))
            elif cond.key == "population":
                manifest = manifest or fresh_manifest(self.study)
                known = known_populations(self.study, manifest)
                wanted = cond.value if isinstance(cond.value, tuple) else (cond.value,)
                unknown = [w for w in wanted if w not in known]
                if unknown and cond.op in ("eq", "in", "ne"):
                    raise QueryError(
                        f"filter(population=...): no population {', '.join(map(repr, unknown))} is recorded "
                        f"in study {self.study.path} or in its network; populations: "
                        f"{', '.join(sorted(known)) or 'none yet'}"
                    )
                added.append(("population", cond))
            elif cond.key == "run":
                added.append(("index", cond))
            else:
                result_conds.append(cond)
                added.append(("result", cond))
        if result_conds:
            self._store().check_keys(result_conds, "filter")
        return View(self.study, self._conditions + tuple(added))

    def _store(self) -> ResultStore:
        return self.study.result_store

    def _of(self, target: Target) -> list[Condition]:
        return [c for t, c in self._conditions if t == target]

    @property
    def results_only(self) -> bool:
        """Whether a condition addresses results only (then the view holds no recordings)."""
        return bool(self._of("result"))

    # --------------------------------------------------------------- runs
    def _selection(self, manifest: dict[str, Any], params: Sequence[str] | None = None) -> pa.Table:
        """The view's finished runs as an Arrow table (``run``, ``p:<param>``), in run order
        (``params``: only those parameter columns)."""
        conds = self._of("run")
        needed = None if params is None else [*params, *(c.key for c in conds)]
        table = runs_table(self.study, manifest, needed)
        if self.results_only:
            return table.slice(0, 0)
        index_conds = self._of("index")
        if not conds and not index_conds:
            return table
        mask = np.ones(table.num_rows, dtype=bool)
        defaults = self.study.params.values()
        for cond in conds:
            if "p:" + cond.key in table.column_names:
                mask &= cond.mask(pd.Series(column_values(self.study, table, cond.key)))
            elif not cond.test(defaults[cond.key]):
                mask[:] = False
        for cond in index_conds:
            mask &= cond.mask(pd.Series(table.column("run").to_numpy()))
        return table.filter(pa.array(mask))

    def _runs(self, manifest: dict[str, Any] | None = None) -> pd.DataFrame:
        manifest = manifest or fresh_manifest(self.study)
        return runs_frame(self.study, manifest, self._selection(manifest))

    def run_indices(self) -> list[int]:
        """The indices of the view's finished runs, in order."""
        return [int(i) for i in self._runs().index]

    @property
    def runs(self) -> pd.DataFrame:
        """The view's finished runs: index ``run``, ``name`` and the explored parameters as ``st_<name>``.

        The table also carries (in ``attrs``) which populations each run
        recorded and their sizes, so that ``na.trials_with_spike(spikes, ...,
        runs=view.runs)`` and the other analyses given it as ``runs=`` count
        trials and neurons exactly as the View's own methods do.
        """
        manifest = fresh_manifest(self.study)
        frame = param_frame(self._runs(manifest))
        frame.insert(0, "name", [run_name(i) for i in frame.index])
        if self.results_only:
            return frame
        pairs = self._recorded_pairs(manifest, frame.index.to_numpy())
        return attach_recorded(frame, pairs)  # runs= of an analysis then counts as the View does

    def __len__(self) -> int:
        return len(self._runs())

    def _populations(self, manifest: dict[str, Any], kind: str = "spikes") -> list[str]:
        known = manifest.get("populations")
        if known is None:
            rec = read_parts(self.study.path, manifest, "recorded", ["kind", "population"]).to_pandas()
            pops = sorted(set(rec.loc[rec["kind"] == kind, "population"]))
        else:
            pops = list(known.get(kind, []))
        for cond in self._of("population"):
            pops = [p for p in pops if cond.test(p)]
        return pops

    @property
    def populations(self) -> list[str]:
        """Populations with recorded spikes or signals in the view."""
        manifest = fresh_manifest(self.study)
        if self.results_only:
            return []
        return sorted(
            set(self._populations(manifest, "spikes")) | set(self._populations(manifest, "signals"))
        )

    # ------------------------------------------------------- partitioning
    def partition_by(self, *names: str, except_: Iterable[str] | None = None) -> list[View]:
        """One view per distinct value (combination) of ``names`` present in the view.

        ``"st_rate"`` partitions by a run parameter, ``"population"`` by
        population, any other name by a result parameter. With ``except_``,
        partition by every parameter that varies in the view except those
        (mozaik's ``partition_by_stimulus_paramter_query``).
        """
        runs = self._runs()
        results = self._store().select(self._result_conditions())
        keys = list(names)
        if except_ is not None:
            skip = {
                resolve_param(self.study, n[3:], "partition_by") if n.startswith("st_") else n
                for n in except_
            }
            keys += [f"st_{c}" for c in runs.columns if c not in skip and runs[c].nunique(dropna=False) > 1]
            if any(not n.startswith("st_") for n in except_):
                varying = {k for r in results for k in r.params}
                keys += [
                    k
                    for k in sorted(varying)
                    if k not in skip and k not in keys and len({repr(r.params.get(k)) for r in results}) > 1
                ]
        if not keys:
            raise QueryError("partition_by: give parameter names (st_rate, population, ...) or except_=[...]")
        combos: dict[tuple[Any, ...], None] = {}
        columns: list[list[Any]] = []
        for key in keys:
            if key.startswith("st_"):
                pname = resolve_param(self.study, key[3:], "partition_by")
                values = (
                    runs[pname].tolist()
                    if pname in runs.columns
                    else ([self.study.params.values()[pname]] if len(runs) else [])
                )
                values += [r.params[key] for r in results if key in r.params]
            elif key == "population":
                values = self.populations + [
                    r.params["population"] for r in results if "population" in r.params
                ]
            else:
                self._store().check_keys([Condition(key, "eq", None)], "partition_by")
                values = [r.params[key] for r in results if key in r.params]
            columns.append(values)
        for values in columns:
            uniq = sorted({_hashable(v) for v in values}, key=_sort_key)
            if not combos:
                combos = {(v,): None for v in uniq}
            else:
                combos = {(*c, v): None for c in combos for v in uniq}
        views = []
        for combo in combos:
            view = self.filter(**{k: list(v) if isinstance(v, tuple) else v for k, v in zip(keys, combo)})
            views.append(view)
        return [v for v in views if len(v) or v._store().select(v._result_conditions())]

    # ------------------------------------------------------------- spikes
    def _param_columns(self, manifest: dict[str, Any], params: bool | Sequence[str]) -> list[str]:
        if params is True:
            return list(manifest.get("params", []))
        if params is False:
            return []
        return [
            resolve_param(self.study, p[3:] if p.startswith("st_") else p, "spikes(params=...)")
            for p in params
        ]

    def spike_table(
        self,
        columns: Sequence[str] = SPIKE_COLUMNS,
        *,
        params: bool | Sequence[str] = True,
        manifest: dict[str, Any] | None = None,
    ) -> pa.Table:
        """The view's spikes as an Arrow table (``columns`` of the spikes table + run parameters)."""
        manifest = manifest or fresh_manifest(self.study)
        pcols = self._param_columns(manifest, params)
        selection = self._selection(manifest, pcols)
        pops = self._populations(manifest) if self._of("population") else None
        needed = list(dict.fromkeys(["run", *columns, *(["population"] if pops is not None else [])]))
        all_runs = selection.num_rows == runs_table(self.study, manifest, []).num_rows
        wanted = selection.column("run").to_numpy()
        lo, hi = (int(wanted.min()), int(wanted.max())) if len(wanted) else (0, -1)
        pieces = []
        for part in manifest["parts"]["spikes"]:
            if not len(wanted) or part["run_max"] < lo or part["run_min"] > hi:
                continue
            table = load_parquet(tables_dir(self.study.path) / part["file"], needed)
            if not all_runs:
                table = table.filter(pc.is_in(table.column("run"), pa.array(wanted)))
            if pops is not None:
                table = table.filter(pc.is_in(table.column("population").cast(pa.string()), pa.array(pops)))
            pieces.append(table)
        table = (
            pa.concat_tables(pieces)
            if pieces
            else read_parts(self.study.path, {"parts": {"spikes": []}}, "spikes", needed)
        )
        table = table.select(list(dict.fromkeys(["run", *columns])))
        if pcols:
            pos = np.searchsorted(wanted, table.column("run").to_numpy())
            defaults = self.study.params.values()
            for name in pcols:
                label = param_column(name)
                if "p:" + name in selection.column_names:
                    values = column_values(self.study, selection, name)
                    col = np.asarray(values, dtype=object if isinstance(values, list) else None)[pos]
                else:
                    col = np.full(table.num_rows, defaults[name])
                table = table.append_column(label, pa.array(col))
        if "run" not in columns:
            table = table.drop_columns(["run"])
        return table

    def spikes(
        self, *, params: bool | Sequence[str] = True, format: Literal["pandas", "arrow", "dask"] = "pandas"
    ) -> Any:
        """Every spike of the view: ``run, population, node_id, time`` (ms) + run parameters.

        ``params=True`` adds the explored parameters as ``st_<name>`` columns (a
        list chooses them); ``format="arrow"`` returns a ``pyarrow.Table``, ``"dask"`` a lazy
        dask DataFrame read from the Parquet parts (for selections larger than memory).
        """
        if format == "dask":
            return self._dask_spikes(params)
        table = self.spike_table(params=params)
        if format == "arrow":
            return table
        frame = table.to_pandas()
        frame["population"] = frame["population"].astype("category")
        return frame

    def _dask_spikes(self, params: bool | Sequence[str]) -> Any:
        import dask.dataframe as dd

        manifest = fresh_manifest(self.study)
        runs = self._runs(manifest)
        files = [str(tables_dir(self.study.path) / p["file"]) for p in manifest["parts"]["spikes"]]
        if not files:
            raise EmptyDataError(f"{self}: no spikes are recorded in study {self.study.path}")
        filters = [("run", "in", runs.index.tolist())]
        frame = dd.read_parquet(files, filters=filters, columns=list(SPIKE_COLUMNS))
        pops = self._populations(manifest) if self._of("population") else None
        if pops is not None:
            frame = frame[frame["population"].astype(str).isin(pops)]
        pcols = self._param_columns(manifest, params)
        if pcols:
            lookup = param_frame(runs[[c for c in pcols if c in runs.columns]])
            frame = frame.merge(lookup, left_on="run", right_index=True, how="left")
        return frame

    def _require_spikes(self, table: pa.Table | pd.DataFrame, what: str) -> None:
        if (table.num_rows if isinstance(table, pa.Table) else len(table)) == 0:
            raise EmptyDataError(self._empty_reason(what))

    def _empty_reason(self, what: str) -> str:
        if self.results_only:
            return (
                f"{what}: {self} selects analysis results only (name/tags/result parameters); recordings "
                "have no such parameters; filter recordings with st_ parameters and population="
            )
        return f"{what}: {self} holds no spikes (no finished run with recorded spikes matches)"

    # ----------------------------------------------------- signals/results
    def signal_summary(self, variable: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Per (run, population, variable, node): unit, t_start, dt, n_frames, mean, std, min, max."""
        manifest = fresh_manifest(self.study)
        runs = self._runs(manifest)
        frame = read_parts(self.study.path, manifest, "signals").to_pandas()
        frame = frame[frame["run"].isin(runs.index)]
        for cond in self._of("population"):
            frame = frame[cond.mask(frame["population"])]
        if variable is not None:
            wanted = [variable] if isinstance(variable, str) else list(variable)
            known = set(
                read_parts(self.study.path, manifest, "recorded", ["variable"]).column("variable").to_pylist()
            )
            unknown = [v for v in wanted if v not in known]
            if unknown:
                raise QueryError(
                    f"signal_summary: no variable {unknown} is recorded; recorded: "
                    f"{', '.join(sorted(known - {''})) or 'none'}"
                )
            frame = frame[frame["variable"].isin(wanted)]
        joined: pd.DataFrame = frame.join(param_frame(runs), on="run").reset_index(drop=True)
        return joined

    def signals(self, population: str, variable: str, node_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Traces of ``variable`` in ``population``: rows ``(run, node_id)``, columns time (ms).

        Read from the runs' SONATA frame reports (units in ``frame.attrs["unit"]``).
        """
        summary = self.signal_summary(variable)
        summary = summary[summary["population"] == population]
        if summary.empty:
            raise EmptyDataError(
                self._empty_reason(f"signals({population!r}, {variable!r})").replace(
                    "no spikes", f"no {variable!r} of {population!r}"
                )
            )
        from neuroloom.datastore.run_tables import run_batches

        runs = sorted(set(summary["run"]))
        batches = run_batches(self.study.catalog, runs)
        return read_signals(self.study.path, runs, population, variable, node_ids, batches)

    def table(self, name: str, *, params: bool | Sequence[str] = True) -> pd.DataFrame:
        """The per-run table ``name`` of the view's runs (``run.record_table``, ISF activations).

        One row per recorded row, a ``run`` column first, then the table's
        columns and the run parameters as ``st_<name>`` columns (``params=True``:
        every explored parameter; a list chooses them).
        """
        from neuroloom.datastore.run_tables import read_table

        manifest = fresh_manifest(self.study)
        selection = self._selection(manifest)
        defaults = self.study.params.values()
        values = {
            param_column(name_): column_values(self.study, selection, name_)
            if "p:" + name_ in selection.column_names
            else [defaults[name_]] * selection.num_rows
            for name_ in self._param_columns(manifest, params)
        }
        return read_table(self.study.path, manifest, name, selection, values)

    def _result_conditions(self) -> list[Condition]:
        out = list(self._of("result"))
        out += [Condition(f"st_{c.key}", c.op, c.value) for c in self._of("run")]
        out += self._of("population")
        return out

    def result_list(self) -> list[Result]:
        """The view's analysis results (mozaik's ``get_analysis_result`` on a view)."""
        return self._store().select(self._result_conditions())

    def results(self, *, load: bool = True) -> pd.DataFrame:
        """The view's analysis results: ``name``, parameters, ``tags``, ``value``, ``id``."""
        return results_frame(self.result_list(), load=load)

    def add_result(
        self,
        name: str,
        value: Any,
        params: dict[str, Any] | None = None,
        tags: Iterable[str] = (),
        replace: bool = False,
    ) -> Result:
        """Store a result in the study; the view's constant run parameters (``st_...``) and
        its single population join ``params`` (as mozaik ties an ADS to its stimulus)."""
        full: dict[str, Any] = {}
        runs = self._runs()
        for col in runs.columns:
            values = runs[col].unique()
            if len(values) == 1:
                full[f"st_{col}"] = values[0].item() if isinstance(values[0], np.generic) else values[0]
        pops = self.populations
        if len(pops) == 1:
            full["population"] = pops[0]
        full.update(params or {})
        return self._store().add(name, value, full, tags, replace)

    # --------------------------------------------------------- accessors
    def population(self, name: str) -> PopulationView:
        """Per-population accessors: spike trains by id, stored ids, positions, annotations."""
        view = self.filter(population=name)
        return PopulationView(view, name)

    # ------------------------------------------------------------ analysis
    def _by(self, by: str | Sequence[str] | None) -> tuple[list[str], list[str]]:
        """``by=`` split into run parameter names (from ``st_`` keys) and the ``by`` columns to pass on."""
        params: list[str] = []
        columns: list[str] = []
        for key in as_list(by):
            if key.startswith(PARAM_PREFIX):
                name = resolve_param(self.study, key[len(PARAM_PREFIX) :], "by=")
                params.append(name)
                columns.append(param_column(name))
                continue
            if key != "population" and key in self.study.params.values():
                raise QueryError(
                    f"by={key!r}: run parameters are spelled {PARAM_PREFIX}<name> in by=, in every table "
                    f"and in the plots; write by={param_column(key)!r} (docs/columns.md)"
                )
            columns.append(key)
        return list(dict.fromkeys(params)), list(dict.fromkeys(columns))

    def _recorded_pairs(self, manifest: dict[str, Any], run_ids: np.ndarray) -> pd.DataFrame:
        """``run, population, size`` of every population whose spikes each run recorded (size may be NA)."""
        rec = read_parts(
            self.study.path, manifest, "recorded", ["run", "kind", "population", "n"]
        ).to_pandas()
        rec = rec[rec["run"].isin(run_ids)]
        pops = self._populations(manifest)
        pairs = rec.loc[(rec["kind"] == "spikes") & rec["population"].isin(pops), ["run", "population"]]
        sizes = rec.loc[rec["kind"] == "size", ["run", "population", "n"]].rename(columns={"n": "size"})
        pairs = pairs.drop_duplicates().merge(sizes, on=["run", "population"], how="left")

        network = {name: len(pop) for name, pop in network_nodes(self.study.path).items()}
        from_network = pd.to_numeric(pairs["population"].map(network), errors="coerce")
        pairs["size"] = pd.to_numeric(pairs["size"], errors="coerce").fillna(from_network)
        out: pd.DataFrame = pairs.reset_index(drop=True)
        return out

    def _neurons(
        self, manifest: dict[str, Any], run_ids: np.ndarray, spikes: pd.DataFrame, neurons: Any
    ) -> Any:
        """The per-run neuron universe: each run's recorded populations, at their recorded sizes.

        Sizes come from ``run.record_spikes(..., size=)`` (the simulators pass
        them), else from the study's network; a population of unknown size
        counts the neurons that spike somewhere in the view. ``neurons=`` from
        the caller replaces the sizes (a per-run table as given; a mapping or a
        global table for each run that recorded that population), and must not
        name a population the view did not record.
        """
        pairs = self._recorded_pairs(manifest, run_ids)
        if neurons is None:
            known = pairs[pairs["size"].notna()].astype({"size": np.int64})
            frames = [expand_sizes(known, "size")] if len(known) else []
            unknown = pairs.loc[pairs["size"].isna(), ["run", "population"]]
            if len(unknown):
                seen = spikes[["population", "node_id"]].astype({"population": str}).drop_duplicates()
                frames.append(unknown.merge(seen, on="population", how="inner"))
            if not frames:
                return pd.DataFrame({"run": [], "population": [], "node_id": []})
            return pd.concat(frames, ignore_index=True)
        given = neurons_frame(neurons, None, [])
        recorded = set(pairs["population"])
        extra = sorted(set(given["population"]) - recorded)
        if extra:
            raise QueryError(
                f"neurons= names population(s) {extra} that {self} did not record (recorded: "
                f"{sorted(recorded) or 'none'}); they would count as silent. Name the recorded populations"
            )
        if "run" in given.columns:
            return neurons
        return pairs[["run", "population"]].merge(given, on="population", how="inner")

    def analyse(
        self, fn: Callable[..., Any], *args: Any, by: str | Sequence[str] | None = None, **kwargs: Any
    ) -> Any:
        """``fn(spikes, *args, by=..., runs=<the view's runs>, neurons=<per run>, **kwargs)`` on the view.

        ``by`` names run parameters as ``"st_stim"`` (the columns of the
        result are spelled so too) or ``"population"``. Silent runs count
        (passed as ``runs=``), and every run is measured against its own
        populations: those it recorded, at the size it recorded (see
        :meth:`_neurons`), so rates divide by each run's own number of neurons.
        """
        manifest = fresh_manifest(self.study)
        runs = self._runs(manifest)
        params, by_cols = self._by(by)
        table = self.spike_table(params=params, manifest=manifest)
        self._require_spikes(table, getattr(fn, "__name__", "analysis"))
        spikes = table.to_pandas()
        spikes["population"] = spikes["population"].astype("category")
        accepted = inspect.signature(fn).parameters
        if by_cols:
            kwargs["by"] = by_cols
        if "runs" in accepted:
            kwargs["runs"] = param_frame(runs[params]).reset_index()
        if "neurons" in accepted and inspect.unwrap(getattr(fn, "func", fn)) not in SAMPLES_ITS_NEURONS:
            run_ids = runs.index.to_numpy()
            kwargs["neurons"] = self._neurons(manifest, run_ids, spikes, kwargs.get("neurons"))
        return fn(spikes, *args, **kwargs)

    def mean_rates(self, t_start: float, t_stop: float, **kwargs: Any) -> pd.DataFrame:
        """:func:`neuroloom.analysis.mean_rates` on the view (silent runs included)."""
        from neuroloom.analysis import mean_rates

        return self.analyse(mean_rates, t_start, t_stop, **kwargs)  # type: ignore[no-any-return]

    def cv_isi(self, **kwargs: Any) -> pd.DataFrame:
        """:func:`neuroloom.analysis.cv_isi` on the view."""
        from neuroloom.analysis import cv_isi

        return self.analyse(cv_isi, **kwargs)  # type: ignore[no-any-return]

    def fano_factor(self, t_start: float, t_stop: float, **kwargs: Any) -> pd.DataFrame:
        """:func:`neuroloom.analysis.fano_factor` on the view."""
        from neuroloom.analysis import fano_factor

        return self.analyse(fano_factor, t_start, t_stop, **kwargs)  # type: ignore[no-any-return]

    def spike_counts(
        self, t_start: float | None = None, t_stop: float | None = None, **kwargs: Any
    ) -> pd.DataFrame:
        """:func:`neuroloom.analysis.spike_counts` on the view."""
        from neuroloom.analysis import spike_counts

        return self.analyse(spike_counts, t_start, t_stop, **kwargs)  # type: ignore[no-any-return]

    def trials_with_spike(
        self, t_start: float, t_stop: float, *, by: str | Sequence[str] | None = None, min_spikes: int = 1
    ) -> pd.DataFrame:
        """How many runs have a spike in ``[t_start, t_stop)`` ms, per population and ``by`` group.

        The definition of :func:`neuroloom.analysis.trials_with_spike` on the
        view (a trial of a population is a run of the view that recorded it,
        with or without spikes; the table is made by the same
        :func:`~neuroloom.analysis.spikes.tally_trials`), with the counting
        done on the consolidated Arrow columns: a few ms for 18,000 runs.
        """
        from neuroloom.analysis.spikes import tally_trials

        start, stop = check_window(t_start, t_stop)
        manifest = fresh_manifest(self.study)
        params, by_cols = self._by(by)
        selection = self._selection(manifest, params)
        runs = runs_frame(self.study, {"params": params}, selection)  # only the by= parameters
        run_ids = selection.column("run").to_numpy().astype(np.int64)
        pair_keys, names = self._spike_trials(manifest, run_ids)
        if not len(pair_keys):
            raise EmptyDataError(self._empty_reason("trials_with_spike"))
        table = self.spike_table(("run", "population", "time"), params=False, manifest=manifest)
        times = table.column("time").to_numpy()
        codes = arrow_population_codes(table, names)
        inside = (times >= start) & (times < stop) & (codes >= 0)
        keys = table.column("run").to_numpy()[inside] * len(names) + codes[inside]
        pos = np.minimum(np.searchsorted(pair_keys, keys), len(pair_keys) - 1)
        counts = np.bincount(pos[pair_keys[pos] == keys], minlength=len(pair_keys))
        pair_runs = pair_keys // len(names)
        data: dict[str, Any] = {"population": names[pair_keys % len(names)]}
        at = np.searchsorted(run_ids, pair_runs)
        for name in params:
            data[param_column(name)] = np.asarray(runs[name].to_numpy())[at]
        data["count"] = counts
        return tally_trials(pd.DataFrame(data), by_cols, min_spikes)

    def _spike_trials(self, manifest: dict[str, Any], run_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys ``run * len(names) + population index`` of every (run, population) that
        recorded spikes in the view, and the sorted population ``names``."""
        rec = read_parts(self.study.path, manifest, "recorded", ["run", "kind", "population"])
        pops = self._populations(manifest)
        mask = pc.and_(pc.equal(rec.column("kind"), "spikes"), pc.is_in(rec.column("run"), pa.array(run_ids)))
        mask = pc.and_(mask, pc.is_in(rec.column("population"), pa.array(pops, pa.string())))
        rec = rec.filter(mask)
        pair_pops = rec.column("population").to_numpy(zero_copy_only=False).astype(object)
        names = np.asarray(sorted(set(pops)), dtype=object)
        index = np.searchsorted(names, pair_pops) if len(names) else np.zeros(0, np.int64)
        keys = rec.column("run").to_numpy().astype(np.int64) * max(len(names), 1) + index
        return np.unique(keys), names


def arrow_population_codes(table: pa.Table, names: np.ndarray) -> np.ndarray:
    """Index of every row's population in the sorted array ``names`` (-1 when absent)."""
    col = table.column("population")
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if isinstance(arr, pa.DictionaryArray):
        indices = arr.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        labels = np.asarray(arr.dictionary.to_pylist(), dtype=object)
    else:
        indices, uniques = pd.factorize(np.asarray(arr.to_pylist(), dtype=object))
        labels = np.asarray(uniques, dtype=object)
    where = np.searchsorted(names, labels) if len(names) else np.zeros(len(labels), np.int64)
    safe = np.minimum(where, max(len(names) - 1, 0))
    known = (where < len(names)) & (names[safe] == labels) if len(names) else np.zeros(len(labels), bool)
    mapping = np.where(known, where, -1).astype(np.int64)
    return mapping[indices] if len(indices) else np.zeros(0, np.int64)


def _hashable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return tuple(value)
    return value


def _sort_key(value: Any) -> tuple[str, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("0", value)
    return (type(value).__name__, str(value))
