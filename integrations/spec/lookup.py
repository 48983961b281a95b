"""Find spec entities by label or machine name, as the sheets refer to each other."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from integrations.spec.suggest import Suggester

T = TypeVar("T")


class Lookup(Generic[T]):
    """Entities of one kind by lowercased label and by machine name; the first one named wins."""

    def __init__(self) -> None:
        self._by_name: dict[str, T] = {}
        self._suggester = Suggester()

    def add(self, label: str, machine_name: str, item: T) -> None:
        if label and label.lower() not in self._by_name:
            self._by_name[label.lower()] = item
            self._suggester.add(label)
        if machine_name and machine_name.lower() not in self._by_name:
            self._by_name[machine_name.lower()] = item

    def find(self, name: str) -> T | None:
        return self._by_name.get(name.strip().lower())

    def suggest(self, name: str, column: str = "") -> str | None:
        """A close label, searched for only the first few distinct unknown names of each column."""
        return self._suggester.suggest(name, column)

    def __bool__(self) -> bool:
        return bool(self._by_name)

    def values(self) -> Iterable[T]:
        seen: set[int] = set()
        for item in self._by_name.values():
            if id(item) not in seen:
                seen.add(id(item))
                yield item


def split_list(text: str) -> list[str]:
    """A cell listing several names: comma-, semicolon- or newline-separated; '(Type)' suffixes kept whole."""
    items: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char in ",;\n" and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [item.strip() for item in items if item.strip()]
