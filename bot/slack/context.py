"""What every listener is handed: the wired services and the use cases of a channel, in one `SlackBot`.

Its own module so that the listeners import it and bot/slack/app.py imports the listeners, each
downward: the app registers them, they never reach back into the app.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from bot.slack import replies
from bot.slack.command_handlers import SlashCommands
from bot.slack.wiring import SlackWiring
from bot.wiring.bootstrap import Services
from integrations.slack.blocks import notice
from integrations.slack.errors import SlackError
from jobs.conversation.channels import ChannelAccess
from jobs.conversation.confirmations import BulkConfirmations
from jobs.conversation.publisher_port import TicketPublisher
from jobs.conversation.reactions import ReviewService
from jobs.conversation.uploads import UploadService
from jobs.errors import ProcessingError

log = logging.getLogger(__name__)


@dataclass
class SlackBot:
    """Everything the listeners use."""

    services: Services
    slack: SlackWiring
    access: ChannelAccess
    publisher: TicketPublisher
    uploads: UploadService
    review: ReviewService
    commands: SlashCommands
    confirmations: BulkConfirmations

    def report_error(self, error: BaseException, body: dict[str, Any]) -> str:
        """The ONE error handler: plain words for known errors, a correlation id for the rest."""
        if isinstance(error, ProcessingError):
            message = replies.refusal(error.message)
        else:
            reference = uuid.uuid4().hex[:10]
            what = body.get("command") or (body.get("event") or {}).get("type") or body.get("type", "request")
            log.error("handling %s failed [ref %s]", what, reference, exc_info=error)
            message = replies.internal_error(reference)
        self.tell(body, message)
        return message

    def tell(self, body: dict[str, Any], message: str) -> None:
        event = body.get("event") or {}
        channel = body.get("channel_id") or event.get("channel") or (event.get("item") or {}).get("channel") \
            or event.get("channel_id")
        user = body.get("user_id") or event.get("user") or event.get("user_id")
        url = body.get("response_url")
        try:
            if url:
                from slack_sdk.webhook import WebhookClient

                WebhookClient(url, timeout=10).send(text=message, response_type="ephemeral")
            elif channel and user:
                self.slack.gateway.post_ephemeral(str(channel), str(user), notice(message))
        except (SlackError, OSError) as exc:
            log.warning("could not tell the user about an error: %s", exc)
