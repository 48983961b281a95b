"""The Slack gateway: what the bot does in Slack, in its own words; SDK errors translated here."""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from integrations.invisible import strip_invisible
from integrations.slack.blocks import Message
from integrations.slack.client import DEFAULT_TIMEOUT_S, make_posting_client, make_web_client
from integrations.slack.errors import (
    SlackError,
    SlackPostUncertain,
    SlackRateLimited,
    SlackRejected,
    SlackUnavailable,
)
from integrations.slack.pacing import NoPacing, PostPacer

log = logging.getLogger(__name__)

METADATA_EVENT = "ticketbot_message"  # message metadata event_type; event_payload {"key": outbox key}
MAX_LOOKUP_PAGES = 20
LOOKUP_PAGE = 200
CONNECTION_ERRORS = (URLError, ConnectionError, socket.timeout, TimeoutError, http.client.HTTPException, OSError)


@dataclass(frozen=True)
class BotIdentity:
    user_id: str
    bot_id: str
    team_id: str


@dataclass(frozen=True)
class SlackFile:
    """What files.info says about a file, reduced to what a download needs."""

    id: str
    name: str
    size: int
    mimetype: str = ""
    filetype: str = ""
    mode: str = "hosted"
    url: str = ""  # url_private_download (or url_private)
    is_external: bool = False
    shares: dict[str, str] = field(default_factory=dict)  # channel id -> ts of the first message sharing it

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SlackFile:
        shares: dict[str, str] = {}
        for visibility in ("public", "private"):
            for channel, entries in (data.get("shares") or {}).get(visibility, {}).items():
                if entries and isinstance(entries, list) and entries[0].get("ts"):
                    shares.setdefault(channel, str(entries[0]["ts"]))
        # A name is shown in replies and stored: bidi overrides and zero-width characters would let it read as
        # another name (`report\u202eslx.csv`), and a NUL would make PostgreSQL refuse the row.
        name = strip_invisible(str(data.get("name") or data.get("title") or "")) or str(data.get("id") or "file")
        return cls(
            id=str(data.get("id", "")), name=name,
            size=int(data.get("size") or 0), mimetype=str(data.get("mimetype", "")),
            filetype=str(data.get("filetype", "")), mode=str(data.get("mode", "hosted")),
            url=str(data.get("url_private_download") or data.get("url_private") or ""),
            is_external=bool(data.get("is_external")), shares=shares,
        )


class SlackGateway:
    """Intent-level Slack calls. Posts carry message metadata naming what they are (an outbox key)."""

    def __init__(self, *, client: WebClient, posting_client: WebClient, pacer: PostPacer | None = None) -> None:
        self.client = client
        self.posting_client = posting_client
        self.pacer = pacer or NoPacing()

    @classmethod
    def create(cls, *, token: str, base_url: str, pacer: PostPacer | None = None,
               timeout_s: int = DEFAULT_TIMEOUT_S) -> SlackGateway:
        """Build the clients; nothing is contacted here."""
        return cls(client=make_web_client(token, base_url, timeout_s=timeout_s),
                   posting_client=make_posting_client(token, base_url, timeout_s=timeout_s), pacer=pacer)

    # ---- who we are ---------------------------------------------------------------------------------

    def identity(self) -> BotIdentity:
        with _translated("auth.test"):
            data = self.client.auth_test()
        return BotIdentity(str(data.get("user_id", "")), str(data.get("bot_id", "")), str(data.get("team_id", "")))

    # ---- posting (exactly once is the caller's outbox; here: never a blind repeat) ------------------

    def post_progress(self, channel: str, thread_ts: str | None, key: str, message: Message) -> str:
        return self._post(channel, thread_ts, key, message)

    def post_draft(self, channel: str, thread_ts: str | None, key: str, message: Message) -> str:
        return self._post(channel, thread_ts, key, message)

    def reply_upload(self, channel: str, thread_ts: str | None, key: str, message: Message) -> str:
        return self._post(channel, thread_ts, key, message)

    def post_thread_root(self, channel: str, key: str, message: Message) -> str:
        """A top-level message that roots a thread (when an upload has no message of its own)."""
        return self._post(channel, None, key, message)

    def _post(self, channel: str, thread_ts: str | None, key: str, message: Message) -> str:
        self.pacer.wait_turn(channel)
        with _translated("chat.postMessage", posting=True):
            data = self.posting_client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
                unfurl_links=False, unfurl_media=False,
            )
        return str(data["ts"])

    # ---- editing ------------------------------------------------------------------------------------

    def update_progress(self, channel: str, ts: str, message: Message) -> None:
        self._update(channel, ts, message)

    def update_draft(self, channel: str, ts: str, message: Message) -> None:
        self._update(channel, ts, message)

    def update_upload_reply(self, channel: str, ts: str, message: Message) -> None:
        self._update(channel, ts, message)

    def _update(self, channel: str, ts: str, message: Message) -> None:
        with _translated("chat.update"):
            self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    # ---- finding a post that may have happened --------------------------------------------------------

    def find_posted(self, channel: str, thread_ts: str | None, key: str) -> str | None:
        """The ts of our message carrying `key` in its metadata, if Slack has it (bounded pages)."""
        cursor: str | None = None
        for _ in range(MAX_LOOKUP_PAGES):
            with _translated("conversations.replies" if thread_ts else "conversations.history"):
                if thread_ts:
                    data = self.client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                             limit=LOOKUP_PAGE, cursor=cursor)
                else:
                    data = self.client.conversations_history(channel=channel, include_all_metadata=True,
                                                             limit=LOOKUP_PAGE, cursor=cursor)
            for item in data.get("messages") or []:
                metadata = item.get("metadata") or {}
                if metadata.get("event_type") == METADATA_EVENT and \
                        (metadata.get("event_payload") or {}).get("key") == key:
                    return str(item["ts"])
            cursor = ((data.get("response_metadata") or {}).get("next_cursor")) or None
            if not cursor:
                return None
        log.warning("looking for message %s: gave up after %s pages", key, MAX_LOOKUP_PAGES)
        return None

    # ---- the rest -----------------------------------------------------------------------------------

    def post_ephemeral(self, channel: str, user: str, message: Message, *, thread_ts: str | None = None) -> None:
        with _translated("chat.postEphemeral", posting=True):
            self.posting_client.chat_postEphemeral(channel=channel, user=user, text=message.text,
                                                   blocks=message.blocks, thread_ts=thread_ts)

    # ---- modals (interactivity) ---------------------------------------------------------------------

    def open_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        """views.open within the trigger's 3 s; the opened view's id (for update_modal)."""
        with _translated("views.open"):
            data = self.client.views_open(trigger_id=trigger_id, view=view).data
        return str(((data if isinstance(data, dict) else {}).get("view") or {}).get("id", ""))

    def update_modal(self, view_id: str, view: dict[str, Any]) -> None:
        with _translated("views.update"):
            self.client.views_update(view_id=view_id, view=view)

    def file_info(self, file_id: str) -> SlackFile:
        with _translated("files.info"):
            data = self.client.files_info(file=file_id)
        return SlackFile.from_api(data.get("file") or {})


@contextmanager
def _translated(method: str, *, posting: bool = False) -> Iterator[None]:
    """SDK and socket errors as SlackError subclasses, with plain messages and no secret in them."""
    try:
        yield
    except SlackApiError as exc:
        response = exc.response
        status = getattr(response, "status_code", 0) or 0
        code = str((response.data or {}).get("error", "")) if isinstance(response.data, dict) else ""
        if status == 429:
            retry_after = _retry_after(response.headers)
            raise SlackRateLimited(f"Slack is rate limiting {method}; retry in {retry_after:.0f} s",
                                   retry_after) from None
        if status >= 500:
            if posting:
                raise SlackPostUncertain(f"Slack answered {status} to {method}; it may have been done") from None
            raise SlackUnavailable(f"Slack answered {status} to {method}") from None
        raise SlackRejected(f"Slack refused {method}: {code or status}", code or str(status)) from None
    except SlackClientError as exc:
        raise SlackUnavailable(f"{method} failed: {type(exc).__name__}") from None
    except CONNECTION_ERRORS as exc:
        if posting:
            raise SlackPostUncertain(f"the connection failed during {method} ({type(exc).__name__}); "
                                     "the message may have been posted") from None
        raise SlackUnavailable(f"Slack could not be reached for {method} ({type(exc).__name__})") from None


def _retry_after(headers: Any) -> float:
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return float(value)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


__all__ = ["BotIdentity", "SlackError", "SlackFile", "SlackGateway"]
