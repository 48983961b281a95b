"""Revision sessions for the revision-push tests, built straight in the database by THE CONTRACT of issue 16.

The comparison and the revision session (who is new, changed, unchanged, removed) are another branch's work
(revision-plan). Until it merges, `make_revision_session` turns a session generated from the revised spec
(through the real reader, planner and writer) into a revision session exactly as that contract says, so the
push can be tested end to end. After the merge the lead replaces this one function with the real path; the
tests that call it stay as they are.

- a spec key not in the earlier session: `new`, left as generated;
- a spec key whose rows (cells, extras) and dependencies are the same: `unchanged`, the earlier text copied,
  status `pushed`, the Jira fields copied (`jira_state="created"`);
- a spec key whose rows differ: `changed`, the revised draft kept, `revises_ticket_id` and the Jira fields
  copied, `jira_state="none"`, `changes` listing each row added, removed or cell changed;
- a spec key whose rows are all `X = d`, or gone from the spec: `removed`, the earlier text copied, status
  `draft`, the Jira fields copied, `changes=[{"what": "bundle Promo banner marked X = d"}]`.

The new session's dependencies stay the revised graph as planned (a removed ticket has none).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storage.models import TicketRecord
from storage.uow import UnitOfWorkFactory

TEXT_COLUMNS = ("title", "user_story", "analysis", "verification", "details", "writer", "model", "prompt_version",
                "brief", "sources", "depends_on", "label", "kind", "group")
JIRA_COLUMNS = ("jira_key", "jira_label", "jira_project", "jira_synced")


@dataclass
class RevisionSession:
    session_id: int
    kinds: dict[str, str] = field(default_factory=dict)  # spec key → new | changed | unchanged | removed

    def keys(self, kind: str) -> list[str]:
        return sorted(k for k, v in self.kinds.items() if v == kind)

    def counts(self) -> Counter[str]:
        return Counter(self.kinds.values())


def make_revision_session(uow_factory: UnitOfWorkFactory, previous_session_id: int,
                          revised_session_id: int) -> RevisionSession:
    """Turn `revised_session_id` (generated from the revised spec) into the revision of `previous_session_id`."""
    result = RevisionSession(revised_session_id)
    with uow_factory() as uow:
        previous = {t.spec_key: t for t in uow.tickets.for_session(previous_session_id)}
        revised = uow.tickets.for_session(revised_session_id)
        position = max((t.position for t in revised), default=0)
        for ticket in revised:
            before = previous.get(ticket.spec_key)
            if before is None:
                ticket.change_kind = "new"
            elif _all_deleted(ticket):
                _copy(before, ticket, texts=True)
                ticket.change_kind, ticket.status, ticket.jira_state = "removed", "draft", "none"
                ticket.changes = [{"what": f"{_entity(before)} marked X = d", "file": r.get("file", ""),
                                   "row": r.get("row", ""), "column": "X", "old": _x(before, r), "new": "d"}
                                  for r in _rows(ticket)]
                uow.tickets.replace_dependencies(revised_session_id, [
                    (uow.tickets.get(d.ticket_id), uow.tickets.get(d.depends_on_id), d.reason)
                    for d in uow.tickets.dependencies(revised_session_id)
                    if ticket.id not in (d.ticket_id, d.depends_on_id)])
            else:
                changes = row_changes(before, ticket)
                _copy(before, ticket, texts=not changes)
                if changes:
                    ticket.change_kind, ticket.jira_state = "changed", "none"
                    ticket.changes = changes
                else:
                    ticket.change_kind, ticket.status, ticket.jira_state = "unchanged", "pushed", "created"
            result.kinds[ticket.spec_key] = ticket.change_kind
        for key, before in previous.items():
            if key in result.kinds:
                continue
            position += 1
            gone = uow.tickets.add(session_id=revised_session_id, spec_key=key, generation=1, position=position,
                                   status="draft", change_kind="removed",
                                   changes=[{"what": f"{_entity(before)} is no longer in the spec"}],
                                   **{c: getattr(before, c) for c in TEXT_COLUMNS})
            _copy(before, gone, texts=False)
            gone.jira_state = "none"
            result.kinds[key] = "removed"
        uow.commit()
    return result


def row_changes(before: TicketRecord, after: TicketRecord) -> list[dict[str, Any]]:
    """Rows added, removed, and cells changed between two versions of a ticket (rows matched by identity)."""
    old = {_identity(r): r for r in _rows(before)}
    new = {_identity(r): r for r in _rows(after)}
    changes: list[dict[str, Any]] = []
    for ident, row in new.items():
        if ident not in old:
            changes.append({"what": f"{_sheet(row)} {ident[1]} added", "file": row["file"], "row": row["row"],
                            "column": "", "old": "", "new": ""})
            continue
        cells, now = _cells(old[ident], after.label), _cells(row, after.label)
        for column in sorted(set(cells) | set(now)):
            if (cells.get(column) or "") != (now.get(column) or ""):
                changes.append({"what": f"{_sheet(row)} {ident[1]}: {column} changed", "file": row["file"],
                                "row": row["row"], "column": column, "old": cells.get(column) or "",
                                "new": now.get(column) or ""})
    for ident, row in old.items():
        if ident not in new:
            changes.append({"what": f"{_sheet(row)} {ident[1]} removed", "file": row["file"], "row": row["row"],
                            "column": "", "old": "", "new": ""})
    if sorted(before.depends_on or []) != sorted(after.depends_on or []) and not changes:
        changes.append({"what": "dependencies changed", "file": "", "row": "", "column": "",
                        "old": ", ".join(sorted(before.depends_on or [])),
                        "new": ", ".join(sorted(after.depends_on or []))})
    return changes


def _cells(row: dict[str, Any], role: str) -> dict[str, str]:
    """A row's cells; of a permissions-grid row only the ticket's own role column (another role's grant is
    that role's change)."""
    if row.get("sheet") == "permissions":
        extras = row.get("extras") or {}
        return {**(row.get("values") or {}), **({role: extras[role]} if role in extras else {})}
    return {**(row.get("values") or {}), **(row.get("extras") or {})}


def _copy(source: TicketRecord, target: TicketRecord, *, texts: bool) -> None:
    target.revises_ticket_id = source.id
    for column in JIRA_COLUMNS:
        setattr(target, column, getattr(source, column))
    if texts:  # unchanged and removed tickets keep the earlier text: no writer call
        for column in ("title", "user_story", "analysis", "verification", "details", "writer", "model"):
            setattr(target, column, getattr(source, column))


def _rows(ticket: TicketRecord) -> list[dict[str, Any]]:
    return list((ticket.brief or {}).get("rows") or [])


def _identity(row: dict[str, Any]) -> tuple[str, str]:
    values = row.get("values") or {}
    name = (values.get("machine_name") or values.get("permission") or values.get("name") or values.get("title")
            or str(row.get("row")))
    owner = values.get("bundle") or values.get("view") or values.get("workflow") or ""
    return f"{row.get('sheet')}:{owner}", str(name)


def _sheet(row: dict[str, Any]) -> str:
    return str(row.get("sheet", "row")).replace("_", " ").rstrip("s")


def _all_deleted(ticket: TicketRecord) -> bool:
    rows = _rows(ticket)
    return bool(rows) and all(str((r.get("values") or {}).get("x", "")).lower() == "d" for r in rows)


def _entity(ticket: TicketRecord) -> str:
    brief = ticket.brief or {}
    return f"{str(brief.get('kind', 'item')).replace('_', ' ')} {ticket.label}"


def _x(before: TicketRecord, row: dict[str, Any]) -> str:
    for old in _rows(before):
        if _identity(old) == _identity(row):
            return str((old.get("values") or {}).get("x", ""))
    return ""


# ---- the revision of examples/acme the done-means scenario pushes ------------------------------------------

ACME_CHANGES = {
    "field added": "Event gets a Capacity field",
    "view display removed": "the Gear reviews view loses its Feed display",
    "bundle marked d": "the Promo banner custom block type (and its fields) are marked X = d",
    "new vocabulary": "a Skill level vocabulary",
    "permissions changed": "Trail editor may create Event content",
}


def revised_acme_files() -> dict[str, bytes]:
    """examples/acme with the five changes of ACME_CHANGES, as a team would upload the revised sheets."""
    from tests.support.engine import EXAMPLE

    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(EXAMPLE.glob("*.csv"))}

    def edit(name: str, old: str, new: str) -> None:
        assert old in files[name], f"{name} no longer holds {old!r}: update revised_acme_files"
        files[name] = files[name].replace(old, new, 1)

    edit("fields.csv", "Event (Content type),Sold out,", "Event (Content type),Capacity,field_capacity,a,,,,"
         "Number (integer),,n,1,Number field,n,,How many people can register.\nEvent (Content type),Sold out,")
    edit("view_displays.csv", "Gear reviews,Feed,feed_1,Feed\n", "")
    edit("bundles.csv", "B12,Promo banner,promo_banner,a,", "B12,Promo banner,promo_banner,d,")
    edit("fields.csv", "Promo banner (Custom block type),Banner image,field_banner_image,a,",
         "Promo banner (Custom block type),Banner image,field_banner_image,d,")
    edit("fields.csv", "Promo banner (Custom block type),Banner link,field_banner_link,a,",
         "Promo banner (Custom block type),Banner link,field_banner_link,d,")
    lines = files["bundles.csv"].rstrip("\n").split("\n")
    vocabulary = next(line for line in lines if line.startswith("B07,")).split(",")
    vocabulary[:4] = ["B13", "Skill level", "skill_level", "a"]
    files["bundles.csv"] = "\n".join([*lines, ",".join(vocabulary).replace(
        "Product categories for gear reviews", "How hard a trail or event is").replace(
        "e.g. Tents or Footwear.", "e.g. Easy or Expert.")]) + "\n"
    edit("permissions.csv", "Node,Event: Create new content,,,Administrator,,,Publisher",
         "Node,Event: Create new content,,,Administrator,Trail editor,,Publisher")
    return {name: text.encode("utf-8") for name, text in files.items()}
