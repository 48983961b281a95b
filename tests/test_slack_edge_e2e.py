"""The edge of `ticketbot serve` against hostile requests (issue 10, items 1, 7 and 11), end to end: the real
serve and listener processes, the fake Slack, requests on the wire as Slack (or an attacker) sends them."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.listener_pool import LazyCall, ListenerPool
from bot.slack.request_gate import MAX_BODY_BYTES
from tests.fakes.slack_server import TEAM_ID
from tests.support.slack import (
    ServeProcess,
    answered_status,
    command_body,
    event_body,
    free_port,
    raw_post_head,
    sign,
)
from tests.support.slack_stack import ALICE, BOB, Stack, new_channel, running_stack
from tests.support.workers import wait_for

FORM = "application/x-www-form-urlencoded"
OTHER_TEAM = "T0OTHER01"


@pytest.fixture(scope="module")
def stack(pg_database: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(pg_database, redis_db, tmp_path_factory.mktemp("slack-edge")) as running:
        yield running


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def raw_post(port: int, head: dict[str, str], body_chunks: Iterator[bytes]) -> int:
    """POST /slack/events, sending the body until the server answers or closes; the status it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(raw_post_head(head))
        try:
            for chunk in body_chunks:
                connection.sendall(chunk)
        except OSError:  # the server answered and closed before taking it all: what is wanted
            pass
        return answered_status(connection)


def listener_pids(serve: ServeProcess) -> list[int]:
    """The listener processes `serve` started (its children running the spawn bootstrap)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == serve.process.pid and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
                found.append(int(entry.name))
    return found


# ---- item 1: bodies are bounded and signatures checked before anything parses them -------------------------


def test_an_unsigned_100_mb_body_is_refused_unread_and_costs_serve_no_memory(stack: Stack) -> None:
    serve = stack.serve
    before = rss_mb(serve.process.pid)
    megabyte = b"[" + b"1," * (512 * 1024 - 1) + b"1]"
    status = raw_post(serve.port, {"Content-Type": "application/json", "Content-Length": str(100 * len(megabyte))},
                      iter([megabyte] * 100))
    assert status == 413
    assert rss_mb(serve.process.pid) - before < 20
    # Chunked, with no length given: waitress counts what it reads and stops at the same cap.
    chunk = b"%x\r\n" % len(megabyte) + megabyte + b"\r\n"
    assert raw_post(serve.port, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                    iter([chunk] * 5)) == 413
    assert rss_mb(serve.process.pid) - before < 20
    # A signed body over the cap is refused as well: Slack never sends one.
    big = event_body({"type": "message", "channel": new_channel(), "user": ALICE, "text": "x" * MAX_BODY_BYTES})
    assert serve.post_signed(big, "application/json").status == 413
    assert serve.get("/healthz").status == 200


def test_a_bad_signature_is_refused_before_bolt_parses_the_body(stack: Stack) -> None:
    """A body Bolt could not even parse gets the same 401 as any unsigned request, not a 400 or a crash."""
    garbage = b"{" * 200_000
    assert stack.serve.post_signed(garbage, "application/json", secret="not-the-secret").status == 401
    assert stack.serve.post_signed(garbage, "application/json", timestamp=int(time.time()) - 600).status == 401
    assert stack.serve.request("POST", "/slack/events", garbage, {"Content-Type": "application/json"}).status == 401


def test_bolt_internal_headers_from_outside_are_ignored(stack: Stack) -> None:
    """`X-Slack-Bolt-Lazy-Only` would make Bolt skip the acknowledgement and run the work in serve itself."""
    body = command_body("help", channel=new_channel(), user=ALICE, response_url=stack.slack.response_url("lazy"))
    answer = stack.serve.post_signed(body, FORM, extra_headers={"X-Slack-Bolt-Lazy-Only": "1",
                                                               "X-Slack-Bolt-Lazy-Function-Name": "run"})
    assert answer.status == 200 and "/generate-tickets" in json.dumps(answer.json())


# ---- item 7: acknowledged work is done however long it waited, or the user is told --------------------------


def test_work_queued_past_slacks_five_minutes_is_still_done(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real listener process given a command as serve queued it, ten minutes after Slack signed it (a busy
    listener held it that long): it runs the work instead of refusing the old timestamp again."""
    for name, value in stack.serve_env.items():
        monkeypatch.setenv(name, value)  # the spawned listener process reads its settings from the environment
    pool = ListenerPool(processes=1, threads=2)
    pool.start()
    try:
        body = command_body("config", channel=new_channel(), user=ALICE, response_url=stack.slack.response_url("late"))
        signed = {k.lower(): [v] for k, v in sign(body, int(time.time()) - 600).items()}
        headers = {**signed, "content-type": [FORM], "x-slack-bolt-lazy-only": ["1"],
                   "x-slack-bolt-lazy-function-name": ["run"]}
        pool.calls.put(LazyCall(body.decode(), headers, "http", "run"))
        wait_for(lambda: bool(stack.drive.responses("late")), 60, "the late command's answer")
    finally:
        pool.stop()
    assert "Settings of this channel" in stack.drive.responses("late")[0]["text"]


def test_a_request_the_listener_queue_cannot_take_is_logged_and_the_user_told(stack: Stack, tmp_path: Path) -> None:
    serve = ServeProcess({**stack.serve_env, "PORT": str(free_port()), "TICKETBOT_LISTENER_QUEUE_LIMIT": "1"},
                         tmp_path / "serve-small-queue.log")
    try:
        wait_for(lambda: len(listener_pids(serve)) == 2, 30, "the listener processes")
        pids = listener_pids(serve)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        channel = new_channel()
        try:
            for name in ("q1", "q2", "q3"):
                body = command_body("config", channel=channel, user=ALICE, response_url=stack.slack.response_url(name))
                assert serve.post_signed(body, FORM).status == 200
            wait_for(lambda: len(stack.drive.responses("q2")) + len(stack.drive.responses("q3")) == 2, 20,
                     "the notes that q2 and q3 were not done")
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        for name in ("q2", "q3"):
            assert "too busy" in stack.drive.responses(name)[0]["text"]
        wait_for(lambda: bool(stack.drive.responses("q1")), 20, "the queued command's answer")
        assert "Settings of this channel" in stack.drive.responses("q1")[0]["text"]
        assert serve.output().count("the listener queue is full; the user is told") == 2
    finally:
        serve.stop()


def test_work_in_hand_when_serve_stops_is_logged_and_the_user_told(stack: Stack, tmp_path: Path) -> None:
    serve = ServeProcess({**stack.serve_env, "PORT": str(free_port())}, tmp_path / "serve-stopping.log")
    try:
        channel = new_channel()
        warm = command_body("config", channel=channel, user=ALICE, response_url=stack.slack.response_url("warm"))
        assert serve.post_signed(warm, FORM).status == 200
        wait_for(lambda: bool(stack.drive.responses("warm")), 60, "the listener processes to work")
        stack.slack.slow_response("stopping", 30.0)  # the work's answer hangs: the work is still in hand
        body = command_body("config", channel=channel, user=ALICE, response_url=stack.slack.response_url("stopping"))
        assert serve.post_signed(body, FORM).status == 200
        time.sleep(1.0)
        os.killpg(serve.process.pid, signal.SIGTERM)
        serve.process.wait(timeout=30)
        wait_for(lambda: any("restarting" in r["text"] for r in stack.drive.responses("stopping")), 20,
                 "the note that the work was not done")
        assert "did not finish: the listener process was stopped; the user is told" in serve.output()
    finally:
        serve.stop()


# ---- item 11: only this app and this workspace ---------------------------------------------------------------


def foreign_command(stack: Stack, text: str, channel: str, name: str, team: str) -> bytes:
    body = command_body(text, channel=channel, user="U0STRANGE", response_url=stack.slack.response_url(name))
    return body.replace(f"team_id={TEAM_ID}".encode(), f"team_id={team}".encode())


def test_a_signed_command_from_another_team_changes_nothing(stack: Stack) -> None:
    channel = new_channel()
    body = foreign_command(stack, f"config approvers <@{BOB}|bob>", channel, "foreign", OTHER_TEAM)
    answer = stack.serve.post_signed(body, FORM)
    assert answer.status == 200 and "only works for members of its own Slack workspace" in answer.json()["text"]
    other_app = command_body(f"config approvers <@{BOB}|bob>", channel=channel, user=ALICE,
                             response_url=stack.slack.response_url("other-app")).replace(b"A0TEST", b"A0OTHER")
    assert "only works for members" in stack.serve.post_signed(other_app, FORM).json()["text"]
    stack.drive.command("config", channel=channel, response="mine")
    wait_for(lambda: bool(stack.drive.responses("mine")), 20, "the config answer")
    assert "anyone in the channel" in stack.drive.responses("mine")[0]["text"]
    assert not stack.drive.responses("foreign") and not stack.drive.responses("other-app")
    assert "from a user of another workspace (T0OTHER01)" in stack.serve.output()


def test_events_of_another_installation_or_a_slack_connect_guest_act_on_nothing(stack: Stack) -> None:
    channel = new_channel()
    ts = stack.slack.next_ts()
    stack.slack.add_file("FGUEST00001", "bundles.csv", b"Name,Machine name\nA,a\n", shares={channel: ts})
    share = {"type": "message", "subtype": "file_share", "channel": channel, "user": "U0GUEST01", "ts": ts,
             "files": [{"id": "FGUEST00001"}], "user_team": OTHER_TEAM}
    guest = json.loads(event_body(share))
    guest["is_ext_shared_channel"] = True
    foreign = json.loads(event_body({**share, "user": "U0FOREIGN"}))
    foreign["authorizations"][0]["team_id"] = OTHER_TEAM
    foreign["team_id"] = OTHER_TEAM
    for payload in (guest, foreign):
        assert stack.serve.post_signed(json.dumps(payload).encode(), "application/json").status == 200
    time.sleep(2.0)
    assert not [c for c in stack.slack.calls_to("files.info") if c.params.get("file") == "FGUEST00001"]
    with stack.uow_factory() as uow:
        assert uow.sessions.latest_in_channel(channel) is None
    output = stack.serve.output()
    assert "from a user of another workspace (T0OTHER01)" in output
    assert "sent for another workspace's installation (T0OTHER01)" in output


def test_slack_connect_guests_are_let_in_when_the_setting_says_so(stack: Stack, tmp_path: Path) -> None:
    serve = ServeProcess({**stack.serve_env, "PORT": str(free_port()), "TICKETBOT_ALLOW_SLACK_CONNECT": "true"},
                         tmp_path / "serve-connect.log")
    try:
        channel = new_channel()
        body = foreign_command(stack, "config", channel, "guest", OTHER_TEAM)
        assert serve.post_signed(body, FORM).status == 200
        wait_for(lambda: bool(stack.drive.responses("guest")), 20, "the guest's answer")
        assert "Settings of this channel" in stack.drive.responses("guest")[0]["text"]
        other_app = foreign_command(stack, "config", channel, "guest-app", OTHER_TEAM).replace(b"A0TEST", b"A0OTHER")
        assert "only works for members" in serve.post_signed(other_app, FORM).json()["text"]  # never another app
    finally:
        serve.stop()


def test_sign_is_what_slack_computes() -> None:
    """The test signer matches Slack's documented example, so the tests above sign as Slack does."""
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
            b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
            b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    headers = sign(body, 1531420618, "8f742231b10e8888abcd99yyyzzz85a5")
    assert headers["X-Slack-Signature"] == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
