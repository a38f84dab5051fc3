"""Named analysis results of a study, addressed by their parameters (mozaik's ADS store).

A result has a ``name``, a dict of ``params`` (numbers, strings, bools, None,
lists of those), a list of ``tags`` and a ``value``. Its identity is the name
plus all parameters: adding a result whose name and parameters equal a stored
one is refused unless ``replace=True`` (mozaik's uniqueness rule); tags do not
take part in the identity.

Stored in the study catalog (table ``analysis_results``, through the
:class:`~neuroloom.study.catalog.Catalog` methods): scalars and small
JSON values inline, anything else as a study item under
``analysis_results/<name>/<id>`` with the Database codecs.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neuroloom.datastore.conditions import Condition, parse
from neuroloom.errors import DuplicateResultError, ItemNotFoundError, QueryError
from neuroloom.params.values import canonical, decode
from neuroloom.study.run import scalar_result

if TYPE_CHECKING:
    from neuroloom.study.study import StudyCore as Study

RESULTS_KEY = "analysis_results"


def _param_value(where: str, key: str, value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise QueryError(f"{where}: parameter {key!r} is NaN; parameters must be comparable values")
        return value
    if isinstance(value, (list, tuple)):
        return [_param_value(where, key, v) for v in value]
    raise QueryError(
        f"{where}: parameter {key!r} has a {type(value).__name__}; result parameters are numbers, "
        "strings, bools, None or lists of those"
    )


def _identity_form(value: Any) -> Any:
    """A result parameter as :func:`neuroloom.params.values.canonical` hashes it.

    Integers stay exact; a whole float is the integer it equals (``100.0`` and
    ``100`` are one result, as ``100.0 == 100``); lists become tuples.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return tuple(_identity_form(v) for v in value)
    return value


def result_id(name: str, params: Mapping[str, Any]) -> str:
    """Identity of a result: hash of its name and canonical parameters.

    Parameters are canonicalised with :func:`neuroloom.params.values.canonical`
    (the one canonical hashing): integers exactly, other floats to 12
    significant digits, strings, bools and None by type and value.
    """
    text = name + "\n" + "\n".join(f"{k}={canonical(_identity_form(params[k]))}" for k in sorted(params))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@dataclass
class Result:
    """One stored analysis result (``value`` is read on first access when stored as an item)."""

    name: str
    params: dict[str, Any]
    tags: list[str]
    id: str
    _kind: str = field(repr=False, default="v")
    _raw: Any = field(repr=False, default=None)
    _study: Any = field(repr=False, default=None)

    @property
    def value(self) -> Any:
        if self._kind == "v":
            return self._raw
        if self._kind == "b":
            return bool(self._raw)
        if self._kind == "j":
            return decode(json.loads(self._raw))  # tagged JSON: small arrays, quantities
        return self._study[(RESULTS_KEY, self.name, self.id)]


class ResultStore:
    """The analysis results of one study."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.catalog = study.catalog

    def add(
        self,
        name: str,
        value: Any,
        params: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
        replace: bool = False,
    ) -> Result:
        where = f"result {name!r}"
        if not isinstance(name, str) or not name or "/" in name:
            raise QueryError(f"invalid result name {name!r}: a non-empty string without '/'")
        plain = {str(k): _param_value(where, str(k), v) for k, v in dict(params or {}).items()}
        for reserved in ("name", "tags"):
            if reserved in plain:
                raise QueryError(
                    f"{where}: {reserved!r} cannot be a parameter name (it addresses the result)"
                )
        tag_list = [tags] if isinstance(tags, str) else [str(t) for t in tags]
        rid = result_id(name, plain)
        exists = self.catalog.has_analysis_result(rid)
        if exists and not replace:
            raise DuplicateResultError(
                f"a result {name!r} with the same parameters {plain} is already stored in study "
                f"{self.study.path}; pass replace=True to replace it, or add a parameter that tells them "
                "apart"
            )
        stored = scalar_result(value)
        key = (RESULTS_KEY, name, rid)
        if stored is None:
            self.study.set(key, value)
            stored = ("item", self.study.metadata(key)["codec"])
        elif exists and key in self.study:
            del self.study[key]
        kind, raw = stored
        self.catalog.put_analysis_result(
            (rid, name, json.dumps(plain, sort_keys=True), json.dumps(tag_list), kind, raw, time.time())
        )
        return Result(name, plain, tag_list, rid, kind, raw, self.study)

    def all(self) -> list[Result]:
        rows = self.catalog.analysis_results()
        return [Result(n, json.loads(p), json.loads(t), i, k, v, self.study) for i, n, p, t, k, v, _ in rows]

    def param_names(self) -> set[str]:
        names: set[str] = set()
        for text in self.catalog.analysis_result_params():
            names.update(json.loads(text))
        return names

    def names(self) -> list[str]:
        return self.catalog.analysis_result_names()

    def select(self, conditions: Sequence[Condition]) -> list[Result]:
        """Results meeting every condition (``name``, ``tags`` or a parameter)."""
        out = []
        for res in self.all():
            if all(matches(res, c) for c in conditions):
                out.append(res)
        return out

    def check_keys(self, conditions: Sequence[Condition], what: str) -> None:
        known = self.param_names()
        for c in conditions:
            if c.key in ("name", "tags") or c.key in known:
                continue
            raise QueryError(
                f"{what}: no stored result has a parameter {c.key!r}; result parameters: "
                f"{', '.join(sorted(known)) or 'none'} (run parameters take the prefix st_, e.g. st_rate=5)"
            )
        names = self.names()
        for c in conditions:
            if c.key == "name" and c.op in ("eq", "in"):
                wanted = c.value if isinstance(c.value, tuple) else (c.value,)
                unknown = [w for w in wanted if w not in names]
                if unknown:
                    raise QueryError(
                        f"{what}: no result is named {', '.join(map(repr, unknown))}; stored results: "
                        f"{', '.join(names) or 'none'}"
                    )


def matches(res: Result, cond: Condition) -> bool:
    if cond.key == "name":
        return cond.test(res.name)
    if cond.key == "tags":
        wanted = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        has = set(res.tags) >= set(wanted)
        return not has if cond.op == "ne" else has
    if cond.key not in res.params:
        return False
    return cond.test(res.params[cond.key])


def results_frame(results: Sequence[Result], load: bool = True) -> pd.DataFrame:
    """One row per result: ``name``, each parameter, ``tags`` and ``value``."""
    keys: list[str] = []
    for r in results:
        keys.extend(k for k in r.params if k not in keys)
    data: dict[str, Any] = {"name": [r.name for r in results]}
    for k in keys:
        data[k] = [r.params.get(k) for r in results]
    data["tags"] = [list(r.tags) for r in results]
    data["value"] = [r.value if load else r for r in results]
    data["id"] = [r.id for r in results]
    return pd.DataFrame(data)


def conditions_of(kwargs: Mapping[str, Any]) -> list[Condition]:
    return [parse(k, v) for k, v in kwargs.items()]


def get_results(store: ResultStore, kwargs: Mapping[str, Any]) -> list[Result]:
    """``study.get_result(name=..., **params)``: every result matching (lists mean any of)."""
    conds = conditions_of(kwargs)
    store.check_keys(conds, "get_result")
    found = store.select(conds)
    if not found and "name" in kwargs and not store.names():
        raise ItemNotFoundError(f"study {store.study.path} has no analysis results yet")
    return found
