"""The code-made parts of every ticket, whichever writer writes the prose (docs/design.md §7).

Spec notes verbatim, what recognisable notes mean, Given/When/Then acceptance criteria, the estimate,
open questions for the product owner, gotchas the tables imply, and the checks that belong to this
ticket because only it can make them pass. All pure functions of the brief: the same brief gives the
same parts, byte for byte, and a model may add to them but never change them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrations.spec import drupal_knowledge as dk
from integrations.spec.drupal_knowledge import one_line
from integrations.spec.provided import STANDARD_BUNDLES
from integrations.spec.reader import SpecRow
from integrations.spec.rows import TicketRows
from integrations.spec.sheets import SheetKind
from integrations.tickets import Estimate, TicketAction, TicketBrief, TicketKind
from integrations.writers.migration_yaml import file_fields, skips_drafts, source_plugin
from integrations.writers.permissions import PermissionName, permission_name
from integrations.writers.template_planned import PLANNED_KINDS, planned_acceptance

# Free-text columns, with the title a reader knows them by.
NOTE_COLUMNS = (("notes", "Notes"), ("settings", "Settings/notes"), ("description", "Description"))

# --- spec notes ------------------------------------------------------------------------------------------


def spec_notes(brief: TicketBrief) -> list[str]:
    """Every non-empty note of the ticket's rows, verbatim (folded onto one line), with where it is from."""
    notes = []
    for row in brief.rows:
        if row.status == "d" and brief.action is not TicketAction.REMOVE:  # a removal's own row says why
            continue
        for column, title in NOTE_COLUMNS:
            if row.get(column).strip():
                notes.append(f"{row.file} row {row.row}, {title}: {one_line(row.get(column))}")
        for header, value in row.extras.items():
            if value.strip() and row.sheet is not SheetKind.PERMISSIONS:  # the grid's extras are role columns
                notes.append(f"{row.file} row {row.row}, {one_line(header)}: {one_line(value)}")
    return notes


def _texts(rows: TicketRows) -> list[str]:
    found: list[str] = []
    for row in ([rows.own] if rows.own else []) + list(rows.children):
        found.extend(row.get(column) for column, _ in NOTE_COLUMNS if row.get(column))
        found.extend(v for v in row.extras.values() if v)
    return found


# --- what notes say ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewFacts:
    paths: tuple[str, ...] = ()
    exposed_filters: tuple[str, ...] = ()
    contextual_filters: tuple[str, ...] = ()
    sort: str = ""
    items_per_page: str = ""
    pager: str = ""
    access: str = ""
    empty: str = ""


_PATH = re.compile(r"\bpath\s*:?\s*(/[^\s,;]*)", re.I)
_EXPOSED = re.compile(r"exposed filters?\s*:?\s*([^.;\n]+)", re.I)
_CONTEXTUAL = re.compile(r"contextual filters?\s*:?\s*([^.;\n]+)", re.I)
_SORT = re.compile(r"\bsort(?:ed)?(?:\s+by)?\s*:?\s*([^.;\n]+)", re.I)
_PER_PAGE = re.compile(r"(\d+)\s+(?:items?|results?|rows?)\s+(?:per|a)\s+page|items per page\s*:?\s*(\d+)", re.I)
_PAGER = re.compile(r"\bpager\s*:?\s*([^.;\n]+)", re.I)
_ACCESS = re.compile(r"\baccess(?:ible)?(?:\s+(?:by|for|to))?\s*:\s*([^.;\n]+)", re.I)
_EMPTY = re.compile(r"\bempty(?:\s+(?:text|state|result|results))?\s*:\s*([^.;\n]+)", re.I)
_COUNT = re.compile(r"\b(?:about|around|roughly|approximately|~)\s*(\d[\d,]*)", re.I)
_FORMAT_NOTE = re.compile(r"\bformat\s+(?:becomes|is|to|=|:)?\s*([a-z][a-z0-9_]*)", re.I)


def view_facts(rows: TicketRows) -> ViewFacts:
    texts = _texts(rows)
    joined = "\n".join(texts)

    def first(pattern: re.Pattern[str]) -> str:
        found = pattern.search(joined)
        return one_line(found.group(1)).rstrip(".") if found else ""

    def listing(pattern: re.Pattern[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item for m in pattern.finditer(joined) for item in dk.split_list(m.group(1))))

    paths = [one_line(r.get("path")) for r in rows.of(SheetKind.VIEW_DISPLAYS) if r.get("path")]
    paths += [m.group(1) for m in _PATH.finditer(joined)]
    per_page = _PER_PAGE.search(joined)
    return ViewFacts(
        paths=tuple(dict.fromkeys(paths)),
        exposed_filters=listing(_EXPOSED),
        contextual_filters=listing(_CONTEXTUAL),
        sort=first(_SORT),
        items_per_page=(per_page.group(1) or per_page.group(2)) if per_page else "",
        pager=first(_PAGER),
        access=first(_ACCESS),
        empty=first(_EMPTY),
    )


def view_lines(facts: ViewFacts) -> list[str]:
    """The analysis lines for what the notes decide about a view."""
    lines = [f"- Path: {path}" for path in facts.paths]
    if facts.exposed_filters:
        lines.append(f"- Exposed filters: {', '.join(facts.exposed_filters)} (Filter criteria → Expose)")
    if facts.contextual_filters:
        lines.append(f"- Contextual filters: {', '.join(facts.contextual_filters)} (Advanced → Contextual filters; "
                     "say what happens when the value is missing)")
    for title, value in (("Sort", facts.sort), ("Items per page", facts.items_per_page), ("Pager", facts.pager),
                         ("Access", facts.access), ("No results text", facts.empty)):
        if value:
            lines.append(f"- {title}: {value}")
    return lines


def migration_count(rows: TicketRows) -> str:
    found = _COUNT.search("\n".join(_texts(rows)))
    return found.group(1).replace(",", "") if found else ""


# --- workflow states ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateFlags:
    label: str
    machine_name: str
    published: bool
    default_revision: bool
    default: bool


def state_flags(rows: TicketRows) -> list[StateFlags]:
    """Each state's published and default-revision flags, as content moderation sets them, and the default."""
    states = rows.of(SheetKind.WORKFLOW_STATES)
    if not states:
        return []
    marked = [r for r in states if re.search(r"\bdefault state\b", r.get("notes") + r.get("description"), re.I)]
    drafts = [r for r in states if r.get("machine_name") == "draft"]
    default = (marked or drafts or states)[0]
    flags = []
    for row in states:
        machine = row.get("machine_name").lower()
        published = bool(re.search(r"publish", machine)) and not re.search(r"unpublish", machine)
        kept = published or bool(re.search(r"archiv|unpublish|retire", machine))
        flags.append(StateFlags(one_line(row.get("name")), one_line(row.get("machine_name")), published, kept,
                                row is default))
    return flags


def is_content_moderation(rows: TicketRows) -> bool:
    return "moderation" in rows.own_value("type").lower() or not rows.own_value("type")


# --- permissions ---------------------------------------------------------------------------------------------


def role_permissions(brief: TicketBrief) -> list[tuple[str, PermissionName]]:
    """(provider, permission name) for each permission the grid grants this role, in grid order."""
    rows = TicketRows.split(brief.kind, brief.rows)
    bundles: dict[str, str] = dict(STANDARD_BUNDLES)
    workflows: dict[str, str] = {}
    for dep in brief.depends_on:
        machine = dep.key.rsplit(".", 1)[-1]
        (workflows if dep.key.startswith("workflows.workflow.") else bundles)[dep.label.lower()] = machine
    return [
        (one_line(row.get("provider")), permission_name(row.get("permission"), row.get("provider"), bundles,
                                                        workflows))
        for row in rows.of(SheetKind.PERMISSIONS)
    ]


# --- gotchas --------------------------------------------------------------------------------------------------


def gotchas(brief: TicketBrief) -> list[str]:
    """Drupal pitfalls the rows already imply."""
    rows = TicketRows.split(brief.kind, brief.rows)
    found: list[str] = []
    fields = [r for r in rows.of(SheetKind.FIELDS) if not dk.is_field_group(r.get("field_type"), r.get("machine_name"))]
    for row in fields:
        field_type, widget = row.get("field_type").lower(), row.get("form_widget").lower()
        name = one_line(row.get("machine_name"))
        if "entity reference revisions" in field_type and dk.flag(row.get("translatable"), "Translatable"):
            found.append(f"{name} is an Entity reference revisions (Paragraphs) field marked translatable: Paragraphs "
                         "wants the host field untranslatable and the paragraphs' own fields translatable; "
                         "confirm with the product owner before enabling translation on it.")
        if "focal point" in widget:
            found.append(f"{name} uses the Image (Focal Point) widget: image styles that crop need the Focal Point "
                         "effects, and the widget must stay on this field's form display.")
        if "crop" in widget and "focal" not in widget:
            found.append(f"{name} uses ImageWidget Crop: it needs a crop type (Crop API, /admin/config/media/crop) "
                         "and the widget's settings must name it.")
        if name == "layout_builder__layout" or "layout section" in field_type:
            found.append(f"{name} is made by Drupal when Layout Builder overrides are allowed on the default display "
                         "(\"Allow each content item to have its layout customized\"): do not add it by hand.")
    value = rows.own_value
    if dk.is_yes(value("scheduled")) and dk.is_yes(value("moderated")):
        found.append("Scheduler on a moderated bundle needs the Scheduler Content Moderation Integration module "
                     "(scheduler_content_moderation_integration), or scheduled publishing bypasses the workflow.")
    if brief.kind is TicketKind.IMAGE_STYLE:
        for row in rows.of(SheetKind.IMAGE_EFFECTS):
            effect = row.get("effect").lower()
            if "manual crop" in effect:
                found.append("The Manual crop effect needs a crop type (Crop API) named in its settings: "
                             + (f"the spec says {one_line(row.get('summary'))}." if row.get("summary") else
                                "the spec does not name it."))
            if "focal point" in effect:
                found.append("Focal Point effects only help when the image field uses the Image (Focal Point) widget.")
    return found


# --- checks that only this ticket can make pass --------------------------------------------------------------


def moved_checks(brief: TicketBrief) -> list[str]:
    """Checks that belong here because this ticket is the one that makes them true."""
    rows = TicketRows.split(brief.kind, brief.rows)
    checks: list[str] = []
    if brief.kind is TicketKind.WORKFLOW and not rows.own_value("bundles"):
        bundles = [d.label for d in brief.depends_on if not d.key.startswith("workflows.")]
        if bundles:
            checks.append(f"Content moderation applies to {', '.join(bundles)}: the workflow lists them under "
                          "\"This workflow applies to\"")
    if brief.kind is TicketKind.WORKFLOW:
        flags = state_flags(rows)
        default = next((f for f in flags if f.default), None)
        if default:
            checks.append(f"A new item starts in the {default.label} state")
    if brief.kind is TicketKind.ROLE and brief.machine_name == "administrator":
        checks.append("`drush config:get user.role.administrator is_admin` prints true (the role has every "
                      "permission; none is granted one by one)")
    if brief.kind is TicketKind.VIEW:
        facts = view_facts(rows)
        if facts.exposed_filters:
            checks.append(f"The page shows the exposed filters {', '.join(facts.exposed_filters)}, and choosing a "
                          "value narrows the results")
        if facts.contextual_filters:
            checks.append(f"The contextual filter {', '.join(facts.contextual_filters)} limits the results to the "
                          "value given")
        if facts.items_per_page:
            checks.append(f"A page lists at most {facts.items_per_page} items, with a pager when there are more")
    if brief.kind is TicketKind.MIGRATION:
        count = migration_count(rows)
        name = one_line(brief.machine_name)
        if count:
            checks.append(f"`drush migrate:status {name}` shows about {count} items imported (the spec's figure)")
        if skips_drafts(_texts(rows)):
            checks.append("No draft (unpublished) source item is imported: the spec says drafts are not migrated")
        bundle = one_line(rows.own_value("destination_bundle"))
        if bundle:
            checks.append(f"The {bundle} items come from this migration: `drush migrate:status {name}` lists it "
                          f"with its destination {bundle}")
    return checks


# --- acceptance criteria ------------------------------------------------------------------------------------


def acceptance(brief: TicketBrief) -> tuple[str, ...]:
    """Given/When/Then scenarios made from the rows; a model may add more, never remove these."""
    if brief.kind in PLANNED_KINDS or brief.action is TicketAction.REMOVE:
        return planned_acceptance(brief)
    rows = TicketRows.split(brief.kind, brief.rows)
    label = one_line(brief.label)
    kind = brief.kind
    out: list[str] = []
    if kind in (TicketKind.BUNDLE, TicketKind.EXISTING_BUNDLE_FIELDS):
        fields = [r for r in rows.of(SheetKind.FIELDS)
                  if not dk.is_field_group(r.get("field_type"), r.get("machine_name"))]
        required = [one_line(r.get("field_label")) for r in fields if dk.flag(r.get("required"), "Required")]
        if fields:
            out.append(f"Given an editor on the {'edit' if kind is TicketKind.EXISTING_BUNDLE_FIELDS else 'add'} "
                       f"form of {label}\nWhen they fill in every field of the field table and save\n"
                       "Then the item is saved and shows each value as entered")
        else:
            out.append(f"Given an editor allowed to add {label} items\nWhen they add one with only its name or title\n"
                       "Then it is saved and listed with the other items of its type")
        if required:
            out.append(f"Given an editor on the add form of {label}\nWhen they save with {required[0]} empty\n"
                       f"Then the save is refused with a message that {required[0]} is required")
        for row in fields:
            values = dk.cardinality(row.get("cardinality"))
            if values not in ("1", "Unlimited") and values.isdigit():
                out.append(f"Given an editor filling in {one_line(row.get('field_label'))} on {label}\n"
                           f"When they have entered {values} values\nThen the form offers no further value")
                break
        pattern = one_line(rows.own_value("url_alias_pattern"))
        if pattern:
            example = _alias_example(pattern, label)
            out.append(f"Given a new {label} item titled \"Sample {label}\"\nWhen it is saved\n"
                       f"Then its URL alias follows {pattern}, for example {example}")
    elif kind is TicketKind.VIEW:
        facts = view_facts(rows)
        for path in facts.paths[:2]:
            out.append(f"Given published items the view lists\nWhen a visitor opens {path}\n"
                       f"Then the {label} listing shows them" + (f", sorted by {facts.sort}" if facts.sort else ""))
        if facts.exposed_filters:
            out.append(f"Given the {label} page\nWhen the {facts.exposed_filters[0]} filter is set\n"
                       "Then only matching items are listed")
        out.append(f"Given no item matches\nWhen the {label} display is shown\n"
                   "Then " + (f"it says \"{facts.empty}\"" if facts.empty else "it shows the no-results text the "
                              "product owner chose (see the open questions)"))
    elif kind is TicketKind.WORKFLOW:
        states = {f.machine_name: f for f in state_flags(rows)}
        labels = {f.label: f for f in states.values()}
        grouped: dict[str, list[SpecRow]] = {}
        for row in rows.of(SheetKind.WORKFLOW_TRANSITIONS):
            grouped.setdefault(row.get("machine_name") or row.get("name"), []).append(row)
        workflow = one_line(brief.machine_name)
        for machine, group in grouped.items():
            source = one_line(group[0].get("from_state"))
            target = one_line(group[0].get("to_state"))
            flags = states.get(target) or labels.get(target)
            published = " and the item is published" if flags and flags.published else ""
            out.append(f"Given an item in the {source} state and a user with \"use {workflow} transition "
                       f"{one_line(machine)}\"\nWhen they choose {one_line(group[0].get('name'))}\n"
                       f"Then the item is in the {target} state{published}; a user without the permission is not "
                       "offered it")
    elif kind is TicketKind.ROLE:
        machine = one_line(brief.machine_name)
        permissions = role_permissions(brief)
        account = _test_account(machine)
        if machine == "administrator":
            out.append(f"Given {account}\nWhen they open /admin/people/permissions\nThen they may change any "
                       "permission, as is_admin gives every permission")
        for _provider, name in _representative(permissions):
            verb = _action(name.machine_name)
            if verb:
                out.append(f"Given {account}\nWhen they {verb}\nThen it is allowed")
        if machine != "administrator" and not _representative(permissions):
            out.append(f"Given {account}\nWhen they use what the permissions table grants\nThen it is allowed")
        denied = _denied_example(machine, {n.machine_name for _, n in permissions})
        if denied:
            out.append(f"Given {account}\nWhen they {denied[1]}\nThen access is denied (403): the role does not have "
                       f"\"{denied[0]}\"")
    elif kind is TicketKind.MIGRATION:
        migration = one_line(brief.machine_name)
        count = migration_count(rows)
        mappings = rows.of(SheetKind.MIGRATION_MAPPINGS)
        sample = next((r for r in mappings if r.get("source_field")), None)
        out.append(f"Given the source data\nWhen `drush migrate:import {migration}` runs\n"
                   f"Then {('about ' + count) if count else 'every source'} item{'s are' if count else ' is'} "
                   "imported with no failed items")
        if sample:
            out.append(f"Given a sample source record\nWhen it has been imported\nThen its "
                       f"{one_line(sample.get('source_field'))} is in {one_line(sample.get('destination_field'))} "
                       "of the new item")
        out.append(f"Given an import\nWhen `drush migrate:rollback {migration}` runs\n"
                   "Then every imported item is removed")
    elif kind is TicketKind.IMAGE_STYLE:
        out.append(f"Given an uploaded image\nWhen it is shown with the {label} style\n"
                   "Then the derivative has the size and crop the effects give")
    elif kind is TicketKind.MENU:
        out.append(f"Given the {label} menu with a link\nWhen its block is placed\nThen the link shows in that region")
    elif kind is TicketKind.CUSTOM_ENTITY:
        out.append(f"Given a user allowed to manage {label} items\nWhen they add one\nThen it is saved and listed")
    return tuple(out)


def _alias_example(pattern: str, label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"sample {label}".lower()).strip("-")
    example = re.sub(r"\[[a-z_]+:title\]", slug, pattern)
    example = re.sub(r"\[[^\]]*date[^\]]*\]", "2026", example)
    return re.sub(r"\[[^\]]+\]", "value", example)


def _test_account(machine: str) -> str:
    if machine == "anonymous":
        return "a visitor who is logged out"
    if machine == "authenticated":
        return "a plain account with no other role (`drush user:create qa_plain`)"
    return f"a test account with only the role {machine} (`drush user:create qa_{machine}` then " \
           f"`drush user:role:add {machine} qa_{machine}`)"


def _representative(permissions: list[tuple[str, PermissionName]]) -> list[tuple[str, PermissionName]]:
    """A few permissions a tester can try by hand: one per verb, at most three."""
    chosen: dict[str, tuple[str, PermissionName]] = {}
    for provider, name in permissions:
        verb = name.machine_name.split(" ", 1)[0]
        if _action(name.machine_name) and verb not in chosen:
            chosen[verb] = (provider, name)
    return list(chosen.values())[:3]


def _action(machine: str) -> str:
    found = re.match(r"^(create|edit any|edit own|delete any|delete own) (\w+) content$", machine)
    if found:
        what = {"create": "add a {b} item", "edit any": "edit someone else's {b} item",
                "edit own": "edit their own {b} item", "delete any": "delete someone else's {b} item",
                "delete own": "delete their own {b} item"}[found.group(1)]
        return what.format(b=found.group(2)) + f" at /node/add/{found.group(2)}" * (found.group(1) == "create")
    if machine == "access content":
        return "open a published item"
    if machine == "access toolbar":
        return "look at the top of an admin page and see the toolbar"
    if machine.startswith("use ") and " transition " in machine:
        return f"use the transition {machine.rsplit(' ', 1)[-1]} on a moderated item"
    return ""


def _denied_example(machine: str, granted: set[str]) -> tuple[str, str] | None:
    if machine == "administrator":
        return None
    for permission, attempt in (("administer site configuration", "open /admin/config/system/site-information"),
                                ("administer users", "open /admin/people"),
                                ("administer content types", "open /admin/structure/types")):
        if permission not in granted:
            return permission, attempt
    return None


# --- open questions -----------------------------------------------------------------------------------------


def open_questions(brief: TicketBrief) -> tuple[str, ...]:
    """What the spec leaves undecided, as questions for the product owner."""
    rows = TicketRows.split(brief.kind, brief.rows)
    out: list[str] = []
    kind = brief.kind
    for row in rows.of(SheetKind.FIELDS):
        field_type = row.get("field_type").lower()
        if "reference" in field_type and not row.get("ref_bundle").strip():
            out.append(f"Which bundles may {one_line(row.get('field_label'))} "
                       f"({one_line(row.get('machine_name'))}) reference? The spec gives no Ref. bundle.")
        if field_type.startswith("list") and not row.get("settings").strip():
            out.append(f"What are the allowed values of {one_line(row.get('field_label'))}?")
    if kind is TicketKind.BUNDLE and dk.entity_type_for(brief.entity_type_label, brief.key) == "media" \
            and not rows.own_value("settings"):
        out.append(f"Which media source does {one_line(brief.label)} use (Image, File, Remote video, …)?")
    if kind is TicketKind.CUSTOM_ENTITY:
        out.append(f"Should {one_line(brief.label)} be an ECK entity type (site building) or a custom module "
                   "(code, more control)? The spec does not say.")
    if kind is TicketKind.WORKFLOW:
        flags = state_flags(rows)
        if is_content_moderation(rows) and flags and not any(f.published for f in flags):
            out.append("Which state publishes content? The content-moderation workflow has no published state, "
                       "so nothing it moderates can go live.")
        if not rows.own_value("bundles") and not brief.depends_on:
            out.append("Which bundles does this workflow apply to?")
    if kind is TicketKind.VIEW:
        facts = view_facts(rows)
        if not facts.empty:
            out.append(f"What should {one_line(brief.label)} show when nothing matches?")
        if any(r.get("display_plugin").lower() == "page" for r in rows.of(SheetKind.VIEW_DISPLAYS)) \
                and not facts.paths:
            out.append(f"At which path does the page display of {one_line(brief.label)} live?")
    if kind is TicketKind.MIGRATION:
        if source_plugin(rows.own_value("source")) == "TODO":
            out.append("Where does the source data come from (database, CSV, JSON API), and how is it reached?")
        files = file_fields(rows.of(SheetKind.MIGRATION_MAPPINGS))
        if files:
            out.append(f"Where are the files for {', '.join(files)}? A file migration must run before this one.")
    if kind is TicketKind.ROLE:
        guessed = [n.title for _, n in role_permissions(brief) if not n.certain]
        if guessed and brief.machine_name != "administrator":
            out.append("Confirm the machine names of " + ", ".join(f'"{g}"' for g in guessed[:5])
                       + (f" and {len(guessed) - 5} more" if len(guessed) > 5 else "")
                       + ": they are read from the titles.")
    return tuple(dict.fromkeys(out))


# --- estimate -------------------------------------------------------------------------------------------------

_CUSTOM_FIELD_WORDS = ("custom", "computed", "plugin")


_MEMBER_WEIGHTS: dict[TicketKind, tuple[str, float]] = {
    TicketKind.SHARED_FIELD_STORAGES: ("field storage", 0.3),
    TicketKind.LANGUAGES: ("bundle to translate", 0.2),
    TicketKind.MERGED_FAMILY: ("item", 0.3),
    TicketKind.PROVIDED_CONFIG: ("item to confirm", 0.2),
}


def estimate(brief: TicketBrief) -> Estimate:
    """A T-shirt size from what the ticket holds, with the reason in words."""
    rows = TicketRows.split(brief.kind, brief.rows)
    score = 1.0
    reasons: list[str] = []

    def add(count: int, noun: str, weight: float) -> None:
        nonlocal score
        if count:
            score += count * weight
            head, _, tail = noun.partition(" left ")  # "2 decisions left open", not "2 decision left opens"
            reasons.append(f"{count} {head}{'' if count == 1 else 's'}" + (f" left {tail}" if tail else ""))

    fields = [r for r in rows.of(SheetKind.FIELDS) if not dk.is_field_group(r.get("field_type"), r.get("machine_name"))]
    add(len(fields), "field", 0.5)
    contrib = {m for r in fields for m in dk.field_modules(r.get("field_type"), r.get("form_widget"),
                                                            r.get("ref_bundle")) if m not in dk.CORE_MODULES}
    add(len(contrib), "contributed module", 1.0)
    add(len(rows.of(SheetKind.VIEW_DISPLAYS)), "display", 1.0)
    add(len(rows.of(SheetKind.IMAGE_EFFECTS)), "effect", 0.3)
    add(len(rows.of(SheetKind.WORKFLOW_STATES)), "state", 0.3)
    add(len({r.get("machine_name") or r.get("name") for r in rows.of(SheetKind.WORKFLOW_TRANSITIONS)}),
        "transition", 0.3)
    if brief.machine_name != "administrator":
        add(len(rows.of(SheetKind.PERMISSIONS)), "permission", 0.15)
    mappings = rows.of(SheetKind.MIGRATION_MAPPINGS)
    add(len(mappings), "mapping", 0.6)
    custom = [r for r in mappings if r.get("process").lower().startswith("callback")]
    add(len(custom), "custom process step", 2.0)
    if brief.kind is TicketKind.MIGRATION:
        score += 2
        reasons.append("a migration to write and run")
    if brief.kind is TicketKind.CUSTOM_ENTITY:
        score += 4
        reasons.append("a custom entity type")
    view = view_facts(rows) if brief.kind is TicketKind.VIEW else None
    if view:
        add(len(view.exposed_filters) + len(view.contextual_filters), "filter", 0.5)
    # Tickets of many items: each member is work of its own (51 shared storages are not "a small change").
    per_member = _MEMBER_WEIGHTS.get(brief.kind)
    if per_member:
        add(len(brief.members), *per_member)
    if brief.kind is TicketKind.MODULES:
        add(len([m for m in brief.modules if m not in dk.CORE_MODULES]), "contributed module", 0.3)
    add(len(open_questions(brief)), "decision left open", 1.0)
    add(len(gotchas(brief)), "gotcha", 0.5)
    size = "XS" if score < 2.5 else "S" if score < 5 else "M" if score < 9 else "L" if score < 15 else "XL"
    return Estimate(size, ", ".join(reasons) or "a small configuration change")
