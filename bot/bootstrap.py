"""Build the services of one process from its settings, once (DESIGN §1)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from integrations.writers.base import TicketWriter
from integrations.writers.template import TemplateWriter


class UnavailableWriter(Exception):
    """The configured LLM provider cannot be used by this build."""


@dataclass(frozen=True)
class Services:
    settings: Settings
    writer: TicketWriter


def build_writer(settings: Settings) -> TicketWriter:
    if settings.llm_provider == "template":
        return TemplateWriter()
    raise UnavailableWriter(
        f"LLM_PROVIDER={settings.llm_provider} is not available in this build; set LLM_PROVIDER=template"
    )


def bootstrap(settings: Settings) -> Services:
    return Services(settings=settings, writer=build_writer(settings))
