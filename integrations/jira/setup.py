"""What a Jira project offers for ticketbot's issues, and the preflight that says what is missing.

`read_setup` discovers the issue types, their create screens (createmeta per project and issue type,
paged), the epic fields and the configured defaults; `preflight` adds the account, permission and link
type checks. Every problem is a sentence a Slack user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.categories import Category
from integrations.jira.errors import (
    ADMIN_REQUIRED,
    USER_FIXABLE,
    JiraAdminRequired,
    JiraNotFound,
)
from integrations.jira.transport import JiraTransport

EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-label"
# Jira Software's story-points type (Cloud's "Story point estimate", team-managed and company-managed);
# Server/DC and older Cloud sites use a number field named "Story Points".
STORY_POINTS_SCHEMA = "com.pyxis.greenhopper.jira:jsw-story-points"
STORY_POINTS_NAMES = frozenset({"story points", "story point estimate"})
MAX_PAGES = 20  # createmeta pages of 50 fields: no real screen has 1,000 fields
# Fields ticketbot sets itself on every issue (the epic fields are added by mode).
OWN_FIELDS = frozenset({"project", "issuetype", "summary", "description", "labels"})
NEEDED_PERMISSIONS = ("BROWSE_PROJECTS", "CREATE_ISSUES", "LINK_ISSUES")


@dataclass(frozen=True)
class JiraOptions:
    """What to create where: docs/design.md §3's JIRA_* settings other than the URL and credentials."""

    project: str
    issue_type: str = "Story"
    epic_type: str = "Epic"
    epics: str = ""  # parent | epic-link | none; empty: parent on Cloud, epic-link on Server/DC
    link_type: str = "Blocks"
    field_defaults: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldMeta:
    id: str
    name: str
    required: bool
    has_default: bool
    custom_type: str = ""  # schema.custom of a custom field, e.g. EPIC_LINK_SCHEMA
    value_type: str = ""  # schema.type, e.g. "number"


@dataclass(frozen=True)
class IssueTypeMeta:
    id: str
    name: str
    fields: Mapping[str, FieldMeta]  # the create screen, by field id


@dataclass(frozen=True)
class ProjectSetup:
    deployment: str  # "Cloud" or "Server" (Data Center says Server too)
    project: str
    issue_type: IssueTypeMeta
    epic_type: IssueTypeMeta | None  # None when epics are off
    epic_mode: str  # parent | epic-link | none
    epic_link_field: str | None  # Server/DC: the Epic Link custom field's id
    epic_name_field: str | None  # the Epic Name field, when the epic create screen has one
    field_defaults: Mapping[str, object]  # JIRA_FIELD_DEFAULTS by field id
    link_type: str
    story_points_field: str | None = None  # the story create screen's story-points field, when it has one


@dataclass(frozen=True)
class PreflightProblem:
    message: str
    category: str = ADMIN_REQUIRED
    blocking: bool = True


@dataclass(frozen=True)
class PreflightResult:
    deployment: str
    project: str
    problems: tuple[PreflightProblem, ...] = ()
    setup: ProjectSetup | None = None

    @property
    def ok(self) -> bool:
        return not any(p.blocking for p in self.problems)

    @property
    def category(self) -> Category:
        """The most serious category among the blocking problems (admin_required wins)."""
        blocking = [p.category for p in self.problems if p.blocking]
        return ADMIN_REQUIRED if ADMIN_REQUIRED in blocking or not blocking else Category(blocking[0])

    def describe(self) -> str:
        if not self.problems:
            return f"Jira project {self.project} is ready ({self.deployment})."
        return "\n".join(f"{'•' if p.blocking else '◦ warning:'} {p.message}" for p in self.problems)


class SetupFailed(JiraAdminRequired):
    """The project is not usable as configured; `result` lists every problem."""

    def __init__(self, result: PreflightResult) -> None:
        super().__init__(result.describe(), details={"problems": [p.message for p in result.problems]})
        self.result = result
        self.category = result.category


def preflight(transport: JiraTransport, options: JiraOptions) -> PreflightResult:
    """Account, project, permissions, issue types, link type and required fields, in plain words."""
    deployment = "Cloud" if transport.is_cloud else "Server"
    problems: list[PreflightProblem] = []
    transport.call("checking ticketbot's Jira account", lambda client: client.myself())
    try:
        transport.call(f"looking up Jira project {options.project}", lambda client: client.project(options.project))
    except JiraNotFound:
        problems.append(PreflightProblem(
            f"Jira project {options.project} does not exist, or ticketbot's Jira account cannot see it — "
            "check JIRA_PROJECT (or the channel's `config jira_project`) and the account's project access"))
        return PreflightResult(deployment, options.project, tuple(problems))
    problems += _permission_problems(transport, options)
    problems += _link_type_problems(transport, options)
    setup, setup_problems = read_setup(transport, options)
    return PreflightResult(deployment, options.project, tuple(problems + setup_problems), setup)


def read_setup(transport: JiraTransport, options: JiraOptions) -> tuple[ProjectSetup | None, list[PreflightProblem]]:
    """The project's create metadata for our issue type (and epic type); None with the problems when unusable."""
    cloud = transport.is_cloud
    deployment = "Cloud" if cloud else "Server"
    project = options.project
    mode = options.epics or ("parent" if cloud else "epic-link")
    types = _issue_types(transport, project)
    problems: list[PreflightProblem] = []
    issue_type = _find_type(types, options.issue_type)
    if issue_type is None:
        problems.append(PreflightProblem(
            f"Jira project {project} has no issue type *{options.issue_type}* (it has: {_names(types)}) — "
            "set JIRA_ISSUE_TYPE"))
    epic_type = None
    if mode != "none":
        epic_type = _find_type(types, options.epic_type)
        if epic_type is None:
            problems.append(PreflightProblem(
                f"Jira project {project} has no issue type *{options.epic_type}* for the epics (it has: "
                f"{_names(types)}) — set JIRA_EPIC_TYPE, or JIRA_EPICS=none to push without epics"))
    if issue_type is None or (mode != "none" and epic_type is None):
        return None, problems
    story = _type_meta(transport, project, issue_type)
    epic = _type_meta(transport, project, epic_type) if epic_type is not None else None
    epic_link = None
    if mode == "epic-link":
        epic_link = _epic_link_field(transport)
        if epic_link is None:
            problems.append(PreflightProblem(
                "JIRA_EPICS=epic-link, but this Jira has no Epic Link field — use JIRA_EPICS=parent "
                "(Jira Cloud) or JIRA_EPICS=none"))
        elif epic_link not in story.fields:
            problems.append(PreflightProblem(
                f"The create screen of *{story.name}* in {project} has no *Epic Link* field — add it to the "
                "screen, or set JIRA_EPICS=none"))
    elif mode == "parent" and "parent" not in story.fields:
        problems.append(PreflightProblem(
            f"The create screen of *{story.name}* in {project} shows no *Parent* field, so issues may not be "
            "placed under their epics — set JIRA_EPICS=none if Jira refuses them", blocking=not cloud))
    epic_name = _epic_name_field(epic) if epic is not None else None
    defaults, default_problems = _resolve_defaults(options.field_defaults, story, project)
    problems += default_problems
    ours = OWN_FIELDS | {f for f in ("parent" if mode == "parent" else None, epic_link) if f}
    problems += _screen_problems(story, project, ours, defaults, "")
    if epic is not None:
        epic_ours = OWN_FIELDS | ({epic_name} if epic_name else set())
        epic_defaults = {k: v for k, v in defaults.items() if k in epic.fields}
        problems += _screen_problems(epic, project, epic_ours, epic_defaults, " for the epics")
    points = story_points_field(story)
    if points is None:
        problems.append(PreflightProblem(
            f"The create screen of *{story.name}* in {project} has no *Story Points* field, so each estimate goes "
            "in the description — add the field to the screen to have Jira sum them", blocking=False))
    setup = ProjectSetup(deployment, project, story, epic, mode, epic_link, epic_name, defaults, options.link_type,
                         points)
    return (setup if not any(p.blocking for p in problems) else None), problems


# ---- the checks -----------------------------------------------------------------------------------------


def _permission_problems(transport: JiraTransport, options: JiraOptions) -> list[PreflightProblem]:
    answer = transport.call(
        f"checking ticketbot's permissions in {options.project}",
        lambda client: client.my_permissions(projectKey=options.project, permissions=",".join(NEEDED_PERMISSIONS)),
    )
    granted = (answer or {}).get("permissions", {})
    words = {"BROWSE_PROJECTS": "see", "CREATE_ISSUES": "create issues in", "LINK_ISSUES": "link issues in"}
    return [
        PreflightProblem(f"ticketbot's Jira account may not {words[name]} project {options.project} — a Jira "
                         f"admin must grant it the *{name.replace('_', ' ').title()}* permission")
        for name in NEEDED_PERMISSIONS
        if not (granted.get(name) or {}).get("havePermission", False)
    ]


def _link_type_problems(transport: JiraTransport, options: JiraOptions) -> list[PreflightProblem]:
    types = transport.call("listing Jira's issue link types", lambda client: client.issue_link_types(force=True))
    names = [t.name for t in types]
    if any(n.lower() == options.link_type.lower() for n in names):
        return []
    return [PreflightProblem(f"This Jira has no issue link type *{options.link_type}* (it has: "
                             f"{', '.join(names) or 'none'}) — set JIRA_LINK_TYPE")]


def _screen_problems(meta: IssueTypeMeta, project: str, ours: set[str] | frozenset[str],
                     defaults: Mapping[str, object], for_what: str) -> list[PreflightProblem]:
    problems = []
    for needed, why in (("labels", "ticketbot labels every issue so that it is created exactly once"),
                        ("description", "the ticket's text goes there")):
        if needed not in meta.fields:
            problems.append(PreflightProblem(
                f"The create screen of *{meta.name}*{for_what} in {project} has no *{needed.title()}* field ({why}) "
                "— a Jira admin must add it to the screen"))
    for f in meta.fields.values():
        if f.required and not f.has_default and f.id not in ours and f.id not in defaults:
            problems.append(PreflightProblem(
                f"Jira project {project} requires the field *{f.name}*{for_what}, which ticketbot does not fill — "
                f"set JIRA_FIELD_DEFAULTS (e.g. {{\"{f.id}\": …}})", category=USER_FIXABLE))
    return problems


def _resolve_defaults(defaults: Mapping[str, object], story: IssueTypeMeta,
                      project: str) -> tuple[dict[str, object], list[PreflightProblem]]:
    """JIRA_FIELD_DEFAULTS keyed by field id; a key may also be the field's name as Jira shows it."""
    by_name = {f.name.lower(): f.id for f in story.fields.values()}
    resolved: dict[str, object] = {}
    problems = []
    for key, value in defaults.items():
        field_id = key if key in story.fields else by_name.get(key.lower())
        if field_id is None:
            problems.append(PreflightProblem(
                f"JIRA_FIELD_DEFAULTS sets *{key}*, which is not a field of the *{story.name}* create screen in "
                f"{project} — remove it or use the field's id", category=USER_FIXABLE))
        elif field_id in OWN_FIELDS:
            problems.append(PreflightProblem(
                f"JIRA_FIELD_DEFAULTS sets *{key}*, which ticketbot fills itself — remove it",
                category=USER_FIXABLE, blocking=False))
        else:
            resolved[field_id] = value
    return resolved, problems


# ---- discovery --------------------------------------------------------------------------------------------


def _issue_types(transport: JiraTransport, project: str) -> list[dict[str, Any]]:
    try:
        return _paged(transport, f"issue/createmeta/{project}/issuetypes", f"reading the issue types of {project}",
                      ("issueTypes", "values", "createMetaIssueType"))
    except JiraNotFound as exc:
        raise JiraAdminRequired(f"Jira project {project} does not exist, or ticketbot's Jira account may not "
                                "create issues in it — check JIRA_PROJECT", status=exc.status) from None


def _type_meta(transport: JiraTransport, project: str, issue_type: dict[str, Any]) -> IssueTypeMeta:
    raw = _paged(transport, f"issue/createmeta/{project}/issuetypes/{issue_type['id']}",
                 f"reading the create screen of {issue_type.get('name')} in {project}",
                 ("fields", "values", "results"))
    fields = {}
    for f in raw:
        field_id = str(f.get("fieldId") or f.get("key") or "")
        if field_id:
            schema = f.get("schema") or {}
            fields[field_id] = FieldMeta(field_id, str(f.get("name") or field_id), bool(f.get("required")),
                                         bool(f.get("hasDefaultValue")), str(schema.get("custom") or ""),
                                         str(schema.get("type") or ""))
    return IssueTypeMeta(str(issue_type["id"]), str(issue_type.get("name") or ""), fields)


def _paged(transport: JiraTransport, path: str, action: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every item of a startAt/maxResults paged createmeta answer (Cloud and Server name the list differently)."""
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = transport.get(path, action, params={"startAt": len(items), "maxResults": 50}, version="2") or {}
        batch: list[Any] = next((page[k] for k in keys if isinstance(page.get(k), list)), [])
        items += [i for i in batch if isinstance(i, dict)]
        total = page.get("total")
        if not batch or page.get("isLast") is True or (isinstance(total, int) and len(items) >= total):
            break
    return items


def _epic_link_field(transport: JiraTransport) -> str | None:
    fields = transport.call("listing Jira's fields", lambda client: client.fields())
    for f in fields or []:
        if (f.get("schema") or {}).get("custom") == EPIC_LINK_SCHEMA or str(f.get("name")).lower() == "epic link":
            return str(f["id"])
    return None


def story_points_field(story: IssueTypeMeta) -> str | None:
    """The field that holds story points on this create screen: Jira Software's own type first, then a
    number field by its usual names."""
    for f in story.fields.values():
        if f.custom_type == STORY_POINTS_SCHEMA:
            return f.id
    for f in story.fields.values():
        if f.name.strip().lower() in STORY_POINTS_NAMES and f.value_type in ("number", ""):
            return f.id
    return None


def _epic_name_field(epic: IssueTypeMeta) -> str | None:
    for f in epic.fields.values():
        if f.custom_type == EPIC_NAME_SCHEMA or f.name.lower() == "epic name":
            return f.id
    return None


def _find_type(types: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((t for t in types if str(t.get("name", "")).lower() == name.lower()), None)


def _names(types: list[dict[str, Any]]) -> str:
    return ", ".join(str(t.get("name")) for t in types) or "none"


def setup_or_raise(transport: JiraTransport, options: JiraOptions) -> ProjectSetup:
    """The setup for pushing, or SetupFailed naming every blocking problem."""
    setup, problems = read_setup(transport, options)
    if setup is None:
        raise SetupFailed(PreflightResult("Cloud" if transport.is_cloud else "Server", options.project,
                                          tuple(problems)))
    return setup

