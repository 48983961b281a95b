"""Every sentence bot/ writes to people in Slack, in one place.

Each value that comes from outside our code (what someone typed, a site name, a spec key, a status or
note from the database) goes in through `escape`, `code` or a `<@user>` mention, so no path can show it
as live markup. Our own sentences are never passed through `escape`: it would strip the emoji's
variation selectors. The answers are mrkdwn text; the caller wraps them (`notice`, an ack, a webhook).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from integrations.slack.text import code, escape
from jobs.conversation.channels import CONFIG_KEYS, ChannelConfig

CMD = "/generate-tickets"
PROBLEMS_IN_ANSWER = 10

# ---- before the work: who may use the bot, and where ---------------------------------------------------

GUEST = "ticketbot only works for members of its own Slack workspace."
NOT_HERE = ("I do not work in this channel. An admin can add it to `TICKETBOT_CHANNELS` if it should be "
            "one of mine.")
INVITE = "If I am not in this channel yet, invite me with `/invite @ticketbot` and share the files again."

# ---- when the work could not be done ----------------------------------------------------------------

BUSY = "ticketbot is too busy to take this right now and did not do it. Please try again in a minute."
RESTARTING = "ticketbot is restarting and did not do this. Please try again in a minute."
NOT_DONE = "Something went wrong on our side and this was not done. Please try again."


def refusal(message: str) -> str:
    """A use-case refusal (ProcessingError) as a sentence; it may quote what the person typed: shown inert."""
    text = message.strip()
    return escape(text[:1].upper() + text[1:])


def internal_error(reference: str) -> str:
    """An unexpected failure: the correlation id an admin finds in the log."""
    return (f"Something went wrong on our side. An admin can find the details in the logs under "
            f"reference {escape(reference)}.")


def usage(problem: str) -> str:
    """A mistake in the command text; the problem quotes what was typed."""
    return f"That did not work: {escape(problem)}. Type `{CMD} help` for the commands."


def approvers_only(command: str, approvers: Iterable[str]) -> str:
    return f"Only the approvers of this channel may use `{escape(command)}`: {_people(approvers)}."


# ---- start, status, cancel, retry, errors ------------------------------------------------------------

NO_SESSION = "No session in this channel yet: share the spec's files here first."
NOTHING_TO_UNDO = "Nothing to undo: no session in this channel has pushed anything to Jira."
NOTHING_UPLOADED = ("Nothing uploaded yet: share the spec's CSV files (or an .xlsx workbook) in this channel "
                    f"first, then type `{CMD}`. " + INVITE)
CANNOT_POST = "The run started, but I cannot post in this channel. " + INVITE
NOTHING_RUNNING = "No generation is running in this channel."
CANCELLING = "⏹ Cancelling: the run stops after the ticket in hand. Tickets written so far are kept."
ALREADY_RUNNING = "A generation is already running for this session; its progress is in the thread."
PROBLEMS_TITLE = "Problems in this channel's spec"


def last_session(status: str) -> str:
    """`start` with no session collecting files: what became of the last one."""
    return (f"This channel's last session is {escape(status)}. React 🔁 on its progress message "
            f"(or `{CMD} retry`) to generate it again, or share new files to start a new session.")


def spec_has_errors(problems: Sequence[str]) -> str:
    shown = "\n".join(f"• {escape(p)}" for p in problems[:PROBLEMS_IN_ANSWER])
    more = len(problems) - PROBLEMS_IN_ANSWER
    tail = f"\n… and {more} more: `{CMD} errors` lists every one." if more > 0 else ""
    return (f"The spec has {len(problems)} error(s). Fix them and upload the files again, or type "
            f"`{CMD} start anyway` to leave those rows out.\n{shown}{tail}")


def run_already_going(generation: int, done: int, total: int, stage: str, *, files_waiting: bool) -> str:
    waiting = (f" The files shared since it started are kept for the next run: type `{CMD}` again once "
               "it is done." if files_waiting else "")
    return (f"A run is already going in this channel: generation {generation}, "
            f"{done} of {total} tickets written ({escape(stage)}). "
            f"Its progress is in the thread.{waiting}")


def run_started(tickets: int, site: str, generation: int, *, queue_note: str, estimate: str | None,
                revision: str = "") -> str:
    note = f"\n{escape(queue_note)}" if queue_note else ""
    if revision:
        note += (f"\nCompared with what was pushed before: {escape(revision)}. Only new and changed tickets are "
                 "written; unchanged ones are kept as they are in Jira.")
    if estimate is not None:
        note += f"\nEstimate: {escape(estimate)}."
    return (f"▶️ Writing {tickets} tickets for *{escape(site)}* "
            f"(generation {generation}); the progress is in the thread.{note}")


def run_restarted(generation: int, queue_note: str) -> str:
    note = f"\n{escape(queue_note)}" if queue_note else ""
    return f"🔁 Generation {generation} started: drafts not approved are rewritten in place." + note


# ---- push and confirm ------------------------------------------------------------------------------------

NO_SESSION_TO_PUSH = "No session in this channel yet."
NOTHING_TO_CONFIRM = "Jira is not configured: there is nothing to confirm."


def nothing_to_push(note: str) -> str:
    return escape(note) or "Nothing to push."


def pushing(count: int | None, note: str) -> str:
    what = f"{count} approved ticket{'s' * (count != 1)}" if isinstance(count, int) else "the approved tickets"
    return (f"🚀 Pushing {what} to Jira; each draft shows its issue once it is created."
            + (f"\n{escape(note)}" if note else ""))


def no_epic_waiting(group: str) -> str:
    return f"No epic of group {code(group)} is waiting for a person in this session."


def no_ticket_with_key(key: str) -> str:
    return f"No ticket with spec key {code(key)} in this session."


# ---- new, health, config ---------------------------------------------------------------------------------

NOTHING_TO_CLOSE = "No session is collecting files here: the next upload starts a new session and thread."
CLOSED = ("Closed the open session. The next upload in this channel starts a new session, "
          "in a thread of its own.")


def health(checks: Iterable[tuple[str, bool, bool, str]]) -> str:
    """One line per check: (name, ok, skipped, detail); ➖ for what is not configured, as doctor's –."""
    return "\n".join(f"{'➖' if skipped else '✅' if ok else '❌'} *{escape(name)}*: {escape(detail)}"
                     for name, ok, skipped, detail in checks)


def channel_settings(config: ChannelConfig, admins: Iterable[str], *, saved: bool) -> str:
    approvers = _people(config.approvers) or "anyone in the channel"
    source = "set for this channel" if config.approvers_from_channel else "the default"
    lines = [f"*Settings of this channel*{' (saved)' if saved else ''}",
             f"• `jira_project`: {code(config.jira_project) if config.jira_project else 'not set'}",
             f"• `approvers`: {approvers} ({source})",
             f"• admins (`TICKETBOT_ADMINS`, always approvers): {_people(admins) or 'none'}",
             "• `merge_threshold`: " + (f"{config.merge_threshold} (set for this channel)"
                                         if config.merge_threshold is not None else "the default"),
             "• `digest`: " + ("off (one message per draft)" if config.digest == "off" else
                               "always" if config.digest == "0" else
                               f"runs of more than {config.digest} tickets (set for this channel)" if config.digest
                               else "the default"),
             "Change one with `" + CMD + " config KEY VALUE`: " + "; ".join(
                 f"`{k}` — {v}" for k, v in CONFIG_KEYS.items())]
    return "\n".join(lines)


def _people(user_ids: Iterable[str]) -> str:
    return ", ".join(f"<@{escape(u)}>" for u in user_ids)
