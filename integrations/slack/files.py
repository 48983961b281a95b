"""Downloading an uploaded file with the bot token, which only ever goes to an allow-listed Slack host.

slack_sdk has no download helper, so this is one with the checks a token-bearing GET needs:
https only (http for loopback hosts, i.e. local tests), the host on SLACK_FILE_HOSTS, no redirect
followed to a host that is not, the size capped before the request (files.info, Content-Length)
and during the read (stops at cap + 1 byte), and a web page (Slack's login page) refused.
"""

from __future__ import annotations

import http.client
import ipaddress
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from integrations.slack.errors import DownloadRefused
from integrations.slack.gateway import SlackFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # the spec reader's own file limit
CHUNK = 64 * 1024
MAX_REDIRECTS = 2
EXTERNAL_MODES = ("external",)


class FileDownloader:
    def __init__(self, *, token: str, allowed_hosts: Sequence[str], max_bytes: int = DEFAULT_MAX_BYTES,
                 timeout_s: float = 15.0, deadline_s: float = 60.0) -> None:
        self._token = token
        self.allowed_hosts = tuple(h.lower() for h in allowed_hosts)
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s

    def __repr__(self) -> str:
        return f"FileDownloader(allowed_hosts={self.allowed_hosts!r}, max_bytes={self.max_bytes})"

    def download(self, file: SlackFile) -> bytes:
        """The file's bytes, or DownloadRefused saying in plain words why not."""
        if file.is_external or file.mode in EXTERNAL_MODES:
            raise DownloadRefused("it is an external file (e.g. Google Drive); upload the CSV itself")
        if file.size > self.max_bytes:
            raise DownloadRefused(f"it is {file.size:,} bytes, over the limit of {self.max_bytes:,}")
        if not file.url:
            raise DownloadRefused("Slack gave no download address for it")
        url = file.url
        started = time.monotonic()
        for _ in range(MAX_REDIRECTS + 1):
            self.check_url(url)
            status, location, body = self._get(url, started)
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue  # checked again at the top: a redirect elsewhere is refused, the token never sent
            if status != 200:
                raise DownloadRefused(f"the file host answered {status}")
            return body
        raise DownloadRefused("the file host redirected too many times")

    def check_url(self, url: str) -> None:
        """Refuse any address the token must not be sent to."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = f"{host}:{parts.port}" if parts.port else host
        if not host or (host not in self.allowed_hosts and netloc not in self.allowed_hosts):
            raise DownloadRefused(f"it is not hosted by Slack ({host or 'no host'} is not an allowed file host)")
        if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host)):
            return
        raise DownloadRefused(f"its address uses {parts.scheme or 'no scheme'}, not https")

    def _get(self, url: str, started: float) -> tuple[int, str, bytes]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(host, parts.port, timeout=self.timeout_s,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(host, parts.port, timeout=self.timeout_s)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {self._token}",
                                                     "User-Agent": "ticketbot"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                return response.status, response.getheader("Location") or "", b""
            if response.status != 200:
                return response.status, "", b""
            content_type = (response.getheader("Content-Type") or "").lower()
            if content_type.startswith(("text/html", "application/xhtml")):
                raise DownloadRefused("Slack answered with a web page instead of the file "
                                      "(the bot may lack the files:read scope)")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > self.max_bytes:
                raise DownloadRefused(f"it is {int(length):,} bytes, over the limit of {self.max_bytes:,}")
            return 200, "", self._read_capped(response, started)
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadRefused(f"the download failed ({type(exc).__name__})") from None
        finally:
            connection.close()

    def _read_capped(self, response: http.client.HTTPResponse, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() - started > self.deadline_s:
                raise DownloadRefused(f"the download took longer than {self.deadline_s:.0f} s")
            chunk = response.read(min(CHUNK, self.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                raise DownloadRefused(f"it is over the limit of {self.max_bytes:,} bytes")
        data = b"".join(chunks)
        if data[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
            raise DownloadRefused("Slack answered with a web page instead of the file")
        return data


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = ["DownloadRefused", "FileDownloader", "is_loopback"]


# Files people share in a spec channel that are not spreadsheets (screenshots, PDFs of the design, zipped
# exports …): ignored with one short note, never read as a spec and never an error blocking `start`.
NOT_SPREADSHEET_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "tif", "tiff", "heic", "ico",
    "pdf", "zip", "tar", "gz", "tgz", "bz2", "xz", "7z", "rar",
    "doc", "docx", "odt", "rtf", "ppt", "pptx", "odp", "key", "pages", "md",
    "mp3", "mp4", "mov", "wav", "webm", "avi",
})
NOT_SPREADSHEET_MIME_PREFIXES = ("image/", "video/", "audio/", "application/pdf", "application/zip",
                                 "application/x-tar", "application/gzip", "application/x-gzip",
                                 "application/x-7z", "application/vnd.rar", "application/msword",
                                 "application/vnd.openxmlformats-officedocument.wordprocessingml",
                                 "application/vnd.openxmlformats-officedocument.presentationml")


def is_not_spreadsheet(name: str, mimetype: str = "") -> bool:
    """True for files that are clearly something else (by extension or mimetype); anything else is read."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in NOT_SPREADSHEET_EXTENSIONS:
        return True
    return bool(mimetype) and mimetype.lower().startswith(NOT_SPREADSHEET_MIME_PREFIXES)
