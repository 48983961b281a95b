"""How a ticket's rows divide: the entity's own row, and its child rows by sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import TicketKind

OWN_SHEET = {
    TicketKind.BUNDLE: SheetKind.BUNDLES,
    TicketKind.VIEW: SheetKind.VIEWS,
    TicketKind.IMAGE_STYLE: SheetKind.IMAGE_STYLES,
    TicketKind.ROLE: SheetKind.USER_ROLES,
    TicketKind.WORKFLOW: SheetKind.WORKFLOWS,
    TicketKind.MENU: SheetKind.MENUS,
    TicketKind.CUSTOM_ENTITY: SheetKind.CUSTOM_ENTITIES,
    TicketKind.MIGRATION: SheetKind.MIGRATIONS,
}


@dataclass(frozen=True)
class TicketRows:
    own: SpecRow | None  # None for fields on an existing bundle
    children: tuple[SpecRow, ...]

    @classmethod
    def split(cls, kind: TicketKind, rows: Sequence[SpecRow]) -> TicketRows:
        # A row to be deleted must not be described as something to build, least of all in an "exactly" table.
        live = [row for row in rows if row.status != "d"]
        own_sheet = OWN_SHEET.get(kind)
        own = next((row for row in live if row.sheet is own_sheet), None)
        return cls(own, tuple(row for row in live if row is not own))

    def own_value(self, column: str) -> str:
        return self.own.get(column) if self.own else ""

    def of(self, sheet: SheetKind) -> list[SpecRow]:
        return [row for row in self.children if row.sheet is sheet]
