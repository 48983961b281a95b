"""A local fake OpenAI-compatible server speaking the real wire format, for tests and benchmarks.

A real HTTP server (ThreadingHTTPServer on 127.0.0.1, random port) answering
`POST /v1/chat/completions` and `GET /v1/models` the way OpenAI does, so the real `openai` client can
be pointed at it with `base_url`:

    with FakeOpenAIServer() as fake:                      # or the `fake_openai` pytest fixture
        writer = OpenAIWriter(api_key="test-key", model=fake.model, base_url=fake.base_url)
        fake.latency = 0.2                                 # every chat completion takes 200 ms
        fake.enqueue(Reply.status(429, retry_after="1"),   # the next two chat completions, in order;
                     Reply.ticket(approach=""))            # then back to the default answer
        ...
        fake.chat_requests                                 # request bodies (dicts), in arrival order
        fake.requests                                      # every request: method, path, headers, body
        fake.max_in_flight                                 # most chat completions answered at once
        fake.reset()                                       # forget requests, queued replies, max_in_flight

By default every chat completion gets a schema-valid ticket made from the request (the entity's
`"label"` and `"config_name"` echoed from the prompt's data), with `usage` whose
`prompt_tokens_details.cached_tokens` is non-zero once a system prompt has been seen before, so it
can drive a 400-ticket run. Set `fake.answer = lambda body: {...}` for another default.

Scripted replies (`Reply.*`), consumed one per request from a queue per path (`enqueue(..., path=)`):
`ticket(**fields)` (a field set to None is left out), `content(text)` (any text, e.g. invalid JSON),
`refusal(text)`, `finish(reason)` ("length", "content_filter"), `status(code, message, retry_after=,
code=)` (429, 500, 400 …), `hang(seconds)` (answer late; a client timeout fires first), `raw(status,
body)`. Standing behaviour: `latency` (s), `reject_json_schema` (400 for `json_schema`, like servers
without structured outputs), `api_key` (other keys get 401 echoing the key sent, harsher than OpenAI,
which masks most of it), `models` (ids served; other models get 404 `model_not_found`).

Like OpenAI, it answers 400 to a strict schema whose objects do not require every property or allow
additional ones, and to `json_object` requests whose messages never say "json" (openai_wire.py).
After `stop()` its URL refuses connections: the "unreachable server" case.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.openai_wire import default_answer, error, error_type, request_problem

CHAT = "/v1/chat/completions"
MODELS = "/v1/models"
DEFAULT_MODEL = "gpt-fake-mini"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build with the class methods."""

    http_status: int = 200
    fields: dict[str, Any] | None = None  # ticket fields over the default answer (None values are dropped)
    text: str | None = None  # message content as is (overrides fields)
    refusal_text: str | None = None
    finish_reason: str = "stop"
    body: bytes | None = None  # the whole response body as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def ticket(cls, **fields: Any) -> Reply:
        """A schema-valid ticket with these fields changed; a field given as None is left out."""
        return cls(fields=fields)

    @classmethod
    def content(cls, text: str, finish_reason: str = "stop") -> Reply:
        """The message content exactly as given: invalid JSON, hostile text …"""
        return cls(text=text, finish_reason=finish_reason)

    @classmethod
    def refusal(cls, text: str = "I'm sorry, I can't help with that.") -> Reply:
        return cls(refusal_text=text)

    @classmethod
    def finish(cls, reason: str) -> Reply:
        """finish_reason "length" (content cut mid-JSON) or "content_filter" (no content)."""
        if reason == "length":
            return cls(text='{"user_story": "As a site builder, I want', finish_reason=reason)
        return cls(text="", finish_reason=reason)

    @classmethod
    def status(cls, status: int, message: str = "", *, retry_after: str | None = None, code: str | None = None,
               headers: dict[str, str] | None = None) -> Reply:
        """An OpenAI-style error body with this HTTP status (and a retry-after header when given)."""
        body = {"error": {"message": message or f"fake error {status}", "type": error_type(status),
                          "param": None, "code": code}}
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = retry_after
        return cls(http_status=status, body=json.dumps(body).encode(), headers=extra)

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """The default answer, `seconds` late (on top of the latency)."""
        return cls(delay=seconds)

    @classmethod
    def raw(cls, status: int, body: bytes, content_type: str = "application/json") -> Reply:
        return cls(http_status=status, body=body, headers={"content-type": content_type})


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None


class FakeOpenAIServer:
    """See the module docstring. Thread-safe; start() / stop() or use it as a context manager."""

    def __init__(self, *, model: str = DEFAULT_MODEL, latency: float = 0.0, api_key: str | None = None) -> None:
        self.model = model
        self.models: list[str] = [model]
        self.latency = latency
        self.api_key = api_key
        self.reject_json_schema = False
        self.answer: Callable[[dict[str, Any]], dict[str, Any]] = default_answer
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queues: dict[str, deque[Reply]] = {}
        self._seen_prompts: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging replies
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- scripting and inspection --------------------------------------------------------------------

    def enqueue(self, *replies: Reply, path: str = CHAT) -> None:
        with self._lock:
            self._queues.setdefault(path, deque()).extend(replies)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.path == CHAT and r.method == "POST"]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queues.clear()
            self.max_in_flight = 0

    # --- answering -------------------------------------------------------------------------------------

    def _next(self, path: str) -> Reply | None:
        with self._lock:
            queue = self._queues.get(path)
            return queue.popleft() if queue else None

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _usage(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        messages = body.get("messages") or []
        prompt_chars = sum(len(str(m.get("content") or "")) for m in messages if isinstance(m, dict))
        system = next((str(m.get("content")) for m in messages
                       if isinstance(m, dict) and m.get("role") == "system"), "")
        with self._lock:
            cached = len(system) // 4 if system and system in self._seen_prompts else 0
            self._seen_prompts.add(system)
        prompt, completion = math.ceil(prompt_chars / 4), math.ceil(len(content) / 4)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}

    def chat(self, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """The answer to one chat completion request: status, headers, body."""
        problem = request_problem(body, models=self.models, reject_json_schema=self.reject_json_schema)
        if problem is not None:
            return problem
        reply = self._next(CHAT) or Reply()
        self._wait(self.latency + reply.delay)
        if reply.body is not None:
            return reply.http_status, reply.headers, reply.body
        if reply.text is not None or reply.refusal_text is not None:
            content = reply.text
        else:
            answer = self.answer(body)
            for name, value in (reply.fields or {}).items():
                if value is None:
                    answer.pop(name, None)
                else:
                    answer[name] = value
            content = json.dumps(answer)
        refusal = reply.refusal_text
        message = {"role": "assistant", "content": None if refusal else content, "refusal": refusal}
        response = {
            "id": f"chatcmpl-fake-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model"), "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
            "usage": self._usage(body, content or refusal or ""),
        }
        return reply.http_status, reply.headers, json.dumps(response).encode()

    def list_models(self) -> tuple[int, dict[str, str], bytes]:
        reply = self._next(MODELS)
        if reply is not None and reply.body is not None:
            self._wait(reply.delay)
            return reply.http_status, reply.headers, reply.body
        self._wait(reply.delay if reply else 0.0)
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
        return 200, {}, json.dumps({"object": "list", "data": data}).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai client expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        fake = self.fake
        fake._record(Recorded(method, path, {k.lower(): v for k, v in self.headers.items()}, body))
        sent_key = (self.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if fake.api_key is not None and sent_key != fake.api_key:
            status, headers, payload = error(401, f"Incorrect API key provided: {sent_key}.", code="invalid_api_key")
        elif method == "POST" and path == CHAT and isinstance(body, dict):
            fake._enter()
            try:
                status, headers, payload = fake.chat(body)
            finally:
                fake._leave()
        elif method == "GET" and path == MODELS:
            status, headers, payload = fake.list_models()
        else:
            status, headers, payload = error(404, f"Invalid URL ({method} {path})")
        try:
            self.send_response(status)
            headers = {"content-type": "application/json", **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer
