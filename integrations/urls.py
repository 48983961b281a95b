"""URLs from settings, as they may be shown to a person or put in a link: never with their credentials.

A URL setting can carry a user and password (`https://bot:pw@jira.example`, `redis://:pw@cache`), and
its path or query can carry more (a proxy key). Messages, diagnostics and `/generate-tickets health`
(which anyone in a channel may run) show only where the service is: scheme, host and port. Links,
which need the path (a Jira under `/jira`), drop only the userinfo, query and fragment.
"""

from __future__ import annotations

from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

UNREADABLE = "(an unreadable URL)"


def display_url(url: str) -> str:
    """`scheme://host[:port]` of `url`, for messages; never its user, password, path or query."""
    if not url.strip():
        return ""
    parts = _split(url)
    if parts is None or "://" not in url:  # without '//' what looks like a scheme may be a user name
        return UNREADABLE
    return f"{parts.scheme}://{_host(parts)}"


def link_base(url: str) -> str:
    """`url` without userinfo, query, fragment or trailing slash: the base that links are built on."""
    parts = _split(url)
    if parts is None or "://" not in url:
        return ""
    return urlunsplit((parts.scheme, _host(parts), parts.path.rstrip("/"), "", ""))


def jira_browse_url(jira_url: str, key: str) -> str:
    """The browse link of a Jira issue, from the site's base URL (JIRA_URL)."""
    return f"{link_base(jira_url)}/browse/{key}"


def url_passwords(url: str) -> list[str]:
    """The password of `url`'s userinfo (up to the last '@'), as written and percent-decoded; [] for none."""
    _, found, rest = url.partition("://")
    userinfo, at, _ = rest.split("/", 1)[0].rpartition("@")
    if not (found and at):
        return []
    user, colon, password = userinfo.partition(":")
    written = password if colon else user  # `https://TOKEN@host`: a lone user name is often the credential
    return [written, unquote(written)] if written else []


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        return None
    return parts


def _host(parts: SplitResult) -> str:
    """The host (IPv6 in brackets) and port; the userinfo ends at the last '@', as the URL grammar says."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host
