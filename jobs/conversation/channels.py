"""Channels the bot works in: which are allowed, who may approve, their settings and open sessions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.errors import Category, ProcessingError
from jobs.planning import PlanOptions
from jobs.states import SessionStatus
from storage.models import ChannelSettingsRecord, SessionRecord
from storage.uow import UnitOfWork, UnitOfWorkFactory

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
CONFIG_KEYS = {
    "jira_project": "the Jira project key new tickets go to, e.g. `RPL`",
    "approvers": "who may approve, reject, regenerate, retry, cancel, push and configure: "
                 "`@someone @other`, or `-` for the default",
    "merge_threshold": "merge menus or image styles by name family past this many new ones, e.g. `10`; "
                       "`0` never merges, `-` for the default",
    "digest": "review a run of more than this many tickets in one digest per group, e.g. `50`; "
              "`always`, `off`, or `-` for the default",
}
KEY_ALIASES = {"jira-project": "jira_project", "project": "jira_project", "approver": "approvers",
               "merge-threshold": "merge_threshold", "digests": "digest", "digest_threshold": "digest",
               "digest-threshold": "digest"}
MERGE_THRESHOLD_MAX = 100_000
DIGEST_THRESHOLD_MAX = 100_000
DIGEST_WORDS = {"always": 0, "on": 0}  # `config digest always`: every run in digests
DIGEST_OFF = ("off", "never", "none")  # `config digest off`: one message per draft, however large the run


def setting_name(key: str) -> str:
    """The setting a typed `config` key means (aliases and case forgiven)."""
    return KEY_ALIASES.get(key.lower(), key.lower())


@dataclass(frozen=True)
class ChannelConfig:
    channel_id: str
    jira_project: str  # empty: the JIRA_PROJECT default
    approvers: tuple[str, ...]  # effective list; empty: anyone in the channel
    approvers_from_channel: bool
    updated_by: str = ""
    merge_threshold: int | None = None  # None: the TICKETBOT_MERGE_THRESHOLD default
    digest: str | None = None  # "off" or a threshold ("0": always); None: the TICKETBOT_DIGEST_THRESHOLD default


class ChannelAccess:
    """The allow-list (TICKETBOT_CHANNELS), admins (TICKETBOT_ADMINS), approvers (per channel, else
    TICKETBOT_APPROVERS), settings."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, channels: Sequence[str] = (),
                 approvers: Sequence[str] = (), admins: Sequence[str] = (), default_project: str = "") -> None:
        self.uow_factory = uow_factory
        self.channels = tuple(channels)
        self.default_approvers = tuple(approvers)
        self.admins = tuple(admins)
        self.default_project = default_project

    def allowed(self, channel_id: str) -> bool:
        return not self.channels or channel_id in self.channels

    def config(self, channel_id: str) -> ChannelConfig:
        with self.uow_factory() as uow:
            record = uow.channels.get(channel_id)
            if record is None:
                return ChannelConfig(channel_id, self.default_project, self.default_approvers, False)
            from_channel = record.approvers is not None
            approvers = tuple(record.approvers or ()) if from_channel else self.default_approvers
            return ChannelConfig(channel_id, record.jira_project or self.default_project, approvers, from_channel,
                                 record.updated_by, _merge_threshold(record), _digest_setting(record))

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def may_change(self, channel_id: str, user_id: str) -> bool:
        """Admins always; anyone else unless approvers are set, then only they (approve, retry, config …)."""
        if self.is_admin(user_id):
            return True
        approvers = self.config(channel_id).approvers
        return not approvers or user_id in approvers

    def set_config(self, channel_id: str, key: str, value: str, actor: str) -> ChannelConfig:
        """Store one per-channel setting; ProcessingError (user_fixable) explains a bad key or value."""
        name = setting_name(key)
        if name not in CONFIG_KEYS:
            raise ProcessingError(f"unknown setting '{key}'; settings are: {', '.join(CONFIG_KEYS)}",
                                  Category.USER_FIXABLE)
        approvers = parse_approvers(value) if name == "approvers" else None
        with self.uow_factory() as uow:
            record = uow.channels.locked(channel_id, actor)  # decided and written under one row lock
            if name == "approvers":
                self._check_may_set_approvers(uow, channel_id, actor, already_set=record.approvers is not None)
            if name == "jira_project":
                project = value.strip().upper()
                if project in ("", "-"):
                    uow.channels.set(channel_id, actor, jira_project=None)
                elif not PROJECT_KEY.match(project):
                    raise ProcessingError(f"'{value}' is not a Jira project key (like RPL)", Category.USER_FIXABLE)
                else:
                    uow.channels.set(channel_id, actor, jira_project=project)
            elif name == "merge_threshold":
                extra = dict(record.extra or {})
                extra.pop("merge_threshold", None)
                if value.strip() not in ("", "-", "default"):
                    extra["merge_threshold"] = parse_merge_threshold(value)
                uow.channels.set(channel_id, actor, extra=extra)
            elif name == "digest":
                extra = dict(record.extra or {})
                extra.pop("digest", None)
                if value.strip().lower() not in ("", "-", "default"):
                    extra["digest"] = parse_digest_setting(value)
                uow.channels.set(channel_id, actor, extra=extra)
            else:
                uow.channels.set(channel_id, actor, approvers=approvers)
            uow.audit.record(actor, "config", detail=f"{channel_id} {name}={value.strip()[:200]}")
            uow.commit()
        return self.config(channel_id)

    def _check_may_set_approvers(self, uow: UnitOfWork, channel_id: str, actor: str, *, already_set: bool) -> None:
        """Whoever sets the list decides who may approve, so it cannot be the first member to ask: an admin
        may always; while the channel has no list of its own, so may the person who started its first
        session (if they may change anything here at all)."""
        if self.is_admin(actor):
            return
        if already_set:
            raise ProcessingError("this channel's approvers are set; only an admin (TICKETBOT_ADMINS, listed by "
                                  "`/generate-tickets config`) can change them", Category.USER_FIXABLE)
        first = uow.sessions.first_in_channel(channel_id)
        blocked_by_default = bool(self.default_approvers) and actor not in self.default_approvers
        if first is None or first.created_by != actor or blocked_by_default:
            raise ProcessingError("only an admin (TICKETBOT_ADMINS), or the person who started this channel's "
                                  "first session, can set its approvers", Category.USER_FIXABLE)

    def close_open_session(self, channel_id: str, actor: str) -> SessionRecordView | None:
        """`new`: the collecting session stops collecting; the next upload starts a new session and thread."""
        with self.uow_factory() as uow:
            session = uow.sessions.collecting_in_channel(channel_id)
            if session is None:
                if uow.sessions.running_in_channel(channel_id) is not None:
                    raise ProcessingError("a run is going in this channel's session; cancel it first "
                                          "(`/generate-tickets cancel`)", Category.USER_FIXABLE)
                return None
            session.status = SessionStatus.CANCELLED
            uow.audit.record(actor, "new", session_id=session.id, detail="closed by /generate-tickets new")
            uow.commit()
            return SessionRecordView.of(session)

    def first_time(self, event_id: str, kind: str) -> bool:
        """Record a Slack event (or command trigger) id; False when it was seen before (a retry)."""
        if not event_id:
            return True
        with self.uow_factory() as uow:
            first = uow.events.first_time(event_id, kind)
            uow.commit()
            return first

    def session_to_start(self, channel_id: str) -> tuple[SessionRecordView | None, str | None, bool]:
        """`start`: the open session (a running one first), the latest one's status, and whether files shared
        while it runs wait for the next run."""
        with self.uow_factory() as uow:
            session = uow.sessions.open_in_channel(channel_id)
            latest = uow.sessions.latest_in_channel(channel_id)
            waiting = (session is not None and session.status == SessionStatus.PROCESSING
                       and uow.sessions.collecting_in_channel(channel_id) is not None)
            return (SessionRecordView.of(session) if session is not None else None,
                    latest.status if latest is not None else None, waiting)

    def session_for_commands(self, channel_id: str) -> SessionRecordView | None:
        """The channel's running session, else the one collecting files, else its latest one."""
        with self.uow_factory() as uow:
            session = uow.sessions.open_in_channel(channel_id) or uow.sessions.latest_in_channel(channel_id)
            return SessionRecordView.of(session) if session is not None else None


@dataclass(frozen=True)
class SessionRecordView:
    id: int
    channel_id: str
    status: str
    site_name: str
    thread_ts: str | None
    progress_ts: str | None

    @classmethod
    def of(cls, record: SessionRecord) -> SessionRecordView:
        return cls(record.id, record.channel_id, record.status, record.site_name, record.thread_ts,
                   record.progress_ts)


def parse_merge_threshold(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) > MERGE_THRESHOLD_MAX:
        raise ProcessingError(f"'{value}' is not a merge threshold: give a whole number from 0 (never merge) to "
                              f"{MERGE_THRESHOLD_MAX}, or `-` for the default", Category.USER_FIXABLE)
    return int(text)


def _merge_threshold(record: ChannelSettingsRecord | None) -> int | None:
    value = (record.extra or {}).get("merge_threshold") if record is not None else None
    return value if isinstance(value, int) else None


def channel_plan_options(uow: UnitOfWork, channel_id: str, default: PlanOptions) -> PlanOptions:
    """How the channel's plans are cut: its `config merge-threshold`, else the default."""
    threshold = _merge_threshold(uow.channels.get(channel_id))
    return default if threshold is None else PlanOptions(merge_threshold=threshold)


def parse_digest_setting(value: str) -> str:
    """`50` → "50", `always` → "0", `off` → "off"; anything else is refused in plain words."""
    text = value.strip().lower()
    if text in DIGEST_OFF:
        return "off"
    if text in DIGEST_WORDS:
        return str(DIGEST_WORDS[text])
    if not text.isdigit() or int(text) > DIGEST_THRESHOLD_MAX:
        raise ProcessingError(f"'{value}' is not a digest setting: give the number of tickets above which a run is "
                              f"reviewed in digests (0 to {DIGEST_THRESHOLD_MAX}), `always`, `off`, or `-` for the "
                              "default", Category.USER_FIXABLE)
    return str(int(text))


def _digest_setting(record: ChannelSettingsRecord | None) -> str | None:
    value = (record.extra or {}).get("digest") if record is not None else None
    return value if isinstance(value, str) and (value == "off" or value.isdigit()) else None


def channel_digest_threshold(uow: UnitOfWork, channel_id: str, default: int) -> int | None:
    """The number of planned tickets above which the channel's runs are reviewed in digests; None: never."""
    setting = _digest_setting(uow.channels.get(channel_id))
    if setting is None:
        return default
    return None if setting == "off" else int(setting)


def parse_approvers(value: str) -> list[str] | None:
    """`@a @b`, `<@U1> <@U2>`, `U1,U2` → user ids; `-` or `default` → None (the environment's list)."""
    text = value.strip()
    if text.lower() in ("-", "default", "none", ""):
        return None
    ids = MENTION.findall(text)
    rest = MENTION.sub(" ", text)
    for word in re.split(r"[\s,]+", rest):
        if not word:
            continue
        if not USER_ID.match(word):
            raise ProcessingError(
                f"'{word}' is not a Slack user: mention people (`@name`) or give their user ids (like U0123ABCD)",
                Category.USER_FIXABLE,
            )
        ids.append(word)
    return list(dict.fromkeys(ids))
