"""Files shared into a channel: the `message` with files and the `file_shared` event (deduplicated by file id)."""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt import Ack, App

from bot.slack.context import SlackBot
from jobs.conversation.uploads import SharedFiles

FILE_SHARED_DELAY_S = 2.0


def register(app: App, bot: SlackBot) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def on_file_share(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not bot.access.first_time(str(body.get("event_id", "")), "message.file_share"):
            return  # Slack delivered this event again
        files = tuple(str(f["id"]) for f in event.get("files") or [] if isinstance(f, dict) and f.get("id"))
        if not files:
            return
        shared = SharedFiles(channel=str(event.get("channel", "")), user=str(event.get("user", "")), file_ids=files,
                             message_ts=event.get("ts"), thread_ts=event.get("thread_ts"),
                             team=str(body.get("team_id", "")))
        try:
            bot.uploads.handle(shared)
        except Exception as exc:
            bot.report_error(exc, body)

    def on_file_shared(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not bot.access.first_time(str(body.get("event_id", "")), "file_shared"):
            return
        file_id = event.get("file_id") or (event.get("file") or {}).get("id")
        if not file_id:
            return
        shared = SharedFiles(channel=str(event.get("channel_id", "")), user=str(event.get("user_id", "")),
                             file_ids=(str(file_id),), team=str(body.get("team_id", "")))

        def handle() -> None:
            try:
                bot.uploads.handle(shared)
            except Exception as exc:
                bot.report_error(exc, body)

        # The message sharing the file (with all its files and its ts) arrives at about the same time and
        # makes one reply for the whole upload; this event only picks up a file that message did not bring.
        timer = threading.Timer(FILE_SHARED_DELAY_S, handle)
        timer.daemon = True
        timer.start()

    app.event({"type": "message", "subtype": "file_share"})(ack=acknowledge, lazy=[on_file_share])
    app.event("file_shared")(ack=acknowledge, lazy=[on_file_shared])
