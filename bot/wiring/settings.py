"""Settings, read once from the environment by the entry points (docs/design.md §3)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from integrations.urls import UNREADABLE, display_url, url_passwords


class SettingsError(Exception):
    """One or more settings are missing or malformed; the message names every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("ticketbot cannot start; fix these settings:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class Secret(str):
    """A string that never shows itself in a repr, log line or traceback."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")
MERGE_THRESHOLD_MAX = 100_000


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///ticketbot.db"
    redis_url: str = "redis://localhost:6379/0"
    slack_bot_token: Secret = field(default=Secret(""), repr=False)
    slack_signing_secret: Secret = field(default=Secret(""), repr=False)
    slack_app_token: Secret = field(default=Secret(""), repr=False)
    slack_api_url: str = "https://slack.com/api/"
    slack_file_hosts: tuple[str, ...] = ("files.slack.com",)
    port: int = 3000
    # `ticketbot serve`: where it listens, its HTTP threads, its listener processes and their queue.
    host: str = "0.0.0.0"
    http_threads: int = 8  # an acknowledgement is about a millisecond of work
    listener_processes: int = 2
    listener_queue_limit: int = 10_000
    channels: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()  # always approvers; the only ones who change a channel's approver list once set
    llm_provider: str = "template"
    openai_api_key: Secret = field(default=Secret(""), repr=False)
    openai_base_url: str = ""
    openai_model: str = DEFAULT_OPENAI_MODEL
    llm_concurrency: int = 8
    llm_prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # over jobs/generation/cost.py defaults
    drupal_version: int = 11  # TICKETBOT_DRUPAL_VERSION: the major version the tickets are written for
    jira_url: str = ""
    jira_email: str = ""
    jira_api_token: Secret = field(default=Secret(""), repr=False)
    jira_pat: Secret = field(default=Secret(""), repr=False)
    jira_project: str = ""
    jira_issue_type: str = "Story"
    jira_epic_type: str = "Epic"
    jira_epics: str = ""  # empty: parent on Cloud, epic-link on Server/DC
    jira_link_type: str = "Blocks"
    jira_field_defaults: dict[str, object] = field(default_factory=dict)
    jira_removed: str = "close"  # a revised spec's removed ticket: close its issue (label when it cannot) or label it
    queue_name: str = "ticketbot"
    lease_seconds: int = 30
    sweep_seconds: int = 15
    queued_grace_seconds: int = 30
    retry_intervals: tuple[int, ...] = (10, 30, 60)
    job_timeout_seconds: int = 0
    slack_post_interval_ms: int = 1000  # chat.postMessage pacing per channel (Slack: about 1 message/s)
    slack_progress_interval_ms: int = 2000  # progress message edits at most this often
    slack_quiet_seconds: int = 60  # the Slack sweeper leaves a thread alone while it changed this recently
    allow_slack_connect: bool = False  # users of other workspaces (Slack Connect guests) may use the bot
    # A kind of trivial item (menus, image styles) with more new items than this is merged by name family;
    # 0 never merges. A channel's `config merge-threshold` and the CLI's --merge-threshold override it.
    merge_threshold: int = 10
    # A session whose first run plans more tickets than this is reviewed in digests (one message per group
    # and 47 tickets) instead of one message per draft; 0 always. A channel's `config digest` overrides it.
    digest_threshold: int = 50
    confirm_seconds: int = 300  # TICKETBOT_CONFIRM_SECONDS: how long a bulk action's Confirm button stays valid
    undo_window_hours: int = 24  # TICKETBOT_UNDO_WINDOW: how long after a push `undo` may remove what it created

    def secret_values(self) -> tuple[str, ...]:
        """Every configured secret as it could be written out: tokens, keys, and the passwords of URLs."""
        values = [str(s) for s in (self.slack_bot_token, self.slack_app_token, self.slack_signing_secret,
                                   self.openai_api_key, self.jira_api_token, self.jira_pat)]
        for url in (self.database_url, self.redis_url, self.jira_url, self.slack_api_url, self.openai_base_url):
            values += url_passwords(url)
        return tuple(dict.fromkeys(v for v in values if v))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Parse every variable; raise SettingsError naming all problems at once."""
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        def integer(name: str, default: int, low: int, high: int) -> int:
            text = get(name, str(default))
            if not text.isdigit() or not low <= int(text) <= high:
                problems.append(f"{name}={text!r}: must be a whole number from {low} to {high}")
                return default
            return int(text)

        def flag(name: str) -> bool:
            text = get(name, "false").lower()
            if text not in ("true", "false", "1", "0", "yes", "no"):
                problems.append(f"{name}={text!r}: must be true or false")
            return text in ("true", "1", "yes")

        def id_list(name: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
            items = tuple(i.strip() for i in get(name).split(",") if i.strip())
            bad = [i for i in items if not pattern.match(i)]
            if bad:
                problems.append(f"{name}: {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not {what}")
            return items

        def url(name: str, default: str, schemes: tuple[str, ...]) -> str:
            text = get(name, default)
            try:
                parts = urlsplit(text)
                _ = parts.port  # raises for a port that is not a number
                well_formed = parts.scheme in schemes and bool(parts.netloc or parts.path)
            except ValueError:  # a bracketed host that is not IPv6, a port that is not a number
                well_formed = False
            if text and not well_formed:
                starts = " or ".join(f"{scheme}://" for scheme in schemes)
                shown = display_url(text)  # the value may hold a password: only its scheme and host are shown
                problems.append(f"{name}{f' ({shown})' if shown != UNREADABLE else ''}: must be a URL starting "
                                f"with {starts}")
            return text

        database_url = get("DATABASE_URL", cls.database_url)
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
            problems.append("DATABASE_URL: must be a sqlite:/// or postgresql+psycopg:// URL")
        hosts = tuple(h.strip().lower() for h in get("SLACK_FILE_HOSTS", "files.slack.com").split(",") if h.strip())
        bad_hosts = [h for h in hosts if not HOST.match(h)]
        if bad_hosts:
            problems.append(f"SLACK_FILE_HOSTS: {', '.join(bad_hosts)}: each must be host or host:port")
        openai_key = Secret(get("OPENAI_API_KEY"))
        provider = get("LLM_PROVIDER", "openai" if openai_key else "template").lower()
        if provider not in ("openai", "template"):
            problems.append(f"LLM_PROVIDER={provider!r}: must be openai or template")
        if provider == "openai" and not openai_key:
            problems.append("LLM_PROVIDER=openai needs OPENAI_API_KEY (any non-empty value for a local server)")
        epics = get("JIRA_EPICS").lower()
        if epics not in ("", "parent", "epic-link", "none"):
            problems.append(f"JIRA_EPICS={epics!r}: must be parent, epic-link or none")
        removed = get("JIRA_REMOVED", "close").lower()
        if removed not in ("close", "label"):
            problems.append(f"JIRA_REMOVED={removed!r}: must be close or label")
        defaults: dict[str, object] = {}
        try:
            loaded = json.loads(get("JIRA_FIELD_DEFAULTS", "{}"))
            if not isinstance(loaded, dict):
                raise ValueError("not an object")
            defaults = loaded
        except ValueError:
            problems.append('JIRA_FIELD_DEFAULTS: must be a JSON object, e.g. {"components": [{"name": "Web"}]}')
        jira_url = url("JIRA_URL", "", ("https", "http"))
        if jira_url:
            if not (get("JIRA_PAT") or (get("JIRA_EMAIL") and get("JIRA_API_TOKEN"))):
                problems.append(
                    "JIRA_URL is set: also set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/DC)"
                )
            if not get("JIRA_PROJECT"):
                problems.append("JIRA_URL is set: also set JIRA_PROJECT (the project key, e.g. RPL)")
        llm_prices: dict[str, tuple[float, float]] = {}
        if get("TICKETBOT_LLM_PRICES"):
            from jobs.generation.cost import PriceTableError, parse_prices

            try:
                llm_prices = parse_prices(get("TICKETBOT_LLM_PRICES"))
            except PriceTableError as exc:
                problems.append(str(exc))
        intervals_text = get("TICKETBOT_RETRY_INTERVALS", "10,30,60")
        intervals = tuple(int(i) for i in intervals_text.replace(" ", "").split(",") if i.isdigit())
        if not intervals or len(intervals) != len(intervals_text.split(",")):
            problems.append(f"TICKETBOT_RETRY_INTERVALS={intervals_text!r}: comma-separated seconds, e.g. 10,30,60")
            intervals = (10, 30, 60)
        queue_name = get("TICKETBOT_QUEUE", "ticketbot")
        if not re.match(r"^[A-Za-z0-9_-]+$", queue_name):
            problems.append(f"TICKETBOT_QUEUE={queue_name!r}: letters, digits, - and _ only")
        settings = cls(
            database_url=database_url,
            redis_url=url("REDIS_URL", cls.redis_url, ("redis", "rediss", "unix")),
            slack_bot_token=Secret(get("SLACK_BOT_TOKEN")),
            slack_signing_secret=Secret(get("SLACK_SIGNING_SECRET")),
            slack_app_token=Secret(get("SLACK_APP_TOKEN")),
            slack_api_url=url("SLACK_API_URL", cls.slack_api_url, ("https", "http")),
            slack_file_hosts=hosts,
            port=integer("PORT", 3000, 1, 65535),
            host=get("TICKETBOT_HOST", cls.host),
            http_threads=integer("TICKETBOT_HTTP_THREADS", cls.http_threads, 1, 256),
            listener_processes=integer("TICKETBOT_LISTENER_PROCESSES", cls.listener_processes, 1, 64),
            listener_queue_limit=integer("TICKETBOT_LISTENER_QUEUE_LIMIT", cls.listener_queue_limit, 1, 1_000_000),
            channels=id_list("TICKETBOT_CHANNELS", CHANNEL_ID, "a Slack channel ID (like C0123ABCD)"),
            approvers=id_list("TICKETBOT_APPROVERS", USER_ID, "a Slack user ID (like U0123ABCD)"),
            admins=id_list("TICKETBOT_ADMINS", USER_ID, "a Slack user ID (like U0123ABCD)"),
            llm_provider=provider,
            openai_api_key=openai_key,
            openai_base_url=url("OPENAI_BASE_URL", "", ("https", "http")),
            openai_model=get("OPENAI_MODEL", DEFAULT_OPENAI_MODEL),
            llm_concurrency=integer("LLM_CONCURRENCY", 8, 1, 64),
            llm_prices=llm_prices,
            jira_url=jira_url,
            jira_email=get("JIRA_EMAIL"),
            jira_api_token=Secret(get("JIRA_API_TOKEN")),
            jira_pat=Secret(get("JIRA_PAT")),
            jira_project=get("JIRA_PROJECT"),
            jira_issue_type=get("JIRA_ISSUE_TYPE", "Story"),
            jira_epic_type=get("JIRA_EPIC_TYPE", "Epic"),
            jira_epics=epics,
            jira_link_type=get("JIRA_LINK_TYPE", "Blocks"),
            jira_field_defaults=defaults,
            jira_removed=removed,
            queue_name=queue_name,
            drupal_version=integer("TICKETBOT_DRUPAL_VERSION", 11, 8, 20),
            lease_seconds=integer("TICKETBOT_LEASE_SECONDS", 30, 2, 3600),
            sweep_seconds=integer("TICKETBOT_SWEEP_SECONDS", 15, 1, 3600),
            queued_grace_seconds=integer("TICKETBOT_QUEUED_GRACE_SECONDS", 30, 1, 3600),
            retry_intervals=intervals,
            job_timeout_seconds=integer("TICKETBOT_JOB_TIMEOUT_SECONDS", 0, 0, 7 * 86400),
            slack_post_interval_ms=integer("TICKETBOT_SLACK_POST_INTERVAL_MS", 1000, 0, 60_000),
            slack_progress_interval_ms=integer("TICKETBOT_SLACK_PROGRESS_INTERVAL_MS", 2000, 100, 60_000),
            slack_quiet_seconds=integer("TICKETBOT_SLACK_QUIET_SECONDS", 60, 1, 3600),
            allow_slack_connect=flag("TICKETBOT_ALLOW_SLACK_CONNECT"),
            merge_threshold=integer("TICKETBOT_MERGE_THRESHOLD", 10, 0, MERGE_THRESHOLD_MAX),
            digest_threshold=integer("TICKETBOT_DIGEST_THRESHOLD", 50, 0, MERGE_THRESHOLD_MAX),
            confirm_seconds=integer("TICKETBOT_CONFIRM_SECONDS", 300, 10, 3600),
            undo_window_hours=integer("TICKETBOT_UNDO_WINDOW", 24, 0, 24 * 30),
        )
        if problems:
            raise SettingsError(problems)
        return settings

