"""`ticketbot serve`: the Slack app over HTTP (waitress: POST /slack/events, GET /healthz) or Socket Mode.

This process only verifies and acknowledges; the listener processes (bot/slack/listener_pool.py) do the
work, so acknowledgements stay in milliseconds under bursts.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest

from bot.slack.fast_ack import FastAck
from bot.slack.listener_pool import ListenerPool
from bot.slack.request_gate import MAX_BODY_BYTES, GateAnswer, SlackRequestGate
from bot.wiring import exit_codes
from bot.wiring.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"  # liveness: this process and its listener processes run
READY_PATH = "/readyz"  # readiness: the database and Redis answer too
SWITCH_INTERVAL_S = 0.001
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _shutdown(pool: ListenerPool) -> None:
    pool.stop()
    raise SystemExit(0)


def serve_problems(settings: Settings) -> list[str]:
    """What `serve` needs beyond the common settings, all named at once."""
    problems = []
    if not settings.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN: the bot token (xoxb-…) from the app's OAuth & Permissions page")
    elif not str(settings.slack_bot_token).startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
    if settings.slack_app_token:
        if not str(settings.slack_app_token).startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN: must be an app-level token starting with xapp- (connections:write)")
    elif not settings.slack_signing_secret:
        problems.append("SLACK_SIGNING_SECRET: needed in HTTP mode (Basic Information → Signing Secret); "
                        "or set SLACK_APP_TOKEN for Socket Mode")
    return problems


def wsgi_app(app: App | None, is_healthy: Callable[[], bool],
             is_ready: Callable[[], bool] | None = None, *, gate: SlackRequestGate | None = None,
             fast_ack: FastAck | None = None) -> WSGIApp:
    """Slack's requests (HTTP mode) once `gate` admits them: events and our command to `fast_ack`, the rest to
    Bolt; /healthz and /readyz; anything else 404."""
    if app is not None and gate is None:
        raise ValueError("Slack requests need the gate that checks their size and signature")
    probes = {HEALTH_PATH: is_healthy, READY_PATH: is_ready or is_healthy}

    def answer(start_response: StartResponse, status: str, body: bytes,
               headers: Iterable[tuple[str, str]] = (("Content-Type", "text/plain"),)) -> list[bytes]:
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def slack(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        assert app is not None and gate is not None
        admitted = gate.admit(environ)
        if isinstance(admitted, GateAnswer):
            log.info("refused a request to %s: %s", EVENTS_PATH, admitted.reason)
            return answer(start_response, admitted.status, admitted.status[4:].encode())
        try:
            body = admitted.body.decode("utf-8")
        except UnicodeDecodeError:
            return answer(start_response, "400 Bad Request", b"Bad Request")
        request_headers: dict[str, str | Sequence[str]] = dict(admitted.headers)
        quick = fast_ack.take(body, request_headers) if fast_ack is not None else None
        response = quick or app.dispatch(BoltRequest(body=body, headers=request_headers,
                                                       query=environ.get("QUERY_STRING", "")))
        data = response.body.encode("utf-8")
        headers = [(name, value) for name, values in response.headers.items() if name.lower() != "content-length"
                   for value in values]
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        return answer(start_response, status, data, headers)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if app is not None and path == EVENTS_PATH and method == "POST":
            return slack(environ, start_response)
        if path in probes and method in ("GET", "HEAD"):
            ok = probes[path]()
            return answer(start_response, "200 OK" if ok else "503 Service Unavailable",
                          json.dumps({"ok": ok}).encode(), (("Content-Type", "application/json"),))
        return answer(start_response, "404 Not Found", b"Not Found")

    return application


def run_serve(settings: Settings) -> int:
    from bot.slack.app import build_app, build_bot, workspace_gate
    from bot.wiring.bootstrap import bootstrap
    from bot.wiring.health import ready

    problems = serve_problems(settings)
    if problems:
        print("ticketbot serve cannot start; fix these settings:\n" + "\n".join(f"  - {p}" for p in problems),
              file=sys.stderr)
        return exit_codes.USAGE
    socket_mode = bool(settings.slack_app_token)
    pool = ListenerPool(settings.listener_processes, queue_limit=settings.listener_queue_limit)
    services = bootstrap(settings, inline=False)  # migrates the database first (serialised)
    bot = build_bot(services)
    workspace = workspace_gate(bot)
    app = build_app(bot, workspace)
    runner = pool.attach(app, bot.tell)  # this process acknowledges; the listener processes do the work
    pool.start()
    signal.signal(signal.SIGTERM, lambda *_: _shutdown(pool))

    def is_healthy() -> bool:
        return pool.alive()

    def is_ready() -> bool:
        return pool.alive() and ready(services)

    import waitress

    host = settings.host
    if socket_mode:
        # No Slack traffic over HTTP, but container health checks still need /healthz and /readyz.
        probes = threading.Thread(target=waitress.serve, kwargs={
            "app": wsgi_app(None, is_healthy, is_ready), "host": host, "port": settings.port, "threads": 2,
            "ident": "ticketbot"}, name="health-http", daemon=True)
        probes.start()
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.warning("ticketbot serve: Socket Mode (health on %s:%s%s)", host, settings.port, HEALTH_PATH)
        SocketModeHandler(app, app_token=str(settings.slack_app_token)).start()
        return 0

    # Acknowledgements are short and threads hand them to each other: switching the GIL more often than
    # every 5 ms keeps a burst of them from waiting on one another.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" at every burst
    threads = settings.http_threads
    log.warning("ticketbot serve: HTTP on %s:%s (POST %s, GET %s)", host, settings.port, EVENTS_PATH, HEALTH_PATH)
    gate = SlackRequestGate(str(settings.slack_signing_secret))
    from bot.slack.listeners.commands import answer_in_acknowledgement

    # Events and /generate-tickets skip Bolt in this process: see bot/slack/fast_ack.py.
    fast_ack = FastAck(workspace, runner, lambda command: answer_in_acknowledgement(bot.access, command))
    # waitress refuses a longer body from its Content-Length (or while reading a chunked one) before the app
    # sees it; the gate applies the same cap to what waitress hands on.
    waitress.serve(wsgi_app(app, is_healthy, is_ready, gate=gate, fast_ack=fast_ack), host=host, port=settings.port,
                   threads=threads, connection_limit=500, channel_timeout=30, max_request_body_size=MAX_BODY_BYTES,
                   ident="ticketbot")
    return 0
