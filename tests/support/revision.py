"""The revision sessions of the revision-push tests: made by the real run (jobs/revision), read back here.

A session generated from a revised spec in a channel whose earlier session pushed the same site and Jira
project is compared, per spec key, with what that session pushed when its run starts (jobs/revision/apply.py):
each key's ticket says `new`, `changed`, `unchanged` or `removed`. `revision_of` reads those kinds back and
fails loudly when the run did not compare with the session the test pushed first, so a test can never
pass on a session that was not a revision.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from storage.uow import UnitOfWorkFactory


@dataclass
class RevisionSession:
    session_id: int
    kinds: dict[str, str] = field(default_factory=dict)  # spec key → new | changed | unchanged | removed

    def keys(self, kind: str) -> list[str]:
        return sorted(k for k, v in self.kinds.items() if v == kind)

    def counts(self) -> Counter[str]:
        return Counter(self.kinds.values())


def revision_of(uow_factory: UnitOfWorkFactory, previous_session_id: int, revised_session_id: int) -> RevisionSession:
    """How the run compared `revised_session_id` with `previous_session_id`, per spec key."""
    result = RevisionSession(revised_session_id)
    with uow_factory() as uow:
        previous_ids = {t.id for t in uow.tickets.for_session(previous_session_id)}
        for ticket in uow.tickets.for_session(revised_session_id):
            assert ticket.change_kind, f"{ticket.spec_key} was not compared with an earlier version"
            if ticket.change_kind != "new":
                assert ticket.revises_ticket_id in previous_ids, (
                    f"{ticket.spec_key} revises ticket {ticket.revises_ticket_id}, not one of session "
                    f"{previous_session_id}")
            result.kinds[ticket.spec_key] = ticket.change_kind
    return result


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
