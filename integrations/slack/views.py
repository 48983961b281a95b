"""Small frozen view models the Block Kit builders render: no ORM object and no client ever gets here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActionNote:
    """Who did what, shown on the message it was done to ("✅ approved all 12 drafts")."""

    actor: str  # a Slack user id
    action: str  # approve | reject | regenerate | approve_all | retry | cancel | push | start
    detail: str = ""


@dataclass(frozen=True)
class GroupSummary:
    group: str
    tickets: int
    fallbacks: int = 0


@dataclass(frozen=True)
class ProgressView:
    """The ONE progress message of a session's thread."""

    site: str
    state: str  # queued | running | posting | completed | failed | cancelled
    generation: int = 1
    max_generations: int = 3
    done: int = 0
    total: int = 0
    posted: int = 0
    stage: str = ""
    eta_s: float | None = None
    tokens: int = 0
    started_by: str = ""
    error: str = ""
    error_category: str = ""  # user_fixable | temporary | admin_required
    reference: str = ""  # what an admin looks for in the logs (e.g. "task 12")
    groups: tuple[GroupSummary, ...] = ()
    fallbacks: int = 0
    approved: int = 0
    rejected: int = 0
    pushed: int = 0
    notes: tuple[ActionNote, ...] = ()
    jira_note: str = ""  # the latest push to Jira, in plain words
    dependencies: str = ""  # the run's PlanStats.summary_line()
    unchanged: int = 0  # a revised spec's tickets kept as they are in Jira (never posted for review)
    review_hint: str = ""  # how to review when the drafts are in digests (integrations/slack/digest_blocks.py)

    @property
    def fraction(self) -> float:
        """Tickets written, then drafts posted: 100 % only once the last draft is in the thread."""
        if not self.total:
            return 1.0 if self.state == "completed" else 0.0
        if self.state == "completed" and self.posted + self.unchanged >= self.total:
            return 1.0
        shown = self.posted + self.unchanged if self.state in ("posting", "completed") else self.done
        return min(shown / self.total, 0.99)


@dataclass(frozen=True)
class DraftView:
    """One ticket draft in the thread."""

    position: int
    total: int
    title: str
    group: str
    spec_key: str
    user_story: str
    analysis: str
    verification: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    status: str = "draft"  # draft | approved | rejected | pushed | regenerating | withdrawn
    decided_by: str = ""
    jira_key: str = ""
    jira_url: str = ""
    jira_state: str = "none"  # none | creating | created | failed | needs_reconcile
    jira_error: str = ""
    jira_label: str = ""  # the unique label, for a person to search Jira with
    fallback: bool = False  # the template writer's text: the LLM's answer was unusable
    regenerations: int = 0
    note: ActionNote | None = None
    estimate: str = ""  # "M (3 points): 5 fields, 1 contributed module", empty for a ticket stored before it
    # A revised spec: new | changed | unchanged | removed ("" for a first version), and what changed in words.
    change_kind: str = ""
    changes: tuple[str, ...] = ()
    # Interactivity (issue 14): the ticket's id the buttons carry, and a person's edit shown on the draft.
    ticket_id: int = 0  # 0: no buttons (a view built without its ticket)
    edited_by: str = ""  # a Slack user id
    edited_fields: tuple[str, ...] = ()  # in words: "title", "estimate"
    editable: bool = False  # not on its way to Jira or in it: Edit and the decisions are offered


@dataclass(frozen=True)
class ProblemView:
    level: str  # file_error | row_error | warning
    file: str
    row: int | None
    column: str | None
    message: str
    suggestion: str | None = None

    @property
    def is_error(self) -> bool:
        return self.level != "warning"


@dataclass(frozen=True)
class SheetView:
    kind: str  # display name, e.g. "Bundles"
    rows: int
    tab: str = ""  # a workbook tab's name


@dataclass(frozen=True)
class UploadFileView:
    name: str
    state: str  # reading | read | refused
    sheets: tuple[SheetView, ...] = ()
    reason: str = ""  # why a file was refused before it could be read


@dataclass(frozen=True)
class UploadReplyView:
    """The one reply to an upload, edited as its files are read."""

    files: tuple[UploadFileView, ...]
    problems: tuple[ProblemView, ...] = ()  # about this upload's files
    spec_sheets: int = 0  # the whole session so far
    spec_rows: int = 0
    planned_tickets: int | None = None  # None until the files are all read
    dependencies: str = ""  # PlanStats.summary_line(): stated, inferred, the columns that would help
    session_state: str = "collecting"
    max_problems_shown: int = 15
    run_going_elsewhere: bool = False  # another session of the channel is generating: these files wait for the next
    files_in_started_run: int = 0  # of this upload's files, those stored just before a run started with them
    # A revised spec: how its plan compares with what the channel pushed before ("12 unchanged, 3 changed (…)").
    revision: str = ""


@dataclass(frozen=True)
class StatusView:
    site: str
    session_state: str
    files: int
    generation: int = 0
    task_state: str = ""
    done: int = 0
    total: int = 0
    stage: str = ""
    tickets: dict[str, int] = field(default_factory=dict)  # status -> count
    error: str = ""
