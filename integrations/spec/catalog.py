"""The validated spec: every entity resolved, every cross-reference pointing at an entity."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.spec.drupal import BundleType
from integrations.spec.problems import Problem
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind


@dataclass(eq=False)
class Bundle:
    label: str
    machine_name: str
    type: BundleType
    row: SpecRow | None  # None: named only by the fields sheet, so it exists already
    existing: bool  # X = x, or not in the bundles sheet
    skipped: bool = False  # X = w (waiting) or d (to be deleted)
    workflows: list[Workflow] = field(default_factory=list)  # moderated by (Mod.)
    fields: list[Field] = field(default_factory=list)  # in spec order

    @property
    def key(self) -> str:
        return self.type.key(self.machine_name)

    @property
    def display(self) -> str:
        return f"{self.label} ({self.type.label})"


@dataclass(eq=False)
class Field:
    row: SpecRow
    bundle: Bundle
    machine_name: str
    targets: list[Bundle] = field(default_factory=list)  # reference targets in the spec


@dataclass(eq=False)
class Entity:
    """A top-level entity with its own row (view, image style, role, workflow, menu …)."""

    label: str
    machine_name: str
    row: SpecRow | None
    existing: bool = False
    skipped: bool = False  # X = w or d
    children: list[SpecRow] = field(default_factory=list)


@dataclass(eq=False)
class View(Entity):
    bundles: list[Bundle] = field(default_factory=list)


@dataclass(eq=False)
class Workflow(Entity):
    states: list[SpecRow] = field(default_factory=list)
    transitions: list[SpecRow] = field(default_factory=list)
    bundles: list[Bundle] = field(default_factory=list)


@dataclass(eq=False)
class Role(Entity):
    pass


@dataclass(eq=False)
class Migration(Entity):
    bundle: Bundle | None = None
    depends_on: list[Migration] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)  # mapped destination fields


@dataclass
class Catalog:
    """All entities of a spec that survived validation, in spec order, plus every problem found."""

    bundles: list[Bundle] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    image_styles: list[Entity] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    menus: list[Entity] = field(default_factory=list)
    custom_entities: list[Entity] = field(default_factory=list)
    migrations: list[Migration] = field(default_factory=list)
    # Fields marked X = d on bundles that stay: each is removed by a ticket of its own.
    removed_fields: list[Field] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    permission_rows: list[SpecRow] = field(default_factory=list)  # grid rows kept after validation
    grants: dict[int, list[Role]] = field(default_factory=dict)  # id(permission row) -> roles it grants
    # The canonical columns each uploaded sheet kind has: what the spec could have said (Ref. bundle …).
    columns: dict[SheetKind, set[str]] = field(default_factory=dict)

    def fields_of(self, bundle: Bundle) -> list[Field]:
        return list(bundle.fields)
