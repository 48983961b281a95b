"""The offline ticket writer: deterministic text made from the brief alone, no network (docs/design.md §7)."""

from __future__ import annotations

from integrations.behat import scoped_behat
from integrations.spec import drupal_knowledge as dk
from integrations.spec.drupal_knowledge import one_line
from integrations.spec.reader import SpecRow
from integrations.spec.rows import TicketRows
from integrations.spec.sheets import SheetKind
from integrations.tickets import SiteContext, TicketAction, TicketBrief, TicketContent, TicketKind
from integrations.writers import ticket_parts as parts
from integrations.writers.base import WriterHealth
from integrations.writers.template_analysis import build_analysis
from integrations.writers.template_planned import (
    PLANNED_KINDS,
    is_planned,
    planned_story,
    planned_title,
    planned_verification,
)

TITLE_MAX = 255
_LABEL_MAX = 100  # room for the rest of the title however long a hostile label is
_MACHINE_MAX = 64


class TemplateWriter:
    """Writes every ticket from the brief: same brief and site, byte-identical ticket."""

    name = "template"
    concurrency = 1  # pure CPU: threads would only contend for the GIL
    max_seconds_per_ticket = 5.0

    def health(self) -> WriterHealth:
        return WriterHealth(True, "the template writer works offline")

    def write(self, brief: TicketBrief, site: SiteContext) -> TicketContent:
        return TicketContent(
            title=ticket_title(brief),
            user_story=user_story(brief, site),
            analysis=build_analysis(brief, _intro(brief, site)),
            verification=verification(brief),
            writer=self.name,
            acceptance=parts.acceptance(brief),
            estimate=parts.estimate(brief),
            open_questions=parts.open_questions(brief),
        )


def ticket_title(brief: TicketBrief) -> str:
    """One line of at most 255 characters saying what gets built."""
    rows = TicketRows.split(brief.kind, brief.rows)
    label = f'"{_clip(one_line(brief.label), _LABEL_MAX)}"'
    named = f"{label} ({_clip(one_line(brief.machine_name), _MACHINE_MAX)})"
    exists = rows.own is None
    kind = brief.kind
    special = planned_title(brief, named) if is_planned(brief) else ""
    if special:
        return _clip(one_line(special), TITLE_MAX)
    if kind is TicketKind.BUNDLE:
        count = _fields_count(rows)
        title = f"Create {_type_name(brief)} {named}" + (f" with {_plural(count, 'field')}" if count else "")
    elif kind is TicketKind.EXISTING_BUNDLE_FIELDS:
        title = f"Add {_plural(_fields_count(rows), 'field')} to existing {_type_name(brief)} {label}"
    elif kind is TicketKind.VIEW:
        count = len(rows.of(SheetKind.VIEW_DISPLAYS))
        displays = _plural(count, "display")
        if exists:
            title = f"Add {displays} to existing view {named}"
        else:
            title = f"Create view {named}" + (f" with {displays}" if count else "")
    elif kind is TicketKind.IMAGE_STYLE:
        effects = _plural(len(rows.of(SheetKind.IMAGE_EFFECTS)), "effect")
        title = f"Add {effects} to existing image style {named}" if exists else f"Create image style {named}"
    elif kind is TicketKind.ROLE:
        count = len(rows.of(SheetKind.PERMISSIONS))
        if brief.machine_name == "administrator":
            title = f"Confirm core user role {named} as the administrator role (is_admin)"
        elif brief.machine_name in dk.CORE_ROLES:
            what = f"Grant {_plural(count, 'permission')} to" if count else "Confirm"
            title = f"{what} core user role {named}"
        elif exists:
            title = f"Grant {_plural(count, 'permission')} to user role {named}"
        else:
            title = f"Create user role {named}" + (f" and grant its {_plural(count, 'permission')}" if count else "")
    elif kind is TicketKind.WORKFLOW:
        states = _plural(len(rows.of(SheetKind.WORKFLOW_STATES)), "state")
        transitions = _plural(_transition_count(rows), "transition")
        verb = "Update existing" if exists else "Configure"
        title = f"{verb} workflow {named}: {states}, {transitions}"
    elif kind is TicketKind.MENU:
        title = f"Create menu {named}"
    elif kind is TicketKind.CUSTOM_ENTITY:
        title = f"Create custom entity type {named}"
    else:
        title = f"Build migration {named}" + (f" into {_destination(rows)}" if _destination(rows) else "")
        if exists:
            title = f"Add {_plural(len(rows.of(SheetKind.MIGRATION_MAPPINGS)), 'mapping')} to migration {named}"
    return _clip(one_line(title), TITLE_MAX)


def user_story(brief: TicketBrief, site: SiteContext) -> str:
    """'As a …, I want …, so that …', with the entity's description when the spec gives one."""
    rows = TicketRows.split(brief.kind, brief.rows)
    name = one_line(site.name) or "the site"
    label = f'"{one_line(brief.label)}"'
    kind = brief.kind
    if is_planned(brief):
        story = planned_story(brief, name)
    elif kind in (TicketKind.BUNDLE, TicketKind.EXISTING_BUNDLE_FIELDS):
        fields = [one_line(r.get("field_label")) for r in _fields(rows)]
        listed = _listing(fields)
        noun = "field" if len(fields) == 1 else "fields"
        entity_type = dk.entity_type_for(brief.entity_type_label, brief.key)
        purpose = {
            "node": f"I can publish {one_line(brief.label)} content on {name} in a consistent structure",
            "taxonomy_term": f"content on {name} can be categorised and found by {one_line(brief.label)}",
            "media": f"I can upload {one_line(brief.label)} media once and reuse it across {name}",
            "paragraph": f"I can build pages on {name} from reusable {one_line(brief.label)} components",
            "block_content": f"I can manage reusable {one_line(brief.label)} blocks on {name}",
        }.get(entity_type, f"{name} can hold {one_line(brief.label)} items as structured content")
        if kind is TicketKind.EXISTING_BUNDLE_FIELDS:
            want = f"the existing {_type_name(brief)} {label} to gain the {noun} {listed}"
        else:
            want = f"a {_type_name(brief)} {label}" + (f" with the {noun} {listed}" if fields else "")
        story = f"As a content editor, I want {want}, so that {purpose}."
    elif kind is TicketKind.VIEW:
        audience = _view_audience(rows)
        goal = {"site visitor": f"I can find what I need on {name}",
                "site administrator": f"I can find and manage items on {name} from one admin listing",
                "content editor": f"I can find and manage content on {name} from one listing",
                "site builder": f"other pages and fields on {name} can reuse its results"}[audience]
        story = f"As a {audience}, I want the view {label}, so that {goal}."
    elif kind is TicketKind.IMAGE_STYLE:
        story = (f"As a site builder, I want the image style {label}, so that images on {name} are shown at "
                 "a consistent size and weight.")
    elif kind is TicketKind.ROLE:
        if brief.machine_name == "administrator":
            story = (f"As a site owner, I want the Administrator role confirmed as the admin role, so that the "
                     f"people who run {name} can change anything and no permission has to be kept in step by hand.")
        elif brief.machine_name == "anonymous":
            story = (f"As a site visitor who is not logged in, I want to see what {name} makes public, and nothing "
                     "else, so that I can use the site without an account.")
        else:
            story = (f"As a site administrator, I want the user role {label} with exactly the permissions the spec "
                     f"grants it, so that people with this role can do their work on {name} and nothing more.")
    elif kind is TicketKind.WORKFLOW:
        flags = parts.state_flags(rows)
        if any(f.published for f in flags) and any(not f.published for f in flags):
            purpose = "moves through review before it is published"
        else:
            purpose = "moves through the states " + ", ".join(f.label for f in flags) if flags else "has set states"
        story = (f"As a content editor, I want the workflow {label}, so that content on {name} {purpose}, and "
                 "each step is taken only by someone allowed to.")
    elif kind is TicketKind.MENU:
        audience = "site administrator" if brief.machine_name in ("admin", "tools", "account") else "site visitor"
        story = f"As a {audience}, I want the menu {label}, so that I can find my way around {name}."
    elif kind is TicketKind.CUSTOM_ENTITY:
        story = (f"As a site builder, I want the custom entity type {label}, so that {name} can store "
                 f"{one_line(brief.label)} records as structured data.")
    else:
        source = one_line(rows.own_value("source"))
        origin = f" from {_clip(source, _LABEL_MAX)}" if source else ""
        destination = _destination(rows) or "its destination"
        story = (f"As a migration lead, I want the migration {label} to import{origin} into {destination}, "
                 f"so that existing content reaches {name} without being typed in again.")
    description = one_line(rows.own_value("description"))
    if description:
        story += f" The spec describes it as: {_sentence(description)}"
    if site.description.strip():
        story += f" It serves {name}: {_sentence(one_line(site.description))}"
    return story


def verification(brief: TicketBrief) -> tuple[str, ...]:
    """The brief's checks unchanged and in order, then the checks every ticket of its kind needs."""
    machine = one_line(brief.machine_name)
    label = one_line(brief.label)
    if brief.kind in PLANNED_KINDS or brief.action is TicketAction.REMOVE:
        return (*brief.checks, *planned_verification(brief))
    generic = {
        TicketKind.BUNDLE: (f"An editor can create, save and edit {label} items with every required field "
                            "filled in, and saving with a required field empty is refused"),
        TicketKind.EXISTING_BUNDLE_FIELDS: (f"Existing {label} items still save, and the new fields show on "
                                            "the edit form"),
        TicketKind.VIEW: ("Each display shows the expected items to a user allowed to see it (pages at their "
                          "path, blocks once placed)"),
        TicketKind.IMAGE_STYLE: (f"The preview at /admin/config/media/image-styles/manage/{machine} shows the "
                                 "expected result, and a derivative is generated for an uploaded image"),
        TicketKind.ROLE: (f"A test user with only this role (`drush user:create qa_{machine}` then "
                          f"`drush user:role:add {machine} qa_{machine}`) can do what its permissions allow "
                          "and is refused everything else"),
        TicketKind.WORKFLOW: ("A user with the transition permissions can move a moderated item through every "
                              "transition, and a user without them cannot"),
        TicketKind.MENU: "The menu is listed at /admin/structure/menu and its block can be placed",
        TicketKind.CUSTOM_ENTITY: ("`drush updatedb` reports no pending entity updates, and an item can be "
                                   "added, edited and deleted"),
        TicketKind.MIGRATION: (f"Running `drush migrate:import {machine} --update` a second time updates the "
                               "items without creating duplicates"),
    }[brief.kind]
    if brief.kind is TicketKind.ROLE and brief.machine_name in ("anonymous", "authenticated"):
        generic = ("Logged out (anonymous) or as a plain account with no other role (authenticated) — these roles "
                   "cannot be assigned — the permissions of the table work and nothing else does")
    if brief.kind is TicketKind.ROLE and brief.machine_name == "administrator":
        generic = "An account with the Administrator role can open every page under /admin"
    extra = [*parts.moved_checks(brief), generic]
    if is_planned(brief):  # Update or Extend of an ordinary kind
        extra.extend(planned_verification(brief)[:1])
    if scoped_behat(brief.behat):
        extra.append("The Behat scenario of this ticket passes (`vendor/bin/behat --tags=@ticket`)")
    extra.append(
        "`drush config:export` writes the new configuration to config/sync, it is committed, and a second "
        "`drush config:export` finds no differences"
    )
    return (*brief.checks, *extra)


# --- helpers -------------------------------------------------------------------------------------------


def _intro(brief: TicketBrief, site: SiteContext) -> str:
    text = f"Implement on {one_line(site.name) or 'the site'}: {ticket_title(brief)}."
    if brief.position:
        text += f" Group {brief.group.value}, number {brief.position} in build order."
    if site.description:
        text += f" Site: {_sentence(one_line(site.description))}"
    return text


def _fields(rows: TicketRows) -> list[SpecRow]:
    return [r for r in rows.of(SheetKind.FIELDS) if not dk.is_field_group(r.get("field_type"), r.get("machine_name"))]


def _fields_count(rows: TicketRows) -> int:
    return len(_fields(rows))


def _transition_count(rows: TicketRows) -> int:
    return len({r.get("machine_name") or r.get("name") for r in rows.of(SheetKind.WORKFLOW_TRANSITIONS)})


def _destination(rows: TicketRows) -> str:
    bundle = one_line(rows.own_value("destination_bundle"))
    entity_type = one_line(rows.own_value("destination_entity_type"))
    if bundle and entity_type:
        return f"{_clip(bundle, _LABEL_MAX)} ({_clip(entity_type, _LABEL_MAX)})"
    return _clip(bundle or entity_type, _LABEL_MAX)


_ADMIN_BASE_TABLES = ("log entries", "users", "files", "user", "file", "watchdog")


def _view_audience(rows: TicketRows) -> str:
    """Admin listings are for administrators or editors; entity-reference displays serve other config."""
    displays = rows.of(SheetKind.VIEW_DISPLAYS)
    paths = [r.get("path").lstrip("/") for r in displays] + [p.lstrip("/") for p in parts.view_facts(rows).paths]
    text = " ".join([rows.own_value("description"), rows.own_value("name"), rows.own_value("machine_name")]).lower()
    if rows.own_value("base_table").strip().lower() in _ADMIN_BASE_TABLES or "admin" in text:
        return "site administrator"
    if any(p.startswith("admin") for p in paths) or any(w in text for w in ("moderation", "editor", "dashboard")):
        return "content editor"
    plugins = {r.get("display_plugin").strip().lower() for r in displays}
    if plugins & {"page", "block", "feed", "attachment"}:
        return "site visitor"
    return "site builder"


def _type_name(brief: TicketBrief) -> str:
    return dk.lower_first(_clip(one_line(brief.entity_type_label), _LABEL_MAX)) or "bundle"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listing(items: list[str], shown: int = 6) -> str:
    if len(items) <= shown:
        return ", ".join(items)
    return ", ".join(items[:shown]) + f" and {len(items) - shown} more"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
