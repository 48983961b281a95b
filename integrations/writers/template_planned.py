"""Template text for the tickets the planner makes beyond one Create per entity: foundation tickets,
follow-up fields, merged families, configuration Drupal provides, and the Update / Remove / Extend
actions on ordinary tickets. Plain and complete; every kind and action has its own words."""

from __future__ import annotations

from integrations.spec import drupal_knowledge as dk
from integrations.spec.drupal_knowledge import one_line
from integrations.spec.provided import provided
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import TicketAction, TicketBrief, TicketKind

PLANNED_KINDS = frozenset({
    TicketKind.MODULES, TicketKind.LANGUAGES, TicketKind.SHARED_FIELD_STORAGES, TicketKind.BEHAT_SETUP,
    TicketKind.DEFERRED_FIELD, TicketKind.MERGED_FAMILY, TicketKind.PROVIDED_CONFIG,
})
_MODULES_KEY = "core.extension"  # the modules ticket's key (jobs/planning/modules.py)


def is_planned(brief: TicketBrief) -> bool:
    """Written here rather than by the per-kind Create text."""
    return brief.kind in PLANNED_KINDS or brief.action in (TicketAction.REMOVE, TicketAction.UPDATE,
                                                           TicketAction.EXTEND)


def _n(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


def _type(brief: TicketBrief) -> str:
    return dk.lower_first(one_line(brief.entity_type_label)) or "item"


def follow_up_ends(brief: TicketBrief) -> tuple[str, list[str]]:
    """(the bundle a follow-up field goes on, the bundles it waits for)."""
    owner = one_line(brief.rows[0].get("bundle")) if brief.rows else "its bundle"
    field = f"field {brief.machine_name} "
    targets = [one_line(d.label) for d in brief.depends_on if d.reason.startswith(field)]
    return owner or "its bundle", targets


def added_displays(brief: TicketBrief) -> list[str]:
    """The display ids a shipped view gains (all the spec's displays when the view is not shipped)."""
    shipped = provided(brief.key)
    displays = [r.get("machine_name") for r in brief.rows if r.sheet is SheetKind.VIEW_DISPLAYS]
    if shipped is None or shipped.displays is None:
        return displays
    return [d for d in displays if d not in shipped.displays]


def changed_rows(brief: TicketBrief) -> list[SpecRow]:
    return [r for r in brief.rows if r.status == "c"]


def _row_name(row: SpecRow) -> str:
    return one_line(row.get("field_label") or row.get("name") or row.get("title") or row.get("permission")
                    or row.get("machine_name") or row.sheet.value)


def planned_title(brief: TicketBrief, named: str) -> str:
    """The title of a planner-made ticket or action; empty for an ordinary Create."""
    kind, action = brief.kind, brief.action
    if kind is TicketKind.MODULES:
        return f"Add and enable the {_n(len(brief.modules), 'module')} this spec needs"
    if kind is TicketKind.LANGUAGES:
        return f"Set up languages and content translation for {_n(len(brief.members), 'bundle')}"
    if kind is TicketKind.SHARED_FIELD_STORAGES:
        return f"Create {_n(len(brief.members), 'shared field storage')} used on three or more bundles each"
    if kind is TicketKind.BEHAT_SETUP:
        return "Set up Behat and the Drupal Spec Tool so that every ticket's checks can run"
    if kind is TicketKind.DEFERRED_FIELD:
        owner, targets = follow_up_ends(brief)
        after = f" once {' and '.join(targets)} exist{'s' if len(targets) == 1 else ''}" if targets else ""
        return f'Add field "{one_line(brief.label)}" ({one_line(brief.machine_name)}) to {owner}{after}'
    if kind is TicketKind.MERGED_FAMILY:
        noun = dk.lower_first(one_line(brief.entity_type_label)) or "items"
        return f"Create {len(brief.members)} {noun}: the {one_line(brief.label)} family"
    if kind is TicketKind.PROVIDED_CONFIG:
        return f"Confirm and adjust the configuration Drupal provides ({_n(len(brief.members), 'item')})"
    if action is TicketAction.REMOVE and kind is TicketKind.FIELD:
        owner = one_line(brief.rows[0].get("bundle")) if brief.rows else "its bundle"
        return f"Remove field {named} from {owner}"
    if action is TicketAction.REMOVE:
        return f"Remove {_type(brief)} {named}"
    if action is TicketAction.UPDATE:
        return f"Update {_type(brief)} {named}: {_n(len(changed_rows(brief)), 'changed row')}"
    if action is TicketAction.EXTEND and kind is TicketKind.VIEW:
        return f"Extend view {named} that Drupal provides: add {_n(len(added_displays(brief)), 'display')}"
    if action is TicketAction.EXTEND and kind is TicketKind.ROLE:
        count = sum(1 for r in brief.rows if r.sheet is SheetKind.PERMISSIONS)
        return f"Grant {_n(count, 'permission')} to user role {named} that Drupal provides"
    return ""


def planned_story(brief: TicketBrief, site: str) -> str:
    kind, action = brief.kind, brief.action
    label = f'"{one_line(brief.label)}"'
    if kind is TicketKind.MODULES:
        return (f"As a developer, I want every module {site} needs added and enabled first, so that the following "
                "tickets only configure and never stop to install something.")
    if kind is TicketKind.LANGUAGES:
        return (f"As a content editor, I want languages and content translation set up, so that I can translate "
                f"content on {site}.")
    if kind is TicketKind.SHARED_FIELD_STORAGES:
        return ("As a developer, I want each field used on three or more bundles created once, so that every bundle "
                "ticket only attaches an instance and the storages stay identical.")
    if kind is TicketKind.BEHAT_SETUP:
        return (f"As a QA engineer, I want Behat and the Drupal Spec Tool set up, so that every ticket's checks can be "
                f"run against {site}.")
    if kind is TicketKind.DEFERRED_FIELD:
        owner, targets = follow_up_ends(brief)
        return (f"As a content editor, I want the field {label} on {owner}, so that it can point at "
                f"{' and '.join(targets) or 'its targets'}; it waits for them to exist (a dependency cycle).")
    if kind is TicketKind.MERGED_FAMILY:
        return (f"As a site builder, I want the {_n(len(brief.members), one_line(brief.entity_type_label).lower())} "
                f"of the family {label} built together, so that {site} gets them in one pass.")
    if kind is TicketKind.PROVIDED_CONFIG:
        return (f"As a site builder, I want the configuration Drupal already provides checked against the spec, so "
                f"that {site} uses it instead of recreating what exists.")
    if action is TicketAction.REMOVE:
        return (f"As a site builder, I want the {_type(brief)} {label} removed, so that {site} no longer carries "
                "what the spec marks for deletion, and nothing is left pointing at it.")
    if action is TicketAction.UPDATE:
        return (f"As a site builder, I want the {_type(brief)} {label} brought in line with the spec's changed "
                f"rows, so that {site} matches the spec again.")
    return (f"As a site builder, I want the {_type(brief)} {label} that Drupal provides extended as the spec says, "
            f"so that {site} keeps what Drupal ships and gains what it needs.")


_REMOVAL_STEPS: dict[TicketKind, tuple[str, ...]] = {
    TicketKind.BUNDLE: (
        "Move the content that must stay to another bundle (or a migration), then delete the rest, "
        "e.g. `drush entity:delete <entity type> --bundle={m}`",
        "Remove {m} from the target bundles of every reference field, from view filters, Pathauto patterns, "
        "workflows and search indexes",
        "Delete the bundle with its fields (its field storages go with the last bundle that uses them)",
    ),
    TicketKind.FIELD: (
        "Keep the values that must stay (copy them to another field or into a migration's source); the rest "
        "are deleted with the field",
        "Remove {m} from the bundle's form and view displays, and from views (fields, filters, sorts, "
        "arguments), Pathauto patterns, search indexes and migrations that use it",
        "Delete the field at the bundle's Manage fields (its storage goes with the last bundle that uses it)",
    ),
    TicketKind.VIEW: (
        "Remove the blocks that place its displays, and the menu links and redirects to its pages",
        "Delete the view at /admin/structure/views",
    ),
    TicketKind.IMAGE_STYLE: (
        "Switch every field formatter and responsive image style that uses {m} to another style",
        "Delete the style; Drupal asks which style replaces it: choose that one",
    ),
    TicketKind.ROLE: (
        "Give the accounts that have it the role they need instead (`drush user:role:remove {m} <account>`)",
        "Remove it from view access settings and workflow transitions, then delete it",
    ),
    TicketKind.WORKFLOW: (
        "Move every moderated item to a final state, and take the bundles off the workflow",
        "Revoke its transition permissions, then delete the workflow",
    ),
    TicketKind.MENU: (
        "Move the menu links that must stay to another menu, and remove the blocks that place it",
        "Delete the menu",
    ),
    TicketKind.CUSTOM_ENTITY: (
        "Export or migrate the records that must stay, delete the rest and its bundles",
        "Delete the entity type and run `drush updatedb` (no pending entity updates left)",
    ),
    TicketKind.MIGRATION: (
        "Decide whether the imported content stays; if not, `drush migrate:rollback {m}`",
        "Delete the migration's config and the migrations that depend on it",
    ),
}


def planned_verification(brief: TicketBrief) -> tuple[str, ...]:
    kind, action = brief.kind, brief.action
    if action is TicketAction.REMOVE:
        return (f"No content, reference field, view, block or menu link still points at {one_line(brief.machine_name)}"
                " (a content audit and `grep -rl` on config/sync find none)",)
    general = {
        TicketKind.MODULES: "`composer install` on a fresh checkout and `drush deploy` give the same enabled modules",
        TicketKind.LANGUAGES: "An editor can add a translation to an item of each bundle listed",
        TicketKind.SHARED_FIELD_STORAGES: "Each bundle ticket that uses one of these storages only adds an instance",
        TicketKind.BEHAT_SETUP: "The CI pipeline runs `vendor/bin/behat` and fails when a step fails",
        TicketKind.DEFERRED_FIELD: "The field accepts a reference to an item of each target bundle",
        TicketKind.MERGED_FAMILY: "Every item of the family is listed in its admin overview with the spec's label",
        TicketKind.PROVIDED_CONFIG: "Each item's label and settings match the spec's row, adjusted where it differs",
    }.get(kind)
    if action is TicketAction.UPDATE:
        general = "Each changed row is as the spec now says, and content saved before the change still shows"
    elif action is TicketAction.EXTEND:
        general = "What Drupal ships still works as before, and the additions work as the spec says"
    extra = [general] if general else []
    if brief.behat:
        extra.append("The Behat steps in the analysis pass (`vendor/bin/behat`)")
    extra.append("`drush config:export` writes the configuration to config/sync, and it is committed")
    return tuple(extra)


def planned_acceptance(brief: TicketBrief) -> tuple[str, ...]:
    """Given/When/Then for a planner-made ticket or a removal."""
    label, machine = one_line(brief.label), one_line(brief.machine_name)
    scenario = {
        TicketKind.MODULES: ("Given a fresh checkout of the site", "When `composer install` and `drush deploy` run",
                             f"Then the {_n(len(brief.modules), 'module')} of this ticket are enabled"),
        TicketKind.LANGUAGES: ("Given an editor on an item of a bundle listed here", "When they open its Translate tab",
                               "Then they can add a translation in each of the site's languages"),
        TicketKind.SHARED_FIELD_STORAGES: ("Given the storages of this ticket exist",
                                           "When a bundle ticket adds one of these fields",
                                           "Then Drupal offers to re-use the existing field"),
        TicketKind.BEHAT_SETUP: ("Given the test set-up of this ticket", "When `vendor/bin/behat` runs",
                                 "Then the Drupal Spec Tool steps run against the site and report each result"),
        TicketKind.DEFERRED_FIELD: (f"Given an editor on the form of {follow_up_ends(brief)[0]}",
                                    f"When they fill in {label} with an item it may reference and save",
                                    "Then the reference is saved and shown"),
        TicketKind.MERGED_FAMILY: ("Given the items of this family are built",
                                   "When a site builder opens their admin overview",
                                   f"Then all {len(brief.members)} are listed with the spec's labels"),
        TicketKind.PROVIDED_CONFIG: ("Given the modules that ship these items are enabled",
                                     "When a site builder compares each item with its spec row",
                                     "Then each matches, adjusted where the spec differs, and none is created twice"),
    }.get(brief.kind)
    if brief.action is TicketAction.REMOVE:
        scenario = (f"Given {label} ({machine}) has been removed",
                    "When a site builder audits content and configuration",
                    f"Then nothing names {machine} any more and the site works without it")
    return ("\n".join(scenario),) if scenario else ()


def planned_sections(brief: TicketBrief) -> list[tuple[str, list[str]]]:
    """(heading, lines) sections of the analysis for a planner-made ticket or action."""
    kind, action = brief.kind, brief.action
    sections: list[tuple[str, list[str]]] = []
    if kind is TicketKind.MODULES:
        contrib = [m for m in brief.modules if m not in dk.CORE_MODULES]
        lines = [f"- {line}" for line in dk.describe_modules(brief.modules)]
        if contrib:
            lines.append("- `composer require " + " ".join(f"drupal/{m}" for m in contrib) + "`")
        lines.append("- `drush en -y " + " ".join(brief.modules) + "`")
        lines.append("- Every other ticket that needs one of these depends on this ticket and enables nothing itself.")
        sections.append((f"Modules ({len(brief.modules)})", lines))
    if kind is TicketKind.BEHAT_SETUP:
        sections.append(("Set-up", [
            "- `composer require --dev drupal/drupal-extension acquia/drupal-spec-tool`",
            "- behat.yml: the Drupal Extension with the drupal API driver, and the Spec Tool's contexts "
            "(ContentModelContext, MenuContext, ViewsContext, WorkflowContext, AccessControlContext)",
            "- Each ticket's Behat blocks go into the feature file of its sheet",
        ]))
    if kind is TicketKind.DEFERRED_FIELD:
        owner, targets = follow_up_ends(brief)
        sections.append(("Why a ticket of its own", [
            f"- {owner} and {' and '.join(targets) or 'its target'} reference each other (a dependency cycle): "
            f"{owner} is built first without this field, and this ticket adds it once both exist.",
        ]))
    if brief.members:
        lines = []
        for member in brief.members:
            shipped = f" — shipped by {member.provider}" if member.provider else ""
            lines.append(f"- {one_line(member.label)} ({one_line(member.key)}){shipped}")
        heading = {TicketKind.PROVIDED_CONFIG: "Confirm, and adjust where the spec differs",
                   TicketKind.LANGUAGES: "Make translatable",
                   TicketKind.SHARED_FIELD_STORAGES: "Storages to create once"}.get(kind, "Items")
        sections.append((f"{heading} ({len(brief.members)})", lines))
    if action is TicketAction.UPDATE:
        sections.append(("Changed since implemented (X = c): compare with the site and apply the difference", [
            f"- {one_line(r.file)} row {r.row} ({r.sheet.value}): {_row_name(r)}" for r in changed_rows(brief)
        ]))
    if action is TicketAction.REMOVE:
        steps = _REMOVAL_STEPS.get(kind, ("Remove what uses it, then delete it",))
        machine = one_line(brief.machine_name)
        sections.append(("Removal, in this order", [
            *(f"{n}. {step.format(m=machine)}" for n, step in enumerate(steps, start=1)),
            f"{len(steps) + 1}. `drush config:export`, and commit the deleted files",
        ]))
    if action is TicketAction.EXTEND and kind is TicketKind.VIEW:
        sections.append(("Displays to add (the others ship with the view)",
                         [f"- {one_line(d)}" for d in added_displays(brief)]))
    return sections


def modules_line(brief: TicketBrief) -> str:
    """The analysis's module heading: enabled by the modules ticket when there is one."""
    if any(d.key == _MODULES_KEY for d in brief.depends_on):
        return f"Modules it uses (added and enabled by ticket {_MODULES_KEY}; enable nothing here)"
    return "Modules to enable (composer require the contributed ones)"
