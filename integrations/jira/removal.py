"""Taking back issues ticketbot created (`/generate-tickets undo`): deleted where the account may, else closed.

Deleting needs the project's DELETE_ISSUES permission (`GET mypermissions`), which many teams keep
from bot accounts. Without it the issue is moved by a transition into the done category (a
"Won't Do"-like one preferred), labelled `ticketbot-undone`, and its links are deleted one by one
(`DELETE issueLink/{id}`); deleting an issue takes its links with it. Every step is safe to repeat:
a 404 means the issue (or link) is gone already, an issue already done is not moved again, and a
label added twice is there once, so an undo interrupted at any point is simply run again.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from integrations.jira.errors import JiraNotFound, JiraUserFixable
from integrations.jira.gateway import JiraGateway

log = logging.getLogger(__name__)

WONT_DO_NAMES = ("won't do", "wont do", "won't fix", "cancelled", "canceled", "rejected", "declined", "obsolete")


class Removal(StrEnum):
    DELETED = "deleted"
    CLOSED = "closed"  # transitioned to a done status and labelled: the account may not delete
    GONE = "gone"  # not there any more (deleted by a person, or by an earlier try of this undo)


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    category: str  # the target status's category key: new | indeterminate | done


class IssueRemover:
    def __init__(self, gateway: JiraGateway, *, marker_label: str) -> None:
        self.gateway = gateway
        self.transport = gateway.transport
        self.marker_label = marker_label
        self._may_delete: bool | None = None

    @property
    def may_delete(self) -> bool:
        """Whether the account holds DELETE_ISSUES in the project (asked once)."""
        if self._may_delete is None:
            answer = self.transport.get("mypermissions", "checking whether ticketbot may delete issues",
                                        params={"projectKey": self.gateway.project, "permissions": "DELETE_ISSUES"})
            entry = ((answer or {}).get("permissions") or {}).get("DELETE_ISSUES") or {}
            self._may_delete = bool(entry.get("havePermission"))
        return self._may_delete

    def remove(self, key: str) -> Removal:
        """Delete the issue, or close, label and unlink it; GONE when it is not there."""
        try:
            if self.may_delete:
                self.transport.request("DELETE", f"issue/{key}", f"deleting {key}")
                return Removal.DELETED
            self._close(key)
        except JiraNotFound:
            return Removal.GONE
        return Removal.CLOSED

    def _close(self, key: str) -> None:
        issue = self.transport.get(f"issue/{key}", f"reading {key}", params={"fields": "status,labels,issuelinks"})
        fields = (issue or {}).get("fields") or {}
        for entry in fields.get("issuelinks") or []:
            link_id = str((entry or {}).get("id", ""))
            if link_id:
                with contextlib.suppress(JiraNotFound):  # removed already (its other end, an earlier try)
                    self.transport.request("DELETE", f"issueLink/{link_id}", f"removing a link of {key}")
        if self.marker_label not in (fields.get("labels") or []):
            self.transport.request("PUT", f"issue/{key}", f"labelling {key} as undone",
                                   body={"update": {"labels": [{"add": self.marker_label}]}})
        category = (((fields.get("status") or {}).get("statusCategory")) or {}).get("key", "")
        if category == "done":
            return
        transition = pick_transition(self.transitions(key))
        if transition is None:
            raise JiraUserFixable(f"{key} has no transition to a done status for ticketbot's account, and the "
                                  "account may not delete issues: close it in Jira, or grant the Delete Issues "
                                  "permission and undo again")
        self.transport.post(f"issue/{key}/transitions", f"closing {key}", {"transition": {"id": transition.id}})

    def transitions(self, key: str) -> list[Transition]:
        answer: Any = self.transport.get(f"issue/{key}/transitions", f"reading the transitions of {key}")
        return [Transition(str(t.get("id", "")), str(t.get("name", "")),
                           str((((t.get("to") or {}).get("statusCategory")) or {}).get("key", "")))
                for t in (answer or {}).get("transitions") or [] if isinstance(t, dict)]


def pick_transition(transitions: list[Transition]) -> Transition | None:
    """A transition into the done category, a "Won't Do"-like one first (it says the work was not done)."""
    done = [t for t in transitions if t.category == "done"]
    for t in done:
        if t.name.strip().lower() in WONT_DO_NAMES:
            return t
    return done[0] if done else None
