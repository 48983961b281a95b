"""What an LLM run will cost before it starts: calls, tokens and dollars for the configured model.

The figures are an estimate: prompt tokens are counted from the real prompts at about four characters
a token, and each answer is taken to be a typical ticket's length. Prices are per million tokens and
change; TICKETBOT_LLM_PRICES overrides or adds models without a release.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from integrations.tickets import SiteContext, TicketBrief
from integrations.writers.prompt import build_messages

CHARS_PER_TOKEN = 4.0
COMPLETION_TOKENS_PER_TICKET = 700  # a typical ticket's JSON answer (title, story, analysis, steps)
SECONDS_PER_CALL = 8.0  # a small model's typical answer time, for the ETA before the first ticket is back

# USD per million tokens (input, output), as published by OpenAI for these models.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
}


class PriceTableError(ValueError):
    """TICKETBOT_LLM_PRICES is not a JSON object of model → [input, output] prices."""


@dataclass(frozen=True)
class CostEstimate:
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float | None  # None: the model has no price in the table
    seconds: float

    def describe(self) -> str:
        """'about 401 calls, ≈ 610,000 prompt + 281,000 completion tokens, ≈ $0.69 with gpt-4.1-mini, ~7 min'"""
        cost = f"≈ ${self.usd:,.2f}" if self.usd is not None else "cost unknown (no price in TICKETBOT_LLM_PRICES)"
        return (f"about {self.calls} calls, ≈ {self.prompt_tokens:,} prompt + {self.completion_tokens:,} "
                f"completion tokens, {cost} with {self.model}, ~{format_duration(self.seconds)}")


def parse_prices(text: str) -> dict[str, tuple[float, float]]:
    """'{"my-model": [0.5, 1.5]}' merged over the defaults."""
    prices = dict(DEFAULT_PRICES)
    if not text.strip():
        return prices
    try:
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise TypeError
        for model, pair in loaded.items():
            low, high = (float(p) for p in pair)
            if low < 0 or high < 0:
                raise ValueError
            prices[str(model)] = (low, high)
    except (ValueError, TypeError) as exc:
        raise PriceTableError('TICKETBOT_LLM_PRICES: must be a JSON object like {"gpt-4.1-mini": [0.40, 1.60]} '
                              "(USD per million input and output tokens)") from exc
    return prices


def estimate_cost(briefs: Sequence[TicketBrief], site: SiteContext, model: str, concurrency: int,
                  prices: Mapping[str, tuple[float, float]] = DEFAULT_PRICES) -> CostEstimate:
    chars = sum(len(m["content"]) for brief in briefs for m in build_messages(brief, site))
    prompt_tokens = math.ceil(chars / CHARS_PER_TOKEN)
    completion_tokens = COMPLETION_TOKENS_PER_TICKET * len(briefs)
    price = prices.get(model) or _dated_price(model, prices)
    usd = None if price is None else (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
    seconds = math.ceil(len(briefs) / max(concurrency, 1)) * SECONDS_PER_CALL
    return CostEstimate(model, len(briefs), prompt_tokens, completion_tokens, usd, seconds)


def _dated_price(model: str, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """'gpt-4.1-mini-2025-04-14' costs what 'gpt-4.1-mini' costs: the longest known prefix wins."""
    known = sorted((m for m in prices if model.startswith(m + "-")), key=len, reverse=True)
    return prices[known[0]] if known else None


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"
