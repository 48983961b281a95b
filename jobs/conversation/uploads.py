"""Uploads from Slack: each file fetched once, read, stored in the channel's open session, answered.

A message with files and the `file_shared` events for the same files arrive separately (and may be
retried); a file is claimed once by its id, so whichever delivery comes first handles it. Every
upload gets ONE reply in the session's thread, edited as its files are read.

Files join only a session still collecting. Once its generation starts the session's upload set is
frozen (retries and 🔁 plan from exactly those files), so files shared during or after a run go to
the channel's next session, in a thread of its own; a start at the very moment a file is stored is
decided by the session row (`UploadRepository.add`), and the rest of that upload follows to the next
session.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from integrations.slack.blocks import Message, notice, upload_reply_message
from integrations.slack.errors import DownloadRefused, SlackError
from integrations.slack.files import FileDownloader, is_not_spreadsheet
from integrations.slack.gateway import SlackFile, SlackGateway
from integrations.slack.text import code, mention
from integrations.spec.reader import read_upload
from jobs.conversation.channels import ChannelAccess, channel_plan_options
from jobs.planning import Plan, PlanCache, UploadedFile
from jobs.revision.previous import upload_comparison
from jobs.states import SessionStatus
from jobs.thread.outbox import Outgoing, SlackThread
from jobs.thread.views import upload_key, upload_reply_view
from storage.errors import UploadsFrozen
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.0  # the reply is edited at most this often while files are read (and always at the end)


@dataclass(frozen=True)
class SharedFiles:
    """Files shared into a channel: from a `message` (with its ts) or a `file_shared` event (without)."""

    channel: str
    user: str
    file_ids: tuple[str, ...]
    message_ts: str | None = None
    thread_ts: str | None = None  # set when the files were shared inside a thread
    team: str = ""


@dataclass
class _Upload:
    session_id: int  # where its files go: the channel's collecting session
    key: str
    earlier: list[int] = field(default_factory=list)  # sessions that took some of its files, then started
    reading: list[str] = field(default_factory=list)
    plan: Plan | None = None
    edited_at: float = 0.0
    revision: str = ""  # a revised spec's comparison with what the channel pushed, once planned


class UploadService:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, gateway: SlackGateway, downloader: FileDownloader,
                 thread: SlackThread, access: ChannelAccess, plan_cache: PlanCache) -> None:
        self.uow_factory = uow_factory
        self.gateway = gateway
        self.downloader = downloader
        self.thread = thread
        self.access = access
        self.plan_cache = plan_cache  # shared with the processing service: `start` reuses this plan

    def handle(self, shared: SharedFiles) -> int | None:
        """Read the files not seen before into the channel's open session; returns the session id."""
        if not self.access.allowed(shared.channel):
            return None
        with self.uow_factory() as uow:
            new = [f for f in dict.fromkeys(shared.file_ids) if uow.events.first_time(f"file:{shared.channel}:{f}",
                                                                                      "file")]
            uow.commit()
        if not new:
            return None
        infos: dict[str, SlackFile | SlackError] = {}
        for file_id in new:
            try:
                infos[file_id] = self.gateway.file_info(file_id)
            except SlackError as exc:
                infos[file_id] = exc
        ignored = [i.name for i in infos.values() if isinstance(i, SlackFile) and is_not_spreadsheet(i.name,
                                                                                                    i.mimetype)]
        infos = {f: i for f, i in infos.items()
                 if not (isinstance(i, SlackFile) and is_not_spreadsheet(i.name, i.mimetype))}
        if ignored:
            self._note_ignored(shared, ignored)
        if not infos:
            return None  # a screenshot or a PDF in the channel: no session, no reply
        shares = [i.shares[shared.channel] for i in infos.values()
                  if isinstance(i, SlackFile) and shared.channel in i.shares]
        share_ts = shared.message_ts or (shares[0] if shares else None)
        session_id, thread_ts = self._session_for(shared, shared.thread_ts or share_ts)
        if thread_ts is None:
            thread_ts = self._root_thread(session_id, shared)
        upload = _Upload(session_id, upload_key(session_id, share_ts or new[0]),
                         reading=[i.name if isinstance(i, SlackFile) else f for f, i in infos.items()])
        self._reply(upload, shared.channel, thread_ts)
        for file_id, info in infos.items():
            self._read_one(upload, shared, file_id, info)
            if time.monotonic() - upload.edited_at >= EDIT_INTERVAL_S:  # big files: show each as it is read
                self._reply(upload, shared.channel, thread_ts)
        with self.uow_factory() as uow:
            files = [UploadedFile(u.name, u.data) for u in uow.uploads.active(session_id)]
            options = channel_plan_options(uow, shared.channel, self.plan_cache.options)
        upload.plan = self.plan_cache.plan(files, options)
        with self.uow_factory() as uow:
            comparison = upload_comparison(uow, session_id, upload.plan.tickets, self.access.default_project)
        upload.revision = comparison.summary() if comparison is not None else ""
        self._reply(upload, shared.channel, thread_ts)
        return session_id

    def remove(self, channel: str, name: str, actor: str) -> str:
        """`remove FILE`: take one upload (exact name, or an unambiguous prefix) out of the open session."""
        with self.uow_factory() as uow:
            session = uow.sessions.collecting_in_channel(channel)
            if session is None:
                return "No session is collecting files in this channel; a file can only be removed before `start`."
            active = uow.uploads.active(session.id)
            wanted = name.strip().lower()
            matches = [u for u in active if u.name.lower() == wanted] or \
                [u for u in active if u.name.lower().startswith(wanted)]
            if not matches:
                names = ", ".join(code(u.name) for u in active[:20]) or "none"
                return f"No uploaded file is called {code(name)}. The session's files: {names}."
            if len(matches) > 1:
                return (f"{code(name)} could be {', '.join(code(u.name) for u in matches[:10])}; "
                        "type more of the name.")
            upload = matches[0]
            if not uow.uploads.remove(session.id, upload.id, actor):
                return "This session's generation has started, so its files are fixed; `new` starts a fresh one."
            uow.audit.record(actor, "remove_upload", session_id=session.id, detail=upload.name)
            uow.commit()
            session_id, thread_ts, reply_ts, removed = session.id, session.thread_ts, upload.reply_ts, upload.name
            reply = uow.messages.by_ts(channel, reply_ts) if reply_ts else None
            key = reply.key if reply is not None and reply.key.startswith("upload:") else None
        if key is not None:  # the upload's reply shows the file as removed, and the new counts
            upload_state = _Upload(session_id, key)
            with self.uow_factory() as uow:
                files = [UploadedFile(u.name, u.data) for u in uow.uploads.active(session_id)]
                options = channel_plan_options(uow, channel, self.plan_cache.options)
            upload_state.plan = self.plan_cache.plan(files, options) if files else None
            self._reply(upload_state, channel, thread_ts)
        return f"Removed {code(removed)} from this session's files."

    def _note_ignored(self, shared: SharedFiles, names: list[str]) -> None:
        """At most one short note per channel session: not spreadsheets, so not read."""
        with self.uow_factory() as uow:
            # Keyed on the last session whose files are fixed: every upload until the next start is one session.
            before = uow.sessions.latest_started_in_channel(shared.channel)
            first = uow.events.first_time(f"ignored-files:{shared.channel}:{before.id if before else 0}", "note")
            uow.commit()
        if not first:
            return
        shown = ", ".join(code(n) for n in names[:5]) + (" …" if len(names) > 5 else "")
        try:
            self.gateway.post_ephemeral(shared.channel, shared.user, notice(
                f"Ignored {shown}: not a spreadsheet. ticketbot reads the spec's CSV files and .xlsx workbooks."))
        except SlackError as exc:
            log.warning("could not tell %s about ignored files: %s", shared.user, exc.message)

    # ---- steps --------------------------------------------------------------------------------------

    def _session_for(self, shared: SharedFiles, root_ts: str | None) -> tuple[int, str | None]:
        """The channel's collecting session, or a new one rooted on the message that shared the files.

        A file shared inside another session's thread (one running, or done) starts a session whose
        thread is its own: no thread mixes two sessions' output (None: a root message is posted).
        """
        for _ in range(3):
            with self.uow_factory() as uow:
                session = uow.sessions.collecting_in_channel(shared.channel)
                if session is not None:
                    return session.id, session.thread_ts
                if root_ts is not None and uow.sessions.by_thread(shared.channel, root_ts) is not None:
                    root_ts = None
                try:
                    session = uow.sessions.add(channel_id=shared.channel, thread_ts=root_ts, created_by=shared.user,
                                               team_id=shared.team, status=SessionStatus.COLLECTING)
                    uow.audit.record(shared.user, "session", session_id=session.id, detail="created by an upload")
                    uow.commit()
                    return session.id, session.thread_ts
                except IntegrityError:  # another delivery of the same upload created it first
                    uow.rollback()
        raise RuntimeError(f"could not find or create the open session of channel {shared.channel}")

    def _root_thread(self, session_id: int, shared: SharedFiles) -> str | None:
        """No message to root the thread on (a share Slack did not tell us about): post one."""
        def on_posted(uow: UnitOfWork, ts: str) -> None:
            session = uow.sessions.get(session_id)
            session.thread_ts = session.thread_ts or ts

        text = notice(f"📄 Spec files shared by {mention(shared.user)}; the answers are in this thread.")
        ts = self.thread.deliver(Outgoing(
            f"root:s{session_id}", shared.channel, None, lambda _uow: text,
            lambda channel, _thread, key, message: self.gateway.post_thread_root(channel, key, message),
            self.gateway.update_upload_reply, session_id=session_id, on_posted=on_posted,
        ))
        with self.uow_factory() as uow:
            return uow.sessions.get(session_id).thread_ts or ts

    def _reply(self, upload: _Upload, channel: str, thread_ts: str | None) -> str | None:
        """Post the upload's reply once, or edit it to what is known now."""
        def render(uow: UnitOfWork) -> Message:
            record = uow.messages.get(upload.key)
            reply_ts = record.ts if record is not None else None
            return upload_reply_message(upload_reply_view(uow, upload.session_id, upload.key, reply_ts,
                                                          upload.reading, upload.plan, earlier=upload.earlier,
                                                          revision=upload.revision))

        upload.edited_at = time.monotonic()
        try:
            return self.thread.deliver(Outgoing(upload.key, channel, thread_ts, render, self.gateway.reply_upload,
                                                self.gateway.update_upload_reply, session_id=upload.session_id),
                                       bump=True)
        except SlackError as exc:
            log.warning("upload reply %s: %s", upload.key, exc.message)
            return None

    def _read_one(self, upload: _Upload, shared: SharedFiles, file_id: str, info: SlackFile | SlackError) -> None:
        name = info.name if isinstance(info, SlackFile) else file_id
        try:
            if isinstance(info, SlackError):
                raise DownloadRefused(f"Slack would not describe the file ({info.message})")
            data = self.downloader.download(info)
        except DownloadRefused as exc:
            log.info("upload %s: %s refused: %s", upload.key, file_id, exc.message)
            with self.uow_factory() as uow:
                uow.errors.add(upload.session_id, "user_fixable", f"{name}: not read: {exc.message}", entity=name,
                               technical_details={"upload_key": upload.key, "file": name, "file_id": file_id,
                                                  "reason": exc.message})
                uow.commit()
        else:
            fields = upload_fields(name, data, file_id=file_id, uploaded_by=shared.user)
            for _ in range(3):
                try:
                    self._store(upload, fields)
                    break
                except UploadsFrozen:  # its generation started since this upload began: the next session
                    self._follow_to_next_session(upload, shared)
            else:
                raise RuntimeError(f"upload {upload.key}: no session of channel {shared.channel} kept taking files")
        if name in upload.reading:
            upload.reading.remove(name)

    def _store(self, upload: _Upload, fields: dict[str, Any]) -> None:
        with self.uow_factory() as uow:
            reply = uow.messages.get(upload.key)
            if uow.uploads.by_file_id(upload.session_id, fields["file_id"]) is None:
                uow.uploads.add(upload.session_id, reply_ts=reply.ts if reply is not None else None, **fields)
            uow.commit()

    def _follow_to_next_session(self, upload: _Upload, shared: SharedFiles) -> None:
        """The upload's session started its run meanwhile: its remaining files go to the next session.

        The upload keeps its one reply (already posted), which lists every file and says which run
        took them; the next session gets a thread of its own for its run.
        """
        log.info("upload %s: session %s started its generation meanwhile; the rest goes to the next session",
                 upload.key, upload.session_id)
        upload.earlier.append(upload.session_id)
        session_id, thread_ts = self._session_for(shared, shared.message_ts if not shared.thread_ts else None)
        if thread_ts is None:
            self._root_thread(session_id, shared)
        upload.session_id = session_id


def upload_fields(name: str, data: bytes, *, file_id: str, uploaded_by: str) -> dict[str, Any]:
    """What an upload row holds, however the file came (Slack, the CLI, a test): the file and its hash,
    and the sheets and problems reading it found, for the upload reply and `errors`."""
    result = read_upload(name, data)
    return dict(
        file_id=file_id[:64], name=name[:255], content_hash=hashlib.sha256(data).hexdigest(), data=data,
        sheets=[{"kind": s.kind.value, "name": s.name, "rows": len(s.rows)} for s in result.sheets],
        problems=[p.to_dict() for p in result.problems], uploaded_by=uploaded_by,
    )
