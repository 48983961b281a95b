"""Carrying out `/generate-tickets` subcommands; each answer is a list of ephemeral messages."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from bot.slack import replies
from bot.slack.slash import Command
from bot.wiring.bootstrap import Services
from bot.wiring.health import check_services
from integrations.slack.blocks import Message, help_message, notice, problem_pages, section, status_message
from integrations.slack.confirmation_blocks import confirmation_message
from integrations.slack.errors import SlackError, SlackRejected
from integrations.slack.history_blocks import history_message
from integrations.slack.views import StatusView
from jobs.conversation.channels import ChannelAccess, SessionRecordView, setting_name
from jobs.conversation.confirmations import Asked, BulkAction, BulkConfirmations
from jobs.conversation.next_step import next_step
from jobs.conversation.publisher_port import TicketPublisher
from jobs.conversation.uploads import UploadService
from jobs.errors import SpecHasErrors
from jobs.revision.history import key_history
from jobs.thread.outbox import SlackThread
from jobs.thread.views import problem_view


@dataclass(frozen=True)
class CommandRequest:
    channel_id: str
    channel_name: str
    user_id: str
    team_id: str = ""


class SlashCommands:
    def __init__(self, *, services: Services, thread: SlackThread, access: ChannelAccess,
                 publisher: TicketPublisher, confirmations: BulkConfirmations | None = None,
                 uploads: UploadService | None = None) -> None:
        self.services = services
        self.uploads = uploads
        self.confirmations = confirmations
        self.processing = services.processing
        self.thread = thread
        self.access = access
        self.publisher = publisher

    def run(self, command: Command, request: CommandRequest) -> list[Message]:
        """The answers to one command; ProcessingError (plain words) is answered by the caller."""
        # Who may set approvers is ChannelAccess's own, stricter rule (admins; while unset, the first session's
        # starter): "ask the approvers" would be the wrong answer there, since they cannot change the list.
        changes_state = command.name in ("cancel", "retry", "push", "undo", "new") or (
            command.name == "config" and bool(command.key) and setting_name(command.key) != "approvers")
        if changes_state and not self.access.may_change(request.channel_id, request.user_id):
            return [notice(replies.approvers_only(command.name, self.access.config(request.channel_id).approvers))]
        return self._handlers()[command.name](command, request)

    def _handlers(self) -> dict[str, Callable[[Command, CommandRequest], list[Message]]]:
        """Each subcommand's handler, by name: a table jump-to-definition follows (no lookup by string)."""
        return {
            "help": self.do_help, "start": self.do_start, "status": self.do_status, "errors": self.do_errors,
            "push": self.do_push, "cancel": self.do_cancel, "retry": self.do_retry, "new": self.do_new,
            "config": self.do_config, "health": self.do_health, "history": self.do_history,
            "usage": self.do_usage, "undo": self.do_undo, "remove": self.do_remove,
        }

    # ---- subcommands ------------------------------------------------------------------------------

    def do_help(self, command: Command, request: CommandRequest) -> list[Message]:
        return [help_message()]

    def do_start(self, command: Command, request: CommandRequest) -> list[Message]:
        session, latest_status, files_waiting = self.access.session_to_start(request.channel_id)
        if session is None:
            if latest_status is not None:
                return [notice(replies.last_session(latest_status))]
            return [notice(replies.NOTHING_UPLOADED)]
        session_id = session.id
        # No site named: a revised spec keeps the site its channel pushed; a first spec takes the channel's name.
        site = command.site or session.site_name or request.channel_name
        try:
            started = self.processing.generate_tickets(
                session_id, requested_by=request.user_id, site_name=command.site or session.site_name or None,
                description=command.description or None, start_anyway=command.anyway,
                fallback_site=request.channel_name,
            )
        except SpecHasErrors as exc:
            return [notice(replies.spec_has_errors(exc.problems))]
        if started.already_running:
            status = self.processing.get_processing_status(session_id)
            return [notice(replies.run_already_going(started.generation, status.done, status.total, status.stage,
                                                     files_waiting=files_waiting))]
        try:
            self.thread.show_progress(session_id, post_only=True)  # the worker's edits take it from there
        except SlackRejected as exc:
            if exc.not_in_channel:
                return [notice(replies.CANNOT_POST)]
        except SlackError:
            pass  # the worker posts the progress message when it starts
        estimate = started.estimate.describe() if started.estimate is not None else None
        return [notice(replies.run_started(started.estimated_tickets, started.site or site, started.generation,
                                           queue_note=started.queue_note, estimate=estimate,
                                           revision=started.revision))]

    def do_status(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice(replies.NO_SESSION)]
        status = self.processing.get_processing_status(session.id)
        files, counts = self.processing.session_counts(session.id)
        shown = status_message(StatusView(
            site=session.site_name, session_state=session.status, files=files, generation=status.generation,
            task_state=status.task_status, done=status.done, total=status.total, stage=status.stage, tickets=counts,
            error=status.error_message,
        ))
        step = "*Next:* " + next_step(session.status, files, status.task_status, counts)
        return [Message(f"{shown.text}\n{step}", [*shown.blocks, section(step)])]

    def do_cancel(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        task_id = self.processing.cancel_processing(session.id, requested_by=request.user_id) if session else None
        if session is None or task_id is None:
            return [notice(replies.NOTHING_RUNNING)]
        self._show_progress(session.id)
        return [notice(replies.CANCELLING)]

    def do_retry(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice(replies.NO_SESSION)]
        started = self.processing.retry_processing(session.id, requested_by=request.user_id)
        if started.already_running:
            return [notice(replies.ALREADY_RUNNING)]
        self._show_progress(session.id)
        return [notice(replies.run_restarted(started.generation, started.queue_note))]

    def do_errors(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice(replies.NO_SESSION)]
        plan = self.processing.plan_session_by_id(session.id)
        run_errors = [f"{e.entity + ': ' if e.entity else ''}{e.message}"
                      for e in self.processing.get_processing_errors(session.id)
                      if e.category != "user_fixable" or e.task_id is not None]
        problems = [problem_view(p) for p in plan.problems]
        return problem_pages(replies.PROBLEMS_TITLE, problems, run_errors)

    def do_push(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None:
            return [notice(replies.NO_SESSION_TO_PUSH)]
        if command.key == "confirm":
            confirmed = self._confirm_missing(session.id, command.value, request.user_id)
            if confirmed is not None:
                return [confirmed]
        elif self.confirmations is not None:  # a bulk action: say what it creates, act on Confirm
            return [self._asked(self.confirmations.ask(session.id, request.user_id, BulkAction.PUSH))]
        started = self.publisher.push_pending(session.id, request.user_id)
        if started.to_push == 0:
            return [notice(replies.nothing_to_push(started.note))]
        self._show_progress(session.id)
        return [notice(replies.pushing(started.to_push, started.note))]

    def _confirm_missing(self, session_id: int, target: str, actor: str) -> Message | None:
        """A person searched Jira for a label and found nothing: the ticket (or epic) may be created once."""
        publishing = self.services.publishing
        if publishing is None:
            return notice(replies.NOTHING_TO_CONFIRM)
        kind, _, name = target.partition(" ")
        if kind.lower() == "overwrite" and name.strip():  # a person compared Jira's edit with the revision
            if not publishing.confirm_overwrite(session_id, name.strip(), actor):
                return notice(replies.no_ticket_with_key(name.strip()))
            return None
        if kind.lower() == "epic" and name.strip():
            if not publishing.confirm_epic_not_in_jira(session_id, name.strip(), actor):
                return notice(replies.no_epic_waiting(name.strip()))
            return None
        if not publishing.confirm_ticket_not_in_jira(session_id, target, actor):
            return notice(replies.no_ticket_with_key(target))
        return None

    def do_undo(self, command: Command, request: CommandRequest) -> list[Message]:
        session = self._session(request)
        if session is None or self.confirmations is None:
            return [notice(replies.NOTHING_TO_UNDO)]
        return [self._asked(self.confirmations.ask(session.id, request.user_id, BulkAction.UNDO))]

    def do_remove(self, command: Command, request: CommandRequest) -> list[Message]:
        if self.uploads is None:
            return [notice(replies.NOTHING_UPLOADED)]
        return [notice(self.uploads.remove(request.channel_id, command.value, request.user_id))]

    @staticmethod
    def _asked(asked: Asked) -> Message:
        return confirmation_message(asked.view) if asked.view is not None else notice(asked.note)

    def do_new(self, command: Command, request: CommandRequest) -> list[Message]:
        closed = self.access.close_open_session(request.channel_id, request.user_id)
        if closed is None:
            return [notice(replies.NOTHING_TO_CLOSE)]
        return [notice(replies.CLOSED)]

    def do_health(self, command: Command, request: CommandRequest) -> list[Message]:
        checks = check_services(self.services, self.access.config(request.channel_id).jira_project or None)
        return [notice(replies.health((c.name, c.ok, c.skipped, c.detail) for c in checks))]

    def do_config(self, command: Command, request: CommandRequest) -> list[Message]:
        if command.key:
            self.access.set_config(request.channel_id, command.key, command.value, request.user_id)
        config = self.access.config(request.channel_id)
        return [notice(replies.channel_settings(config, self.access.admins, saved=bool(command.key)))]

    def do_history(self, command: Command, request: CommandRequest) -> list[Message]:
        """Every version of one ticket in this channel: session, upload, writer, approver, Jira key."""
        with self.services.uow_factory() as uow:
            view = key_history(uow, request.channel_id, command.key)
        return [history_message(view)]

    def do_usage(self, command: Command, request: CommandRequest) -> list[Message]:
        return [notice(replies.usage(command.problem))]

    # ---- helpers ----------------------------------------------------------------------------------

    def _session(self, request: CommandRequest) -> SessionRecordView | None:
        return self.access.session_for_commands(request.channel_id)

    def _show_progress(self, session_id: int) -> None:
        with contextlib.suppress(SlackError):  # the sweeper shows it later; the change itself is stored
            self.thread.show_progress(session_id, bump=True)

