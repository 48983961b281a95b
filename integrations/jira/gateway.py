"""The Jira gateway: intent-level calls for publishing tickets, on Jira Cloud or Server/Data Center.

The `jira` library does what it does well (connecting and telling Cloud from Server by
`serverInfo.deploymentType`, the account, project, permission, field and link-type reads); direct REST
through its session does what it falls short on: bulk create of at most 50 issues with per-issue
errors, create metadata per project and issue type on Cloud, `search/jql` with explicit fields, and
creates in REST v3 with ADF descriptions. Writes are never retried once they may have reached Jira
(see integrations/jira/transport.py); a create whose answer was lost is found again by its label.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from integrations.invisible import INVISIBLE
from integrations.jira.adf import render_adf_description, render_adf_text
from integrations.jira.errors import (
    JiraError,
    JiraNotFound,
    JiraOutcomeUnknown,
    JiraTemporary,
    JiraUserFixable,
)
from integrations.jira.setup import JiraOptions, PreflightResult, ProjectSetup, preflight, setup_or_raise
from integrations.jira.transport import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_RETRY_AFTER_S,
    DEFAULT_TIMEOUT_S,
    JiraTransport,
    Sleep,
)
from integrations.jira.wiki import escape_wiki, render_wiki_description
from integrations.tickets import WrittenTicket
from integrations.urls import jira_browse_url

log = logging.getLogger(__name__)

BULK_LIMIT = 50  # Jira's most issues per bulk create request
SEARCH_PAGE = 100
MAX_SEARCH_PAGES = 10
SUMMARY_LIMIT = 255


# ---- the link direction: decided here and nowhere else --------------------------------------------------


def blocks_link(blocker: str | None, blocked: str | None) -> dict[str, dict[str, str]]:
    """The two sides of a dependency link "blocker blocks blocked" (docs/design.md §10), for any link request.

    For `POST issueLink` with type Blocks, `{"inwardIssue": A, "outwardIssue": B}` is what Jira shows as
    "A blocks B" (observed behaviour, the opposite of a literal reading of the REST reference;
    jira-python documents inwardIssue as "the issue to link from"). So the blocker goes in
    `inwardIssue` and the blocked issue in `outwardIssue`. In a create payload's `update.issuelinks`
    the issue being created takes the side given as None.
    """
    sides: dict[str, dict[str, str]] = {}
    if blocker is not None:
        sides["inwardIssue"] = {"key": blocker}
    if blocked is not None:
        sides["outwardIssue"] = {"key": blocked}
    return sides


def link_in_issue(issue_key: str, entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """(blocker, blocked) of one `fields.issuelinks` entry of `issue_key`, read the same way as `blocks_link`.

    On issue X, an entry holding `outwardIssue: Y` is X's outward relation ("X blocks Y"); one holding
    `inwardIssue: Z` is "Z blocks X".
    """
    if isinstance(entry.get("outwardIssue"), Mapping):
        return issue_key, str(entry["outwardIssue"].get("key"))
    if isinstance(entry.get("inwardIssue"), Mapping):
        return str(entry["inwardIssue"].get("key")), issue_key
    return None


# ---- what to create, and what came back ------------------------------------------------------------------


@dataclass(frozen=True)
class JiraConfig:
    url: str
    project: str
    email: str = ""
    api_token: str = field(default="", repr=False)
    pat: str = field(default="", repr=False)
    issue_type: str = "Story"
    epic_type: str = "Epic"
    epics: str = ""  # parent | epic-link | none; empty: parent on Cloud, epic-link on Server/DC
    link_type: str = "Blocks"
    field_defaults: Mapping[str, object] = field(default_factory=dict)
    timeout_s: tuple[float, float] = DEFAULT_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S

    def options(self) -> JiraOptions:
        return JiraOptions(self.project, self.issue_type, self.epic_type, self.epics, self.link_type,
                           self.field_defaults)

    def for_project(self, project: str) -> JiraConfig:
        return replace(self, project=project)


@dataclass(frozen=True)
class IssueDraft:
    """One issue to create: a ticket's issue (with `ticket`) or an epic (`is_epic`, with `text`)."""

    summary: str
    labels: tuple[str, ...]
    ticket: WrittenTicket | None = None
    text: str = ""
    is_epic: bool = False
    epic_key: str | None = None  # the epic this issue goes under
    blocked_by: tuple[str, ...] = ()  # existing issues that block this one: linked in the create payload
    blocks: tuple[str, ...] = ()  # existing issues this one blocks: linked in the create payload


@dataclass(frozen=True)
class CreatedIssue:
    key: str
    id: str


@dataclass(frozen=True)
class BulkItem:
    """One draft of a bulk create: created (`issue`) or refused (`error`), by position in the request."""

    index: int
    issue: CreatedIssue | None = None
    error: JiraError | None = None


@dataclass(frozen=True)
class IssueState:
    """What an update reads of an issue before writing it (a read by key: consistent, unlike search)."""

    key: str
    updated: str  # Jira's `updated` time
    fingerprint: str  # of its summary and description as Jira holds them now (description_fingerprint)
    labels: frozenset[str]
    status_category: str  # new | indeterminate | done
    links: Mapping[tuple[str, str], str]  # (blocker, blocked) of the configured link type → the link's id


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    category: str  # of the status it leads to: new | indeterminate | done


@dataclass(frozen=True)
class FoundIssue:
    key: str
    id: str
    labels: frozenset[str]
    links: frozenset[tuple[str, str]]  # (blocker, blocked) pairs of the configured link type
    project: str = ""  # the key of the project it is in


class JiraGateway:
    """One Jira project; connects lazily, discovers the project's set-up once, and counts its requests."""

    def __init__(self, config: JiraConfig, *, sleep: Sleep = time.sleep) -> None:
        self.config = config
        self.transport = JiraTransport(config.url, email=config.email, api_token=config.api_token, pat=config.pat,
                                       timeout=config.timeout_s, max_attempts=config.max_attempts,
                                       max_retry_after_s=config.max_retry_after_s, sleep=sleep)
        self._setup: ProjectSetup | None = None

    @property
    def project(self) -> str:
        return self.config.project

    @property
    def deployment(self) -> str:
        return "Cloud" if self.transport.is_cloud else "Server"

    @property
    def requests_sent(self) -> int:
        return self.transport.requests_sent

    def browse_url(self, key: str) -> str:
        return jira_browse_url(self.config.url, key)

    def close(self) -> None:
        self.transport.close()

    # ---- set-up ---------------------------------------------------------------------------------------

    def preflight(self) -> PreflightResult:
        """Everything a push needs, checked, with every problem in plain words."""
        result = preflight(self.transport, self.config.options())
        if result.setup is not None:
            self._setup = result.setup
        return result

    def setup(self) -> ProjectSetup:
        """The project's issue types and fields (discovered once); SetupFailed when unusable."""
        if self._setup is None:
            self._setup = setup_or_raise(self.transport, self.config.options())
        return self._setup

    @property
    def epics_enabled(self) -> bool:
        return self.setup().epic_mode != "none"

    # ---- creating ---------------------------------------------------------------------------------------

    def payload(self, draft: IssueDraft) -> dict[str, Any]:
        """The create request body for `draft` (fields, and its links to existing issues)."""
        setup = self.setup()
        meta = setup.epic_type if draft.is_epic and setup.epic_type is not None else setup.issue_type
        fields: dict[str, Any] = {k: v for k, v in setup.field_defaults.items() if k in meta.fields}
        summary = one_line(draft.summary)
        fields.update(project={"key": setup.project}, issuetype={"id": meta.id}, summary=summary,
                      labels=list(draft.labels), description=self._description(draft))
        if draft.is_epic and setup.epic_name_field:
            fields[setup.epic_name_field] = summary
        estimate = draft.ticket.content.estimate if draft.ticket is not None else None
        if estimate is not None and setup.story_points_field and not draft.is_epic:
            fields[setup.story_points_field] = estimate.points
        if draft.epic_key and not draft.is_epic:
            if setup.epic_mode == "parent":
                fields["parent"] = {"key": draft.epic_key}
            elif setup.epic_mode == "epic-link" and setup.epic_link_field:
                fields[setup.epic_link_field] = draft.epic_key
        links = [blocks_link(b, None) for b in draft.blocked_by] + [blocks_link(None, b) for b in draft.blocks]
        body: dict[str, Any] = {"fields": fields}
        if links:
            body["update"] = {"issuelinks": [{"add": {"type": {"name": setup.link_type}, **s}} for s in links]}
        return body

    def create_issue(self, draft: IssueDraft) -> CreatedIssue:
        """POST one issue. Raises JiraOutcomeUnknown when the answer was lost (never retried here)."""
        body = self.payload(draft)
        answer = self.transport.post("issue", f"creating the issue “{one_line(draft.summary)[:80]}”", body)
        if not isinstance(answer, dict) or not answer.get("key"):
            raise JiraOutcomeUnknown("Jira answered the create without an issue key; ticketbot checks by label",
                                     details={"answer": str(answer)[:200]})
        return CreatedIssue(str(answer["key"]), str(answer.get("id", "")))

    def create_issues(self, drafts: Sequence[IssueDraft]) -> list[BulkItem]:
        """POST at most 50 issues at once; each draft comes back created or refused (partial failures)."""
        if not 0 < len(drafts) <= BULK_LIMIT:
            raise ValueError(f"a bulk create takes 1 to {BULK_LIMIT} issues, not {len(drafts)}")
        body = {"issueUpdates": [self.payload(d) for d in drafts]}
        answer = self.transport.post("issue/bulk", f"creating {len(drafts)} issues", body, accept=frozenset({400}))
        if not isinstance(answer, dict):
            raise JiraOutcomeUnknown("Jira's answer to a bulk create was unreadable; ticketbot checks by label")
        errors = {int(e.get("failedElementNumber", -1)): e for e in answer.get("errors") or [] if isinstance(e, dict)}
        issues = [i for i in answer.get("issues") or [] if isinstance(i, dict) and i.get("key")]
        if len(issues) != len(drafts) - len(errors) or any(not 0 <= i < len(drafts) for i in errors):
            raise JiraOutcomeUnknown(
                f"Jira's answer to a bulk create of {len(drafts)} did not add up ({len(issues)} created, "
                f"{len(errors)} refused); ticketbot checks by label")
        created = iter(issues)
        items = []
        for index in range(len(drafts)):
            if index in errors:
                items.append(BulkItem(index, error=_element_error(errors[index], drafts[index])))
            else:
                issue = next(created)
                items.append(BulkItem(index, issue=CreatedIssue(str(issue["key"]), str(issue.get("id", "")))))
        return items

    # ---- links ------------------------------------------------------------------------------------------

    def link(self, blocker: str, blocked: str) -> None:
        """Record "blocker blocks blocked" with the configured link type."""
        body = {"type": {"name": self.setup().link_type}, **blocks_link(blocker, blocked)}
        self.transport.post("issueLink", f"linking {blocker} to {blocked}", body)

    def linked(self, blocker: str, blocked: str) -> bool:
        """Whether "blocker blocks blocked" exists already (read from the blocked issue)."""
        raw = self.transport.call(f"reading the links of {blocked}",
                                  lambda client: client.issue(blocked, fields="issuelinks").raw)
        return (blocker, blocked) in self._links(blocked, (raw or {}).get("fields") or {})

    def exists(self, key: str) -> bool:
        """Whether the issue is there (a read by key: consistent, unlike search)."""
        try:
            self.transport.call(f"reading {key}", lambda client: client.issue(key, fields="summary"))
        except JiraNotFound:
            return False
        return True

    # ---- revising issues that exist (jobs/publishing/revision.py) --------------------------------------

    def fingerprint(self, draft: IssueDraft) -> str:
        """The fingerprint of the summary and description `draft` writes (compared with IssueState.fingerprint)."""
        return description_fingerprint(one_line(draft.summary), self._description(draft))

    def read_issue(self, key: str) -> IssueState:
        """The issue's `updated`, text fingerprint, labels, status category and links, in one read."""
        answer = self.transport.get(f"issue/{key}", f"reading {key}",
                                    params={"fields": "summary,description,updated,labels,status,issuelinks"}) or {}
        fields = answer.get("fields") or {}
        links: dict[tuple[str, str], str] = {}
        link_type = self.config.link_type.lower()
        for entry in fields.get("issuelinks") or []:
            if isinstance(entry, Mapping) and str((entry.get("type") or {}).get("name", "")).lower() == link_type:
                pair = link_in_issue(key, entry)
                if pair is not None:
                    links[pair] = str(entry.get("id", ""))
        category = str(((fields.get("status") or {}).get("statusCategory") or {}).get("key", ""))
        return IssueState(key, str(fields.get("updated") or ""),
                          description_fingerprint(str(fields.get("summary") or ""), fields.get("description")),
                          frozenset(str(x) for x in fields.get("labels") or []), category, links)

    def update_issue(self, key: str, draft: IssueDraft) -> None:
        """Replace the summary and description (labels, status and everything else are kept). Idempotent."""
        body = {"fields": {"summary": one_line(draft.summary), "description": self._description(draft)}}
        self.transport.request("PUT", f"issue/{key}", f"updating {key}", body=body)

    def comment(self, key: str, text: str) -> str:
        """Add a comment (plain text, rendered inert: ADF on Cloud, escaped wiki markup on Server/DC); the time
        Jira says it was made (the issue's `updated` as of this write)."""
        body = {"body": render_adf_text(text) if self.transport.is_cloud else escape_wiki(text)}
        answer = self.transport.post(f"issue/{key}/comment", f"commenting on {key}", body)
        return str((answer or {}).get("updated") or (answer or {}).get("created") or "") \
            if isinstance(answer, dict) else ""

    def find_comment(self, key: str, marker: str, *, pages: int = MAX_SEARCH_PAGES) -> str | None:
        """The time of the issue's comment holding `marker` (newest first), or None when there is none."""
        for page in range(pages):
            answer = self.transport.get(f"issue/{key}/comment", f"reading the comments of {key}",
                                        params={"startAt": page * SEARCH_PAGE, "maxResults": SEARCH_PAGE,
                                                "orderBy": "-created"}) or {}
            batch = [c for c in answer.get("comments") or [] if isinstance(c, Mapping)]
            for found in batch:
                if marker in _plain_text(found.get("body")):
                    return str(found.get("updated") or found.get("created") or "")
            total = answer.get("total")
            if not batch or not isinstance(total, int) or (page + 1) * SEARCH_PAGE >= total:
                return None
        return None

    def transitions(self, key: str) -> list[Transition]:
        answer = self.transport.get(f"issue/{key}/transitions", f"reading the transitions of {key}") or {}
        return [Transition(str(t.get("id")), str(t.get("name", "")),
                           str(((t.get("to") or {}).get("statusCategory") or {}).get("key", "")))
                for t in answer.get("transitions") or [] if isinstance(t, Mapping)]

    def transition(self, key: str, transition_id: str) -> None:
        self.transport.post(f"issue/{key}/transitions", f"closing {key}", {"transition": {"id": transition_id}})

    def add_label(self, key: str, label: str) -> None:
        """Add one label, keeping the others (`update.labels.add`: sending it twice changes nothing)."""
        self.transport.request("PUT", f"issue/{key}", f"labelling {key}",
                               body={"update": {"labels": [{"add": label}]}})

    def unlink(self, link_id: str) -> None:
        """Delete one issue link by its id; one already gone counts as deleted."""
        try:
            self.transport.request("DELETE", f"issueLink/{link_id}", f"removing the link {link_id}")
        except JiraNotFound:
            log.info("issue link %s was gone already", link_id)

    # ---- finding by label ------------------------------------------------------------------------------

    def find_by_labels(self, labels: Sequence[str]) -> dict[str, FoundIssue]:
        """The issue of this project carrying each label, for those found (the oldest if a label is on several).

        The search is scoped to the project, and each answer is checked to be in it: an issue elsewhere
        (another deployment's, another project's) is never taken for ours.
        """
        found: dict[str, FoundIssue] = {}
        wanted = set(labels)
        project = self.config.project
        for start in range(0, len(labels), BULK_LIMIT):
            chunk = list(labels[start:start + BULK_LIMIT])
            jql = (f"project = {_jql_string(project)} AND labels in ("
                   + ", ".join(_jql_string(label) for label in chunk) + ") ORDER BY created ASC")
            for issue in self._search(jql):
                if issue.project != project:
                    log.warning("search for project %s answered %s of project %s; ignored", project, issue.key,
                                issue.project or "(none)")
                    continue
                for label in issue.labels & wanted:
                    if label in found and found[label].key != issue.key:
                        log.warning("label %s is on %s and %s; keeping the older", label, found[label].key, issue.key)
                        continue
                    found[label] = issue
        return found

    def _search(self, jql: str) -> list[FoundIssue]:
        """Every issue matching `jql`: search/jql with explicit fields on Cloud, search on Server/DC."""
        fields = "labels,issuelinks,project"
        issues: list[FoundIssue] = []
        token: str | None = None
        for page in range(MAX_SEARCH_PAGES):
            if self.transport.is_cloud:
                params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": SEARCH_PAGE}
                if token:
                    params["nextPageToken"] = token
                answer = self.transport.get("search/jql", "searching Jira by label", params=params) or {}
            else:
                params = {"jql": jql, "fields": fields, "maxResults": SEARCH_PAGE, "startAt": page * SEARCH_PAGE}
                answer = self.transport.get("search", "searching Jira by label", params=params) or {}
            batch = [i for i in answer.get("issues") or [] if isinstance(i, dict)]
            for raw in batch:
                raw_fields = raw.get("fields") or {}
                issues.append(FoundIssue(str(raw.get("key")), str(raw.get("id", "")),
                                         frozenset(str(x) for x in raw_fields.get("labels") or []),
                                         self._links(str(raw.get("key")), raw_fields),
                                         str((raw_fields.get("project") or {}).get("key", ""))))
            token = answer.get("nextPageToken")
            total = answer.get("total")
            if self.transport.is_cloud and (answer.get("isLast", True) or not token):
                break
            if not self.transport.is_cloud and (not batch or not isinstance(total, int)
                                                or (page + 1) * SEARCH_PAGE >= total):
                break
        return issues

    def _links(self, key: str, fields: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
        link_type = self.config.link_type.lower()
        pairs = set()
        for entry in fields.get("issuelinks") or []:
            if isinstance(entry, Mapping) and str((entry.get("type") or {}).get("name", "")).lower() == link_type:
                pair = link_in_issue(key, entry)
                if pair is not None:
                    pairs.add(pair)
        return frozenset(pairs)

    # ---- descriptions -------------------------------------------------------------------------------------

    def _description(self, draft: IssueDraft) -> Any:
        # The estimate goes in the description only when the project has no story-points field for it.
        in_description = not self.setup().story_points_field
        if self.transport.is_cloud:
            if draft.ticket is None:
                return render_adf_text(draft.text)
            return render_adf_description(draft.ticket, estimate_in_description=in_description)
        if draft.ticket is None:
            return escape_wiki(draft.text)
        return render_wiki_description(draft.ticket, estimate_in_description=in_description)


def one_line(text: str) -> str:
    """A summary: one line, no control characters, at most 255 characters (never empty)."""
    line = " ".join(INVISIBLE.sub(" ", text).split())
    return (line[:SUMMARY_LIMIT - 1] + "…" if len(line) > SUMMARY_LIMIT else line) or "(untitled)"


def description_fingerprint(summary: str, description: Any) -> str:
    """A hash of an issue's summary and description that survives how Jira stores them.

    On Cloud the description is ADF, which Jira may give back with attributes of its own (local ids,
    marks reordered): only the node types and the text count. On Server/DC it is wiki markup, whose
    line ends Jira may turn into CRLF. So what we wrote and what Jira shows of it hash the same, and a
    person's edit of either changes the hash.
    """
    if isinstance(description, Mapping):
        text = json.dumps(_adf_shape(description), ensure_ascii=False, separators=(",", ":"))
    else:
        text = "\n".join(line.rstrip() for line in str(description or "").replace("\r\n", "\n").split("\n")).strip()
    return hashlib.sha256(f"{summary.strip()}\0{text}".encode()).hexdigest()[:32]


def _adf_shape(node: Any) -> Any:
    if isinstance(node, Mapping):
        shape: list[Any] = [str(node.get("type", ""))]
        if node.get("text"):
            shape.append(str(node["text"]))
        shape.extend(_adf_shape(child) for child in node.get("content") or [])
        return shape
    return []


def _plain_text(body: Any) -> str:
    """Every text of a comment body: a wiki string as it is, ADF's text nodes joined."""
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping):
        return str(body.get("text") or "") + " ".join(_plain_text(c) for c in body.get("content") or [])
    return ""


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _element_error(error: Mapping[str, Any], draft: IssueDraft) -> JiraError:
    element = error.get("elementErrors") or {}
    messages = [str(m) for m in element.get("errorMessages") or []]
    fields = {str(k): str(v) for k, v in (element.get("errors") or {}).items()}
    said = "; ".join(messages + [f"{k}: {v}" for k, v in fields.items()]) or "no reason given"
    status = int(error.get("status") or 400)
    message = f"Jira refused the issue “{one_line(draft.summary)[:80]}”: {said}"
    if status == 429 or status >= 500:
        return JiraTemporary(message, status=status, details={"jira": said})
    return JiraUserFixable(message, field_errors=fields, status=status, details={"jira": said})
