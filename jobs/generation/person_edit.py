"""A person's edit of a ticket (Slack's Edit modal): checked, stored with who and when, kept over rewrites.

The edit is stored on the ticket as {"by": user id, "at": ISO time, "fields": {name: value}} holding only
the fields the person changed. A rewrite (a regeneration, a generation retry) writes the writer's new text
and then lays these fields over it again, so a person's words are never overwritten by a model's; only the
person asking for it ("replace my edit" in the Regenerate modal) clears them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.tickets import SIZES, Estimate

# The fields a person may edit, in the modal's order, with what the person sees.
EDITABLE = {
    "title": "Title",
    "user_story": "User story",
    "acceptance": "Acceptance criteria",
    "estimate": "Estimate",
    "analysis": "Implementation notes",
}
TITLE_MAX = 255  # Jira's summary
TEXT_MAX = 3000  # what one Slack plain_text_input holds; a longer text is edited in Jira instead
ACCEPTANCE_SEPARATOR = "\n\n"  # scenarios are one per paragraph in the modal


@dataclass(frozen=True)
class PersonEdit:
    by: str
    at: str  # ISO 8601, UTC
    fields: dict[str, Any]

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> PersonEdit | None:
        if not stored or not stored.get("fields"):
            return None
        return cls(str(stored.get("by", "")), str(stored.get("at", "")), dict(stored["fields"]))

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "at": self.at, "fields": dict(self.fields)}

    def names(self) -> list[str]:
        """What was edited, in the modal's words ("title, estimate")."""
        return [EDITABLE[f].lower() for f in EDITABLE if f in self.fields]


def may_edit(record: Any) -> bool:
    """A draft, a rejected one, or an approved one Jira has not started on (or refused) can be edited."""
    if record.status in ("draft", "rejected"):
        return True
    return record.status == "approved" and record.jira_state in ("none", "failed")


def validate(values: Mapping[str, str]) -> dict[str, str]:
    """The modal's answers checked: {field: what is wrong}, empty when they may be stored."""
    errors = {}
    title = values.get("title", "")
    if not title.strip():
        errors["title"] = "A ticket needs a title."
    elif "\n" in title.strip() or "\r" in title:
        errors["title"] = "The title is one line (Jira summaries have no line breaks)."
    elif len(title.strip()) > TITLE_MAX:
        errors["title"] = f"At most {TITLE_MAX} characters ({len(title.strip())} now)."
    for name in ("user_story", "acceptance", "analysis"):
        if len(values.get(name, "")) > TEXT_MAX:
            errors[name] = f"At most {TEXT_MAX:,} characters ({len(values[name]):,} now)."
    if values.get("estimate") and values["estimate"] not in SIZES:
        errors["estimate"] = f"One of {', '.join(SIZES)}."
    return errors


def acceptance_text(acceptance: list[str] | tuple[str, ...]) -> str:
    return ACCEPTANCE_SEPARATOR.join(a.strip() for a in acceptance)


def acceptance_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split(ACCEPTANCE_SEPARATOR) if part.strip()]


def current_values(title: str, user_story: str, analysis: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ticket's editable fields, in the edit's own shapes."""
    estimate = details.get("estimate") or {}
    return {"title": title, "user_story": user_story, "acceptance": list(details.get("acceptance") or ()),
            "estimate": str(estimate.get("size", "")) if isinstance(estimate, dict) else "", "analysis": analysis}


def changed_fields(current: Mapping[str, Any], values: Mapping[str, str], offered: set[str]) -> dict[str, Any]:
    """The fields whose submitted value differs from the stored one (only those the modal offered)."""
    submitted: dict[str, Any] = {
        "title": values.get("title", "").strip(),
        "user_story": values.get("user_story", "").strip(),
        "acceptance": acceptance_list(values.get("acceptance", "")),
        "estimate": values.get("estimate", ""),
        "analysis": values.get("analysis", "").strip(),
    }
    changed = {}
    for name, value in submitted.items():
        if name not in offered or (name == "estimate" and not value):
            continue
        before = current.get(name)
        if name == "acceptance":
            differs = acceptance_list(acceptance_text(before or [])) != value
        else:
            differs = str(before or "").strip() != value
        if differs:
            changed[name] = value
    return changed


def merged(earlier: PersonEdit | None, fields: Mapping[str, Any], by: str, at: datetime) -> PersonEdit:
    """A new edit on top of an earlier one: the fields edited before stay edited."""
    return PersonEdit(by, at.isoformat(timespec="seconds"), {**(earlier.fields if earlier else {}), **fields})


def overlay(record: Any, edit: PersonEdit | None) -> None:
    """Lay a person's fields over a ticket record (just written, or being edited)."""
    if edit is None:
        return
    fields = edit.fields
    if "title" in fields:
        record.title = str(fields["title"])[:TITLE_MAX]
    if "user_story" in fields:
        record.user_story = str(fields["user_story"])
    if "analysis" in fields:
        record.analysis = str(fields["analysis"])
    details = dict(record.details or {})
    if "acceptance" in fields:
        details["acceptance"] = [str(a) for a in fields["acceptance"]]
    if fields.get("estimate") in SIZES:
        before = Estimate.from_dict(details["estimate"]) if isinstance(details.get("estimate"), dict) else None
        size = str(fields["estimate"])
        if before is None or before.size != size:
            original = (before.adjusted_from or before.size) if before else ""
            details["estimate"] = Estimate(size, before.reason if before else "set by a person",
                                           original if original != size else "",
                                           "set by a person in Slack" if original and original != size else ""
                                           ).to_dict()
    record.details = details
