"""One ``add_edges`` call: :class:`ConnectionMap` (source/target pools, a rule, edge-type properties)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from neuroloom.errors import NetworkBuildError
from neuroloom.network.callbacks import CallbackRule
from neuroloom.network.nodes import NodePool
from neuroloom.network.properties import PropertyRule, as_dtypes
from neuroloom.network.rules import AllToAll, ArrayRule, ConnectionRule


class ConnectionMap:
    """One ``add_edges`` call: source/target selections, a rule, edge-type properties."""

    def __init__(
        self,
        source: NodePool,
        target: NodePool,
        rule: ConnectionRule,
        edge_type_id: int,
        edge_type_properties: dict[str, Any],
    ) -> None:
        self.source = source
        self.target = target
        self.rule = rule
        self.edge_type_id = edge_type_id
        self.edge_type_properties = edge_type_properties
        self.property_rules: list[PropertyRule] = []
        #: edges of a map evaluated up front (bmtk's callback path): source, target, n, properties

    def add_properties(
        self,
        names: str | Sequence[str],
        rule: Callable[..., Any] | Any = None,
        rule_params: Mapping[str, Any] | None = None,
        dtypes: Any = None,
        vectorized: bool = False,
        values: Sequence[Any] | None = None,
    ) -> None:
        """Give each edge its own value of ``names``.

        Parameters
        ----------
        names
            One property name or several (then ``rule`` returns one value per name).
        rule
            A constant, a bmtk-style ``rule(source_node, target_node, **rule_params)``
            called per edge, or (``vectorized=True``) ``rule(sources, targets,
            **rule_params)`` called on arrays with one row per edge (add an ``rng``
            parameter to get the block's reproducible generator).
        dtypes
            One dtype or one per name (default float64).
        values
            bmtk's alternative to ``rule``: one value per edge, handed out in the
            order the edges are made (bmtk's order for callback rules; block order
            for built-in rules).
        """
        if (rule is None) == (values is None):
            raise NetworkBuildError(f"add_properties({names!r}): give either rule or values")
        if values is not None:
            rule = _next_value(list(values))
        elif isinstance(rule, (list, np.ndarray)):
            rule = _next_value(list(rule))
        name_list = [names] if isinstance(names, str) else list(names)
        taken = {n for r in self.property_rules for n in r.names}
        if taken & set(name_list):
            raise NetworkBuildError(f"add_properties: {sorted(taken & set(name_list))} already added")
        self.property_rules.append(
            PropertyRule(name_list, rule, dict(rule_params or {}), as_dtypes(name_list, dtypes), vectorized)
        )

    @property
    def property_names(self) -> list[str]:
        return [n for r in self.property_rules for n in r.names]

    @property
    def source_nodes(self) -> NodePool:
        """The source selection (bmtk's name)."""
        return self.source

    @property
    def target_nodes(self) -> NodePool:
        """The target selection (bmtk's name)."""
        return self.target

    def max_connections(self) -> int:
        """Number of (source, target) pairs the rule is asked about."""
        return len(self.source) * len(self.target)

    @property
    def source_network_name(self) -> str:
        return self.source.network.name

    @property
    def target_network_name(self) -> str:
        return self.target.network.name

    @property
    def may_repeat(self) -> bool:
        """Whether an ``nsyns`` column is written for this map (bmtk's rule).

        bmtk writes one row per connected pair with its synapse count when the map
        has no per-edge properties and its rule is an int or a function; with
        per-edge properties every synapse is its own row.
        """
        return not self.property_rules and isinstance(self.rule, (CallbackRule, ArrayRule, AllToAll))

    def describe(self) -> str:
        """The call as a user wrote it, for error messages."""
        return (
            f"add_edges(source={self.source_network_name}:{self.source.filter_str}, "
            f"target={self.target_network_name}:{self.target.filter_str})"
        )

    def __repr__(self) -> str:
        return (
            f"ConnectionMap({self.source_network_name}:{self.source.filter_str} -> "
            f"{self.target_network_name}:{self.target.filter_str}, {self.rule!r})"
        )


def _next_value(values: list[Any]) -> Callable[..., Any]:
    """A per-edge rule handing out ``values`` one by one (bmtk's list rule)."""
    position = iter(values)

    def rule(source: Any, target: Any) -> Any:
        try:
            return next(position)
        except StopIteration:
            raise NetworkBuildError(
                f"add_properties: {len(values)} values given but more edges were made "
                f"(source node {source.node_id} -> target node {target.node_id})"
            ) from None

    return rule
