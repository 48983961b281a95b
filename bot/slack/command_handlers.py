"""Carrying out `/generate-tickets` subcommands; each answer is a list of ephemeral messages."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from bot.slack.slash import Command
from bot.wiring.bootstrap import Services
from bot.wiring.health import check_services
from integrations.slack.blocks import Message, help_message, notice, problem_pages, status_message
from integrations.slack.errors import SlackError, SlackRejected
from integrations.slack.text import code, escape
from integrations.slack.views import StatusView
from jobs.conversation.channels import CONFIG_KEYS, ChannelAccess, SessionRecordView, setting_name
from jobs.conversation.publisher_port import TicketPublisher
from jobs.errors import ProcessingError, SpecHasErrors
from jobs.thread.outbox import SlackThread
from jobs.thread.views import problem_view

CMD = "/generate-tickets"
INVITE = "If I am not in this channel yet, invite me with `/invite @ticketbot` and share the files again."
PROBLEMS_IN_ANSWER = 10


@dataclass(frozen=True)
class CommandRequest:
    channel_id: str
    channel_name: str
    user_id: str
    team_id: str = ""


class SlashCommands:
    def __init__(self, *, services: Services, thread: SlackThread, access: ChannelAccess,
                 publisher: TicketPublisher) -> None:
        self.services = services
        self.processing = services.processing
        self.thread = thread
        self.access = access
        self.publisher = publisher

    def run(self, command: Command, request: CommandRequest) -> list[Message]:
        """The answers to one command; ProcessingError (plain words) is answered by the caller."""
        # Who may set approvers is ChannelAccess's own, stricter rule (admins; while unset, the first session's
        # starter): "ask the approvers" would be the wrong answer there, since they cannot change the list.
        changes_state = command.name in ("cancel", "retry", "push", "new") or (
            command.name == "config" and bool(command.key) and setting_name(command.key) != "approvers")
        if changes_state and not self.access.may_change(request.channel_id, request.user_id):
            people = ", ".join(f"<@{a}>" for a in self.access.config(request.channel_id).approvers)
            return [notice(f"Only the approvers of this channel may use `{command.name}`: {people}.")]
        handler = getattr(self, f"do_{command.name}")
        answer: list[Message] = handler(command, request)
        return answer

    # ---- subcommands ------------------------------------------------------------------------------

    def do_help(self, command: Command, request: CommandRequest) -> list[Message]:
        return [help_message()]

    def do_start(self, command: Command, request: CommandRequest) -> list[Message]:
        with self.services.uow_factory() as uow:  # records do not outlive it: read what is needed here
            session = uow.sessions.open_in_channel(request.channel_id)  # a running one first
            latest = uow.sessions.latest_in_channel(request.channel_id)
            session_id = session.id if session is not None else None
            current_site = session.site_name if session is not None else ""
            latest_status = latest.status if latest is not None else None
            files_waiting = (session is not None and session.status == "processing"
                             and uow.sessions.collecting_in_channel(request.channel_id) is not None)
        if session_id is None:
            if latest_status is not None:
                return [notice(f"This channel's last session is {latest_status}. React 🔁 on its progress message "
                               f"(or `{CMD} retry`) to generate it again, or share new files to start a new "
                               "session.")]
            return [notice("Nothing uploaded yet: share the spec's CSV files (or an .xlsx workbook) in this channel "
                           f"first, then type `{CMD}`. " + INVITE)]
        site = command.site or current_site or request.channel_name
        try:
            started = self.processing.generate_tickets(
                session_id, requested_by=request.user_id, site_name=site,
                description=command.description or None, start_anyway=command.anyway,
            )
        except SpecHasErrors as exc:
            shown = "\n".join(f"• {escape(p)}" for p in exc.problems[:PROBLEMS_IN_ANSWER])
            more = len(exc.problems) - PROBLEMS_IN_ANSWER
            tail = f"\n… and {more} more: `{CMD} errors` lists every one." if more > 0 else ""
            return [notice(f"The spec has {len(exc.problems)} error(s). Fix them and upload the files again, or type "
                           f"`{CMD} start anyway` to leave those rows out.\n{shown}{tail}")]
        if started.already_running:
            status = self.processing.get_processing_status(session_id)
            waiting = (f" The files shared since it started are kept for the next run: type `{CMD}` again once "
                       "it is done." if files_waiting else "")
            return [notice(f"A run is already going in this channel: generation {started.generation}, "
                           f"{status.done} of {status.total} tickets written ({escape(status.stage)}). "
                           f"Its progress is in the thread.{waiting}")]
        try:
            self.thread.show_progress(session_id, post_only=True)  # the worker's edits take it from there
        except SlackRejected as exc:
            if exc.not_in_channel:
                return [notice("The run started, but I cannot post in this channel. " + INVITE)]
        except SlackError:
            pass  # the worker posts the progress message when it starts
        note = f"\n{escape(started.queue_note)}" if started.queue_note else ""
        if started.estimate is not None:
            note += f"\nEstimate: {escape(started.estimate.describe())}."
        return [notice(f"▶️ Writing {started.estimated_tickets} tickets for *{escape(site)}* "
                       f"(generation {started.generation}); the progress is in the thread.{note}")]

    def do_status(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice("No session in this channel yet: share the spec's files here first.")]
        status = self.processing.get_processing_status(session.id)
        with self.services.uow_factory() as uow:
            files = uow.uploads.count_active(session.id)
            counts = uow.tickets.counts(session.id)
        return [status_message(StatusView(
            site=session.site_name, session_state=session.status, files=files, generation=status.generation,
            task_state=status.task_status, done=status.done, total=status.total, stage=status.stage, tickets=counts,
            error=status.error_message,
        ))]

    def do_cancel(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        task_id = self.processing.cancel_processing(session.id, requested_by=request.user_id) if session else None
        if session is None or task_id is None:
            return [notice("No generation is running in this channel.")]
        self._show_progress(session.id)
        return [notice("⏹ Cancelling: the run stops after the ticket in hand. Tickets written so far are kept.")]

    def do_retry(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice("No session in this channel yet: share the spec's files here first.")]
        started = self.processing.retry_processing(session.id, requested_by=request.user_id)
        if started.already_running:
            return [notice("A generation is already running for this session; its progress is in the thread.")]
        self._show_progress(session.id)
        note = f"\n{escape(started.queue_note)}" if started.queue_note else ""
        return [notice(f"🔁 Generation {started.generation} started: drafts not approved are rewritten in place."
                       + note)]

    def do_errors(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice("No session in this channel yet: share the spec's files here first.")]
        plan = self.processing.plan_session_by_id(session.id)
        run_errors = [f"{e.entity + ': ' if e.entity else ''}{e.message}"
                      for e in self.processing.get_processing_errors(session.id)
                      if e.category != "user_fixable" or e.task_id is not None]
        problems = [problem_view(p) for p in plan.problems]
        return problem_pages("Problems in this channel's spec", problems, run_errors)

    def do_push(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice("No session in this channel yet.")]
        if command.key == "confirm":
            confirmed = self._confirm_missing(session.id, command.value, request.user_id)
            if confirmed is not None:
                return [confirmed]
        started = self.publisher.push_pending(session.id, request.user_id)
        count, note = getattr(started, "to_push", None), str(getattr(started, "note", "") or "")
        if count == 0:
            return [notice(escape(note) or "Nothing to push.")]
        self._show_progress(session.id)
        what = f"{count} approved ticket{'s' * (count != 1)}" if isinstance(count, int) else "the approved tickets"
        return [notice(f"🚀 Pushing {what} to Jira; each draft shows its issue once it is created."
                       + (f"\n{escape(note)}" if note else ""))]

    def _confirm_missing(self, session_id: int, target: str, actor: str) -> Message | None:
        """A person searched Jira for a label and found nothing: the ticket (or epic) may be created once."""
        publishing = self.services.publishing
        if publishing is None:
            return notice("Jira is not configured: there is nothing to confirm.")
        kind, _, name = target.partition(" ")
        if kind.lower() == "epic" and name.strip():
            if not publishing.confirm_epic_not_in_jira(session_id, name.strip(), actor):
                return notice(f"No epic of group {code(name.strip())} is waiting for a person in this session.")
            return None
        with self.services.uow_factory() as uow:
            ticket = uow.tickets.by_key(session_id, target)
            ticket_id = ticket.id if ticket is not None else None
        if ticket_id is None:
            return notice(f"No ticket with spec key {code(target)} in this session.")
        publishing.confirm_not_in_jira(ticket_id, actor)
        return None

    def do_new(self, command: Command, request: CommandRequest) -> list[Message]:
        closed = self.access.close_open_session(request.channel_id, request.user_id)
        if closed is None:
            return [notice("No session is collecting files here: the next upload starts a new session and thread.")]
        return [notice("Closed the open session. The next upload in this channel starts a new session, "
                       "in a thread of its own.")]

    def do_health(self, command: Command, request: CommandRequest) -> list[Message]:
        lines = [f"{'✅' if c.ok else '❌'} *{escape(c.name)}*: {escape(c.detail)}"
                 for c in check_services(self.services, self.access.config(request.channel_id).jira_project or None)]
        return [notice("\n".join(lines))]

    def do_config(self, command: Command, request: CommandRequest) -> list[Message]:
        if command.key:
            self.access.set_config(request.channel_id, command.key, command.value, request.user_id)
        config = self.access.config(request.channel_id)
        approvers = ", ".join(f"<@{a}>" for a in config.approvers) or "anyone in the channel"
        source = "set for this channel" if config.approvers_from_channel else "the default"
        lines = [f"*Settings of this channel*{' (saved)' if command.key else ''}",
                 f"• `jira_project`: {code(config.jira_project) if config.jira_project else 'not set'}",
                 f"• `approvers`: {approvers} ({source})",
                 f"• admins (`TICKETBOT_ADMINS`, always approvers): "
                 f"{', '.join(f'<@{a}>' for a in self.access.admins) or 'none'}",
                 "• `merge_threshold`: " + (f"{config.merge_threshold} (set for this channel)"
                                             if config.merge_threshold is not None else "the default"),
                 "Change one with `" + CMD + " config KEY VALUE`: " + "; ".join(
                     f"`{k}` — {v}" for k, v in CONFIG_KEYS.items())]
        return [notice("\n".join(lines))]

    def do_usage(self, command: Command, request: CommandRequest) -> list[Message]:
        return [usage_message(command.problem)]

    # ---- helpers ----------------------------------------------------------------------------------

    def _session(self, request: CommandRequest) -> SessionRecordView | None:
        return self.access.session_for_commands(request.channel_id)

    def _show_progress(self, session_id: int) -> None:
        with contextlib.suppress(SlackError):  # the sweeper shows it later; the change itself is stored
            self.thread.show_progress(session_id, bump=True)


def usage_message(problem: str) -> Message:
    """A mistake in the command text; the problem quotes what was typed, so it is escaped like any input."""
    return notice(f"That did not work: {escape(problem)}. Type `{CMD} help` for the commands.")


def problem_answer(error: ProcessingError) -> Message:
    """A use-case refusal in plain words."""
    text = error.message.strip()
    return notice(escape(text[:1].upper() + text[1:]))


__all__ = ["CommandRequest", "SlashCommands", "problem_answer", "usage_message"]
