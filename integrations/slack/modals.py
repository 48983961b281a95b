"""Pure builders of the modals a draft's buttons open: View (the whole ticket), Edit, Regenerate.

A view model in, a `views.open` view out, within Slack's limits for modals (100 blocks, 3,000 characters a
section, 24 characters of title, 3,000 characters of a text input). The View modal never cuts the ticket:
when it cannot hold it whole it says so and where the whole text is. Text from outside is escaped
(`text.escape`, `text.plain`) as in messages; a text input's initial value is plain text, shown as typed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from integrations.slack import action_ids
from integrations.slack.blocks import SECTION_BUDGET, Block, context, divider, header, section
from integrations.slack.text import code, escape, mention, plain, split

MAX_MODAL_BLOCKS = 100
MAX_MODAL_TITLE = 24
MAX_INPUT_CHARS = 3000
GUIDANCE_MAX = 500  # integrations/writers/prompt.py GUIDANCE_MAX: the modal says so and Slack enforces it
SIZES = ("XS", "S", "M", "L", "XL")

# block_id / action_id of each input: the listener reads the submitted values by these.
EDIT_INPUTS = ("title", "user_story", "acceptance", "estimate", "analysis")
GUIDANCE_INPUT = "guidance"
REPLACE_EDIT_INPUT = "replace_edit"


@dataclass(frozen=True)
class TicketModalView:
    """One ticket, whole, for the modals."""

    ticket_id: int
    channel: str
    title: str
    group: str
    spec_key: str
    status: str
    user_story: str
    analysis: str
    acceptance: tuple[str, ...] = ()
    verification: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    estimate: str = ""  # described: "M (3 points): …"
    estimate_size: str = ""
    open_questions: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # "fields.csv row 14"
    edited_by: str = ""
    edited_at: str = ""
    edited_fields: tuple[str, ...] = ()
    regenerations: int = 0
    max_regenerations: int = 3
    takes_guidance: bool = True  # False with the offline template writer
    jira_key: str = ""


def metadata(view: TicketModalView) -> str:
    """The modal's private_metadata: which ticket, in which channel (action_ids: JSON)."""
    return json.dumps({"ticket": view.ticket_id, "channel": view.channel})


def parse_metadata(text: str) -> tuple[int, str] | None:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return None
    ticket, channel = data.get("ticket") if isinstance(data, dict) else None, data.get("channel", "")
    if not isinstance(ticket, int) or not isinstance(channel, str):
        return None
    return ticket, channel


def _title(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text)[:MAX_MODAL_TITLE], "emoji": True}


def _modal(callback_id: str, title: str, blocks: Sequence[Block], view: TicketModalView, *,
           submit: str = "") -> dict[str, Any]:
    modal: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": _title(title),
                             "close": _title("Close" if not submit else "Cancel"), "blocks": list(blocks),
                             "private_metadata": metadata(view), "notify_on_close": False}
    if submit:
        modal["submit"] = _title(submit)
    return modal


def loading_modal(callback_id: str, title: str) -> dict[str, Any]:
    """Shown while the ticket is read (never left: replaced by the real modal or by what went wrong)."""
    return {"type": "modal", "callback_id": callback_id, "title": _title(title), "close": _title("Close"),
            "blocks": [section("⏳ Reading the ticket…")]}


def notice_modal(callback_id: str, title: str, mrkdwn: str) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": _title(title), "close": _title("Close"),
            "blocks": [section(mrkdwn)]}


# ---- View: the whole ticket -----------------------------------------------------------------------------


def view_modal(view: TicketModalView) -> dict[str, Any]:
    """Every part of the ticket, in as many sections as it takes; if that is over 100 blocks, said so."""
    blocks: list[Block] = [header(view.title),
                           context(f"*{escape(view.group)}* · {code(view.spec_key)} · {escape(view.status)}"
                                   + (f" · Jira {code(view.jira_key)}" if view.jira_key else ""))]
    if view.edited_by:
        blocks.append(context(f"✏️ Edited by {mention(view.edited_by)} on {escape(view.edited_at[:16])}"
                              + (f" ({escape(', '.join(view.edited_fields))})" if view.edited_fields else "")))
    if view.estimate:
        blocks.append(context(f"*Estimate:* {escape(view.estimate)}"))
    parts: list[tuple[str, str]] = [
        ("User story", escape(view.user_story)),
        ("Implementation notes", escape(view.analysis)),
        ("Acceptance criteria", "\n\n".join(escape(a) for a in view.acceptance)),
        ("Verification", "\n".join(f"☐ {escape(c)}" for c in view.verification)),
        ("Open questions", "\n".join(f"• {escape(q)}" for q in view.open_questions)),
        ("Risks", "\n".join(f"• {escape(r)}" for r in view.risks)),
        ("Depends on", ", ".join(code(k) for k in view.depends_on)),
        ("Source rows", "\n".join(escape(s) for s in view.sources)),
    ]
    for heading, body in parts:
        if not body.strip():
            continue
        blocks.append(divider())
        blocks.extend(section((f"*{heading}*\n" if i == 0 else "") + piece)
                      for i, piece in enumerate(split(body, SECTION_BUDGET)))
    if len(blocks) > MAX_MODAL_BLOCKS:
        shown = blocks[: MAX_MODAL_BLOCKS - 1]
        blocks = [*shown, section(
            f"⚠️ *This ticket is too long to show whole here* ({len(blocks)} parts; a modal holds "
            f"{MAX_MODAL_BLOCKS}). Nothing is cut from the ticket itself: the whole text is in Jira once it is "
            f"pushed, and in `tickets.json` from `ticketbot generate`.")]
    return _modal(action_ids.VIEW_MODAL, "Ticket", blocks, view)


# ---- Edit -------------------------------------------------------------------------------------------------


def _text_input(name: str, label: str, value: str, *, multiline: bool, max_length: int, hint: str = "",
                optional: bool = False) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": name, "multiline": multiline,
                               "max_length": max_length}
    if value:
        element["initial_value"] = value
    block: Block = {"type": "input", "block_id": name, "label": {"type": "plain_text", "text": label},
                    "element": element, "optional": optional}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _too_long(label: str, length: int) -> Block:
    return context(f"*{label}* ({length:,} characters) is longer than a Slack form field holds "
                   f"({MAX_INPUT_CHARS:,}); it is kept as it is here. Change it in Jira after the push.")


def edit_offers(view: TicketModalView) -> set[str]:
    """The fields the Edit modal can hold whole (a longer text is never cut into a form field)."""
    offered = {"title", "estimate"}
    if len(view.user_story) <= MAX_INPUT_CHARS:
        offered.add("user_story")
    if len("\n\n".join(view.acceptance)) <= MAX_INPUT_CHARS:
        offered.add("acceptance")
    if len(view.analysis) <= MAX_INPUT_CHARS:
        offered.add("analysis")
    return offered


def edit_modal(view: TicketModalView) -> dict[str, Any]:
    offered = edit_offers(view)
    blocks: list[Block] = [context(f"{code(view.spec_key)} · your changes are kept over every rewrite "
                                   "(🔁 keeps them unless you tick “replace my edit”) and go to Jira as yours.")]
    blocks.append(_text_input("title", "Title", view.title, multiline=False, max_length=255,
                              hint="One line, at most 255 characters (the Jira summary)."))
    if "user_story" in offered:
        blocks.append(_text_input("user_story", "User story", view.user_story, multiline=True,
                                  max_length=MAX_INPUT_CHARS, optional=True))
    else:
        blocks.append(_too_long("User story", len(view.user_story)))
    acceptance = "\n\n".join(view.acceptance)
    if "acceptance" in offered:
        blocks.append(_text_input("acceptance", "Acceptance criteria", acceptance, multiline=True,
                                  max_length=MAX_INPUT_CHARS, optional=True,
                                  hint="One scenario per paragraph (a blank line between scenarios)."))
    else:
        blocks.append(_too_long("Acceptance criteria", len(acceptance)))
    options = [{"text": {"type": "plain_text", "text": size}, "value": size} for size in SIZES]
    select: dict[str, Any] = {"type": "static_select", "action_id": "estimate", "options": options}
    if view.estimate_size in SIZES:
        select["initial_option"] = options[SIZES.index(view.estimate_size)]
    blocks.append({"type": "input", "block_id": "estimate", "optional": True, "element": select,
                   "label": {"type": "plain_text", "text": "Estimate"}})
    if "analysis" in offered:
        blocks.append(_text_input("analysis", "Implementation notes", view.analysis, multiline=True,
                                  max_length=MAX_INPUT_CHARS, optional=True))
    else:
        blocks.append(_too_long("Implementation notes", len(view.analysis)))
    return _modal(action_ids.EDIT_MODAL, "Edit ticket", blocks, view, submit="Save")


# ---- Regenerate with guidance -----------------------------------------------------------------------------


def regenerate_modal(view: TicketModalView) -> dict[str, Any]:
    left = max(view.max_regenerations - view.regenerations, 0)
    blocks: list[Block] = [section(f"*{escape(view.title)}*\nRewrite this draft ({left} of "
                                   f"{view.max_regenerations} rewrites left).")]
    if view.takes_guidance:
        blocks.append(_text_input(GUIDANCE_INPUT, "What should change?", "", multiline=True,
                                  max_length=GUIDANCE_MAX, optional=True,
                                  hint=f"At most {GUIDANCE_MAX} characters, given to the writer as a wish about "
                                       "this ticket (e.g. “split the display configuration out”)."))
    else:
        blocks.append(context("The offline template writer is configured: it writes from the spec rows alone and "
                              "cannot take guidance. The rewrite uses the rows as they are now."))
    if view.edited_by:
        blocks.append({"type": "input", "block_id": REPLACE_EDIT_INPUT, "optional": True,
                       "label": {"type": "plain_text", "text": "Your edit"},
                       "element": {"type": "checkboxes", "action_id": REPLACE_EDIT_INPUT, "options": [
                           {"text": {"type": "plain_text", "text": "Replace my edit with the new text"},
                            "value": "replace"}]},
                       "hint": {"type": "plain_text", "text": "Unticked, the edited fields ("
                                f"{plain(', '.join(view.edited_fields))}) stay as they are."}})
    return _modal(action_ids.REGENERATE_MODAL, "Regenerate", blocks, view, submit="Rewrite")


# ---- submitted values ----------------------------------------------------------------------------------


def submitted_values(state: dict[str, Any]) -> dict[str, str]:
    """`view.state.values` of a submission as {input name: text} (selects: the chosen value; checkboxes: the
    ticked values joined by commas)."""
    values: dict[str, str] = {}
    for block_id, actions in (state.get("values") or {}).items():
        if not isinstance(actions, dict):
            continue
        for action in actions.values():
            if not isinstance(action, dict):
                continue
            kind = action.get("type")
            if kind == "plain_text_input":
                values[block_id] = str(action.get("value") or "")
            elif kind == "static_select":
                values[block_id] = str((action.get("selected_option") or {}).get("value") or "")
            elif kind == "checkboxes":
                values[block_id] = ",".join(str(o.get("value", "")) for o in action.get("selected_options") or [])
    return values
