"""The buttons on a draft, a digest line's overflow menu, the View / Edit / Regenerate modals, and a 🔁 reply.

Acknowledged at once, like every request. Approve and Reject run in the listener processes (lazy), as
reactions do. A button that opens a modal cannot wait for the listener queue: Slack's trigger_id expires
3 s after the click, and a queue behind a burst of uploads may be longer than that. So the acknowledging
process opens the modal itself, on a small pool of its own threads (off the acknowledgement's path): a
"reading the ticket" modal first, with nothing but the trigger, then views.update with the ticket. A form
submitted is checked in the acknowledgement (Slack shows the errors under the fields), then stored lazily.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App

from bot.slack.context import SlackBot
from integrations.slack import action_ids, modals
from integrations.slack.blocks import notice
from integrations.slack.errors import SlackError
from integrations.slack.text import escape
from integrations.writers.prompt import GUIDANCE_MAX
from jobs.conversation.draft_actions import REPLY_PREFIX, Click, DraftActions
from jobs.errors import ProcessingError
from jobs.generation import person_edit

log = logging.getLogger(__name__)

MODAL_OPENERS = 4
BUTTONS = {action_ids.DRAFT_APPROVE: "approve", action_ids.DRAFT_REGENERATE: "regenerate",
           action_ids.DRAFT_REJECT: "reject", action_ids.DRAFT_EDIT: "edit", action_ids.DRAFT_VIEW: "view"}
MODAL_VERBS = {"regenerate": (action_ids.REGENERATE_MODAL, "Regenerate"),
               "edit": (action_ids.EDIT_MODAL, "Edit ticket"), "view": (action_ids.VIEW_MODAL, "Ticket")}
COULD_NOT_OPEN = "Slack did not open the form in time (it allows 3 s). Please click again."


def clicked(body: dict[str, Any]) -> Click | None:
    """Who clicked what on which ticket, from a block_actions payload; None for a forged or stale value."""
    action = (body.get("actions") or [{}])[0]
    action_id = str(action.get("action_id", ""))
    channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
    user = str((body.get("user") or {}).get("id", ""))
    if action_id == action_ids.DRAFT_MENU:
        parsed = action_ids.parse_menu_value(str((action.get("selected_option") or {}).get("value", "")))
        if parsed is None:
            return None
        verb, ticket_id = parsed
    elif action_id in BUTTONS and str(action.get("value", "")).isdigit():
        verb, ticket_id = BUTTONS[action_id], int(action["value"])
    else:
        return None
    if not channel or not user:
        return None
    return Click(channel, user, verb, ticket_id)


def register(app: App, bot: SlackBot) -> None:
    actions = DraftActions(uow_factory=bot.services.uow_factory, review=bot.review,
                           max_regenerations=bot.services.processing.config.max_regenerations)
    gateway = bot.slack.gateway
    openers = ThreadPoolExecutor(max_workers=MODAL_OPENERS, thread_name_prefix="modal-opener")

    def tell(channel: str, user: str, text: str) -> None:
        try:
            gateway.post_ephemeral(channel, user, notice(text))
        except SlackError as exc:
            log.warning("could not tell %s in %s: %s", user, channel, exc.message)

    def failed(exc: Exception, channel: str, user: str, kind: str) -> None:
        bot.report_error(exc, {"channel_id": channel, "user_id": user, "type": kind})

    # ---- buttons and the overflow menu --------------------------------------------------------------

    def acknowledge_click(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        click = clicked(body)
        if click is not None and click.verb in MODAL_VERBS and body.get("trigger_id"):
            openers.submit(open_modal, click, str(body["trigger_id"]))

    def open_modal(click: Click, trigger_id: str) -> None:
        """In the acknowledging process: the trigger expires 3 s after the click."""
        callback_id, title = MODAL_VERBS[click.verb]
        try:
            if not actions.first_click(click):
                return  # the second click of a double click: one modal
            refused = actions.refusal(click)
            if refused:
                tell(click.channel, click.user, refused)
                return
            view_id = gateway.open_modal(trigger_id, modals.loading_modal(callback_id, title))
            gateway.update_modal(view_id, modal_for(click, callback_id, title))
        except SlackError as exc:
            log.warning("could not open the %s modal for ticket %s: %s", click.verb, click.ticket_id, exc.message)
            tell(click.channel, click.user, COULD_NOT_OPEN)
        except Exception as exc:
            failed(exc, click.channel, click.user, "block_actions")

    def modal_for(click: Click, callback_id: str, title: str) -> dict[str, Any]:
        try:
            view = actions.modal_view(click.ticket_id, click.channel)
        except ProcessingError as exc:
            return modals.notice_modal(callback_id, title, escape(exc.message.capitalize()) + ".")
        if click.verb == "view":
            return modals.view_modal(view)
        if click.verb == "edit":
            if not actions.editable(click.ticket_id):
                return modals.notice_modal(callback_id, title, (
                    f"This ticket is {escape(view.status)} and on its way to Jira (or in it): it can no longer be "
                    "edited here. Change it in Jira."))
            return modals.edit_modal(view)
        if view.regenerations >= view.max_regenerations:
            return modals.notice_modal(callback_id, title, (
                f"This draft was rewritten {view.regenerations} times, the most allowed. Use Edit to change it "
                "yourself, or change it in Jira after approving it."))
        return modals.regenerate_modal(view)

    def on_click(body: dict[str, Any]) -> None:
        """In a listener process: Approve and Reject (a modal's verbs were handled in the acknowledgement)."""
        click = clicked(body)
        if click is None or click.verb in MODAL_VERBS:
            return
        try:
            if not actions.first_click(click):
                return  # a double click acts once
            refused = actions.refusal(click)
            outcome = None if refused else actions.decide(click)
            note = refused or (outcome.ephemeral if outcome else "")
            if note:
                tell(click.channel, click.user, note)
        except Exception as exc:
            failed(exc, click.channel, click.user, "block_actions")

    buttons = re.compile("^(" + "|".join(map(re.escape, [*BUTTONS, action_ids.DRAFT_MENU])) + ")$")
    app.action(buttons)(ack=acknowledge_click, lazy=[on_click])

    # ---- the Edit modal -----------------------------------------------------------------------------

    def submitted(body: dict[str, Any]) -> tuple[Click, dict[str, str]] | None:
        view = body.get("view") or {}
        target = modals.parse_metadata(str(view.get("private_metadata", "")))
        user = str((body.get("user") or {}).get("id", ""))
        if target is None or not user:
            return None
        verb = "edit" if view.get("callback_id") == action_ids.EDIT_MODAL else "regenerate"
        return Click(target[1], user, verb, target[0]), modals.submitted_values(view.get("state") or {})

    def acknowledge_edit(ack: Ack, body: dict[str, Any]) -> None:
        form = submitted(body)
        errors = person_edit.validate(form[1]) if form is not None else {}
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def first_submission(body: dict[str, Any]) -> bool:
        """A modal closes on its first valid submission: its view id is seen once (answered with errors, it
        stays open and the same view comes again, so this is asked only of a valid one)."""
        return bot.access.first_time(f"submit:{(body.get('view') or {}).get('id', '')}", "view_submission")

    def on_edit(body: dict[str, Any]) -> None:
        form = submitted(body)
        if form is None or person_edit.validate(form[1]) or not first_submission(body):
            return  # refused in the acknowledgement (Slack showed why), or the same submission again
        click, values = form
        try:
            refused = actions.refusal(click)
            note = refused or actions.edit(click, values).ephemeral
            if note:
                tell(click.channel, click.user, note)
        except Exception as exc:
            failed(exc, click.channel, click.user, "view_submission")

    app.view(action_ids.EDIT_MODAL)(ack=acknowledge_edit, lazy=[on_edit])

    # ---- the Regenerate modal -----------------------------------------------------------------------

    def acknowledge_regenerate(ack: Ack, body: dict[str, Any]) -> None:
        form = submitted(body)
        guidance = form[1].get(modals.GUIDANCE_INPUT, "").strip() if form is not None else ""
        if len(guidance) > GUIDANCE_MAX:
            ack(response_action="errors",
                errors={modals.GUIDANCE_INPUT: f"At most {GUIDANCE_MAX} characters ({len(guidance)} now)."})
        else:
            ack()

    def on_regenerate(body: dict[str, Any]) -> None:
        form = submitted(body)
        if form is None or len(form[1].get(modals.GUIDANCE_INPUT, "").strip()) > GUIDANCE_MAX \
                or not first_submission(body):
            return
        click, values = form
        try:
            refused = actions.refusal(click)
            outcome = None if refused else actions.regenerate(
                click, values.get(modals.GUIDANCE_INPUT, ""), "replace" in values.get(modals.REPLACE_EDIT_INPUT, ""))
            note = refused or (outcome.ephemeral if outcome else "")
            if note:
                tell(click.channel, click.user, note)
        except Exception as exc:
            failed(exc, click.channel, click.user, "view_submission")

    app.view(action_ids.REGENERATE_MODAL)(ack=acknowledge_regenerate, lazy=[on_regenerate])

    # ---- closing a modal changes nothing; the View modal has nothing to submit ----------------------

    def acknowledge(ack: Ack) -> None:
        ack()

    for callback_id in (action_ids.EDIT_MODAL, action_ids.REGENERATE_MODAL, action_ids.VIEW_MODAL):
        app.view_closed(callback_id)(ack=acknowledge, lazy=[])
    app.view(action_ids.VIEW_MODAL)(ack=acknowledge, lazy=[])

    # ---- "🔁 3 what should change" in a session's thread --------------------------------------------

    def on_reply(body: dict[str, Any], event: dict[str, Any]) -> None:
        thread_ts = str(event.get("thread_ts") or "")
        if event.get("subtype") or not thread_ts or thread_ts == event.get("ts"):
            return  # a top-level message, an edit, a broadcast: not a reply asking for a rewrite
        if not bot.access.first_time(str(body.get("event_id", "")), "message.reply"):
            return
        channel, user = str(event.get("channel", "")), str(event.get("user", ""))
        if not bot.access.allowed(channel):
            return
        try:
            outcome = actions.regenerate_from_reply(channel, thread_ts, user, str(event.get("text", "")))
            if outcome.ephemeral:
                tell(channel, user, outcome.ephemeral)
        except Exception as exc:
            failed(exc, channel, user, "message")

    app.message(REPLY_PREFIX)(ack=acknowledge, lazy=[on_reply])
