"""The Slack gateway and the file downloader against the fake Slack server (real HTTP on loopback).

S7 (token only to allowed hosts, no redirect elsewhere), S8 (size caps before and during the read),
S9 (429 with Retry-After honoured), S10 (a reset after a successful post is reported as uncertain, and
the message is found again by its metadata).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from integrations.slack.blocks import notice
from integrations.slack.errors import DownloadRefused, SlackPostUncertain, SlackRejected
from integrations.slack.files import FileDownloader
from integrations.slack.gateway import SlackFile, SlackGateway
from tests.fakes.slack_server import FakeSlackServer
from tests.support.slack import BOT_TOKEN

CAP = 10 * 1024 * 1024


@pytest.fixture
def slack() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(token=BOT_TOKEN) as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[FakeSlackServer]:
    """A second host (127.0.0.2) that is NOT on SLACK_FILE_HOSTS; it records whatever reaches it."""
    with FakeSlackServer(host="127.0.0.2", token=BOT_TOKEN) as server:
        yield server


def gateway(slack: FakeSlackServer) -> SlackGateway:
    return SlackGateway.create(token=BOT_TOKEN, base_url=slack.base_url)


def downloader(slack: FakeSlackServer) -> FileDownloader:
    return FileDownloader(token=BOT_TOKEN, allowed_hosts=(slack.file_host,), max_bytes=CAP)


# ---- downloads ---------------------------------------------------------------------------------------


def test_a_file_is_fetched_with_the_token_from_an_allowed_host(slack: FakeSlackServer) -> None:
    slack.add_file("F1", "bundles.csv", b"Name,Machine name\n")
    info = gateway(slack).file_info("F1")
    assert info == SlackFile("F1", "bundles.csv", 18, "text/csv", "csv", "hosted", slack.file_url("F1"))
    assert downloader(slack).download(info) == b"Name,Machine name\n"
    assert slack.file_requests == [{"path": "/files/F1/bundles.csv", "authorization": f"Bearer {BOT_TOKEN}",
                                    "host": "127.0.0.1"}]


def test_a_file_name_loses_its_invisible_and_bidi_characters(slack: FakeSlackServer) -> None:
    slack.add_file("F10", "report\u202eslx\u200b.csv\x00", b"Name,Machine name\n")  # reads as report.xlsx
    slack.add_file("F11", "\u2066\u200d\ufeff", b"Name,Machine name\n")
    assert gateway(slack).file_info("F10").name == "reportslx.csv"
    assert gateway(slack).file_info("F11").name == "F11"  # nothing visible is left: the file's id names it


def test_s7_a_file_on_another_host_is_refused_and_the_token_never_sent(slack: FakeSlackServer,
                                                                       elsewhere: FakeSlackServer) -> None:
    elsewhere.add_file("F2", "bundles.csv", b"data")
    slack.add_file("F2", "bundles.csv", b"data", url=elsewhere.file_url("F2"))
    with pytest.raises(DownloadRefused, match="not an allowed file host"):
        downloader(slack).download(gateway(slack).file_info("F2"))
    assert elsewhere.file_requests == []


def test_s7_a_redirect_to_another_host_is_not_followed(slack: FakeSlackServer, elsewhere: FakeSlackServer) -> None:
    elsewhere.add_file("F3", "bundles.csv", b"data")
    slack.add_file("F3", "bundles.csv", b"data", redirect_to=elsewhere.file_url("F3"))
    with pytest.raises(DownloadRefused, match="not an allowed file host"):
        downloader(slack).download(gateway(slack).file_info("F3"))
    assert len(slack.file_requests) == 1
    assert elsewhere.file_requests == []  # neither the token nor any request reached it


def test_s7_external_files_and_plain_http_to_real_hosts_are_refused(slack: FakeSlackServer) -> None:
    fetch = FileDownloader(token=BOT_TOKEN, allowed_hosts=("files.slack.com",)).download
    with pytest.raises(DownloadRefused, match="external file"):
        fetch(SlackFile("F4", "a.csv", 10, mode="external", url="https://files.slack.com/x", is_external=True))
    with pytest.raises(DownloadRefused, match="not https"):
        fetch(SlackFile("F5", "a.csv", 10, url="http://files.slack.com/files-pri/T1-F5/a.csv"))


def test_s8_a_file_over_the_cap_is_refused_before_any_request(slack: FakeSlackServer) -> None:
    slack.add_file("F6", "huge.csv", b"x", size=60 * 1024 * 1024)
    with pytest.raises(DownloadRefused, match="over the limit"):
        downloader(slack).download(gateway(slack).file_info("F6"))
    assert slack.file_requests == []


def test_s8_a_lying_size_stops_the_read_at_the_cap(slack: FakeSlackServer) -> None:
    slack.add_file("F7", "liar.csv", b"x", size=1024, stream_bytes=60 * 1024 * 1024)
    with pytest.raises(DownloadRefused, match="over the limit"):
        downloader(slack).download(gateway(slack).file_info("F7"))
    deadline = time.monotonic() + 5
    while "bytes_sent" not in slack.file_requests[-1] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert slack.file_requests[-1]["bytes_sent"] < 30 * 1024 * 1024  # far from the 60 MB offered


def test_a_web_page_instead_of_the_file_is_refused(slack: FakeSlackServer) -> None:
    slack.add_file("F8", "a.csv", b"<!DOCTYPE html><html>Sign in</html>", content_type="text/html")
    with pytest.raises(DownloadRefused, match="web page"):
        downloader(slack).download(gateway(slack).file_info("F8"))
    slack.add_file("F9", "b.csv", b"<html><body>login</body></html>", content_type="application/octet-stream")
    with pytest.raises(DownloadRefused, match="web page"):
        downloader(slack).download(gateway(slack).file_info("F9"))


# ---- posting and editing -------------------------------------------------------------------------------


def test_a_post_carries_its_outbox_key_as_metadata_and_is_found_again(slack: FakeSlackServer) -> None:
    bot = gateway(slack)
    ts = bot.post_draft("C0GATE001", "1700000000.000100", "draft:t1", notice("hello"))
    assert slack.messages[("C0GATE001", ts)]["metadata"] == {"event_type": "ticketbot_message",
                                                            "event_payload": {"key": "draft:t1"}}
    assert bot.find_posted("C0GATE001", "1700000000.000100", "draft:t1") == ts
    assert bot.find_posted("C0GATE001", "1700000000.000100", "draft:t2") is None


def test_s10_a_reset_after_a_successful_post_is_uncertain_and_never_repeated(slack: FakeSlackServer) -> None:
    bot = gateway(slack)
    slack.reset_after_post()
    with pytest.raises(SlackPostUncertain):
        bot.post_draft("C0GATE002", "1700000000.000100", "draft:t7", notice("once"))
    assert len(slack.calls_to("chat.postMessage")) == 1  # the SDK did not retry blindly
    assert bot.find_posted("C0GATE002", "1700000000.000100", "draft:t7") is not None


def test_s9_a_429_is_waited_out_for_its_retry_after(slack: FakeSlackServer) -> None:
    bot = gateway(slack)
    ts = bot.post_progress("C0GATE003", "1700000000.000100", "progress:s1", notice("0%"))
    slack.fail_next("chat.update", 429, retry_after=2)
    started = time.monotonic()
    bot.update_progress("C0GATE003", ts, notice("100%"))
    assert time.monotonic() - started >= 2.0
    calls = slack.calls_to("chat.update")
    assert [c.status for c in calls] == [429, 200] and calls[1].at - calls[0].at >= 2.0
    assert slack.messages[("C0GATE003", ts)]["text"] == "100%"


def test_slack_refusals_carry_their_code(slack: FakeSlackServer) -> None:
    slack.not_in_channels.add("C0GATE004")
    with pytest.raises(SlackRejected) as refused:
        gateway(slack).post_progress("C0GATE004", None, "progress:s2", notice("x"))
    assert refused.value.code == "not_in_channel" and refused.value.not_in_channel
    with pytest.raises(SlackRejected, match="msg_too_long"):
        gateway(slack).post_progress("C0GATE005", None, "progress:s3", notice("x").__class__("x" * 5000, []))
