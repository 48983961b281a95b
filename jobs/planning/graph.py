"""Dependency order: a topological sort that breaks cycles at their earliest ticket, deterministically."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class BrokenCycle(Generic[N]):
    """A cycle was broken by dropping `first`'s dependencies on `dropped` (all members of its cycle)."""

    first: N
    members: tuple[N, ...]
    dropped: tuple[N, ...]


def dependency_order(
    nodes: Sequence[N], prerequisites: Mapping[N, set[N]]
) -> tuple[list[N], list[BrokenCycle[N]]]:
    """Order `nodes` so that each comes after its prerequisites; ties keep the order of `nodes`.

    `nodes` must already be sorted by the tie-break (group, then spec order). A cycle is broken by
    dropping the dependencies of its earliest node on the other members of its cycle.
    """
    rank = {node: index for index, node in enumerate(nodes)}
    needs = {node: {p for p in prerequisites.get(node, set()) if p in rank and p != node} for node in nodes}
    broken = _break_cycles(nodes, needs, rank)
    dependents: dict[N, set[N]] = {node: set() for node in nodes}
    for node, reqs in needs.items():
        for req in reqs:
            dependents[req].add(node)
    waiting = {node: len(reqs) for node, reqs in needs.items()}
    ready = [rank[node] for node in nodes if waiting[node] == 0]
    heapq.heapify(ready)
    order: list[N] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, rank[dependent])
    return order, broken


def _break_cycles(nodes: Sequence[N], needs: dict[N, set[N]], rank: Mapping[N, int]) -> list[BrokenCycle[N]]:
    """Drop, in each cycle, the dependencies of its earliest node on the other members; repeat until none.

    Breaking before sorting (not when the sort gets stuck) keeps the earliest node where its group and
    spec order put it, instead of pushing it behind every ticket that was not in the cycle.
    """
    broken: list[BrokenCycle[N]] = []
    while True:
        cycles = [c for c in _strongly_connected(list(nodes), needs, rank) if len(c) > 1]
        if not cycles:
            return broken
        for cycle in sorted(cycles, key=lambda c: min(rank[n] for n in c)):
            members = set(cycle)
            first = min(cycle, key=rank.__getitem__)
            dropped = tuple(sorted(needs[first] & members, key=rank.__getitem__))
            needs[first] -= members
            broken.append(BrokenCycle(first, tuple(sorted(cycle, key=rank.__getitem__)), dropped))


def _strongly_connected(nodes: list[N], needs: Mapping[N, set[N]], rank: Mapping[N, int]) -> list[list[N]]:
    """Tarjan's algorithm, iterative so that long dependency chains cannot hit the recursion limit."""
    members = set(nodes)
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    stack: list[N] = []
    on_stack: set[N] = set()
    result: list[list[N]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[N, list[N]]] = [(root, sorted(needs[root] & members, key=rank.__getitem__))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(needs[nxt] & members, key=rank.__getitem__)))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[N] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result
