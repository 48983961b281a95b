"""A local fake Jira REST server speaking the real wire format, Cloud and Server/Data Center flavours.

A real HTTP server (ThreadingHTTPServer on 127.0.0.1, random port) that the real `jira` library and
our gateway talk to through `server=fake.url`:

    with FakeJiraServer("cloud") as fake:                  # or "server"
        gateway = JiraGateway(fake.config())               # a JiraConfig with the right credentials
        fake.enqueue("create", Reply.status(429, retry_after="1"))   # the next create is rate limited
        fake.enqueue("bulk", Reply.reset_after())          # the next bulk create happens, then the socket resets
        fake.search_lag_s = 5                              # new issues stay out of search for 5 s
        fake.search_misses = 2                             # … or out of the next two searches that match them
        ...
        fake.issues, fake.links, fake.requests, fake.counts()

Endpoints (under /rest/api/2 and, on Cloud, /rest/api/3): serverInfo (no auth), myself, project/{key},
mypermissions (DELETE_ISSUES too), DELETE issue/{key}, PUT issue/{key} (labels), issue/{key}/transitions
(GET, POST), DELETE issueLink/{id}, issue/createmeta/{key}/issuetypes[/{id}] (Cloud pages as `issueTypes`/`fields`,
Server as `values`), field, issueLinkType, issue (POST create, GET one), issue/bulk (≤ 50, partial
failures as `errors[].failedElementNumber`, all failed → 400), issueLink, search/jql (Cloud; only ids
unless `fields` is given) and search (Server; 410 Gone on Cloud, as on the real Cloud).
Revising issues that exist: PUT issue/{key} (`fields` set, `update.labels` add/remove; 204), issue/{key}/comment
(GET paged with `startAt`/`maxResults`/`total`, POST; bodies ADF on v3, strings on v2), issue/{key}/transitions
(GET the ones open from the current status, POST `{"transition": {"id"}}`; 204), DELETE issueLink/{id} (204).
Every issue has `created`, `updated` (moves on with every change, links included, as in Jira) and `status` (with
its `statusCategory`); `fake.transitions` is the workflow, `fake.edit_in_jira(key, description)` a person's edit
in Jira's UI, and `fake.endpoints()` counts requests by method and path template (`PUT issue/{key}`).

Like Jira, it checks what it is sent: credentials (Basic email:token on Cloud, Bearer PAT on Server),
project and issue type, fields on the create screen, required fields, one-line summaries, ADF on v3
and plain strings on v2, labels without spaces, parents that are epics, links to issues that exist.

Links are stored as (type, inward, outward) and shown the way Jira shows them: `inward` is the issue
that "blocks" for type Blocks (docs/design.md §10). Scripted replies (`Reply.*`) are consumed one per request
of a kind (`KINDS`); standing knobs: `search_lag_s` and `search_misses` (index lag by time, or by a count
of searches: tests use the count, which no machine's speed changes), `refuse` (a predicate refusing some issues
every time), `auth` ("ok", "reject" → 401, "forbid" → 403), `latency_s`, `permissions`, `screens`,
`link_types`. The story screen has the flavour's story-points field (`story_points_field`); delete it
from `screens["Story"]` to play a project without one.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.jira.gateway import JiraConfig

EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-label"
STORY_POINTS_SCHEMA = "com.pyxis.greenhopper.jira:jsw-story-points"
FLOAT_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:float"
KINDS = ("serverInfo", "myself", "project", "permissions", "createmeta", "field", "issueLinkType", "create", "bulk",
         "get_issue", "link", "search",
         # revising issues that exist (the revision push): edit, comments, transitions, unlinking
         "update", "comments", "comment", "transitions", "transition", "unlink",
         # taking issues back (`undo`)
         "delete_issue")
_API = re.compile(r"^/rest/api/(2|3|latest)/(.*)$")


@dataclass(frozen=True)
class FakeField:
    id: str
    name: str
    required: bool = False
    has_default: bool = False
    custom: str = ""  # schema.custom of a custom field
    type: str = "any"  # schema.type: "number" fields refuse anything but a number, as Jira does

    def meta(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type, "system": self.id} if not self.custom else {
            "type": self.type, "custom": self.custom, "customId": int(self.id.rsplit("_", 1)[-1])}
        return {"fieldId": self.id, "key": self.id, "name": self.name, "required": self.required,
                "hasDefaultValue": self.has_default, "operations": ["set"], "schema": schema}


@dataclass(frozen=True)
class Link:
    type: str
    inward: str  # for Blocks: the blocker ("inward blocks outward")
    outward: str
    id: str = field(default="", compare=False)  # Jira's issueLink id (DELETE issueLink/{id}); not part of equality


@dataclass
class FakeIssue:
    id: str
    key: str
    fields: dict[str, Any]
    created_at: float  # time.monotonic()
    unseen_by: int = 0  # searches that would match it and still miss it (Jira's index lag, counted)
    comments: list[dict[str, Any]] = field(default_factory=list)  # as GET issue/{key}/comment shows them


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without /rest/api/N/
    version: str
    kind: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer for the next request of a kind."""

    status: int = 0  # 0: answer normally
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    reset: bool = False  # reset the connection at once: nothing is done
    reset_after: bool = False  # do the work, then reset the connection instead of answering
    status_after: int = 0  # do the work, then answer this error status (a proxy's 503 after Jira acted)
    delay: float = 0.0
    refuse_elements: frozenset[int] = frozenset()  # bulk: refuse these positions (this request only)

    @classmethod
    def error(cls, status: int, *messages: str, retry_after: str | None = None,
              errors: dict[str, str] | None = None) -> Reply:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(status=status, headers=headers,
                   body={"errorMessages": list(messages or [f"fake error {status}"]), "errors": errors or {}})

    @classmethod
    def reset_connection(cls) -> Reply:
        return cls(reset=True)

    @classmethod
    def reset_after_work(cls) -> Reply:
        return cls(reset_after=True)

    @classmethod
    def error_after_work(cls, status: int) -> Reply:
        return cls(status_after=status)

    @classmethod
    def partial(cls, *positions: int) -> Reply:
        return cls(refuse_elements=frozenset(positions))

    @classmethod
    def slow(cls, seconds: float) -> Reply:
        return cls(delay=seconds)


def story_points_field(flavor: str) -> FakeField:
    """The story-points field as each flavour names it: Cloud's "Story point estimate" (Jira Software's own
    type), Server/DC's "Story Points" (a number custom field)."""
    if flavor == "cloud":
        return FakeField("customfield_10016", "Story point estimate", custom=STORY_POINTS_SCHEMA, type="number")
    return FakeField("customfield_10002", "Story Points", custom=FLOAT_SCHEMA, type="number")


def default_screens(flavor: str) -> dict[str, dict[str, FakeField]]:
    common = [FakeField("project", "Project", True), FakeField("issuetype", "Issue Type", True),
              FakeField("summary", "Summary", True), FakeField("description", "Description"),
              FakeField("labels", "Labels"), FakeField("reporter", "Reporter", True, True),
              FakeField("priority", "Priority", False, True), FakeField("components", "Components")]
    story = [*common, story_points_field(flavor)]  # a Scrum project's story screen has it
    epic = list(common)
    if flavor == "cloud":
        story.append(FakeField("parent", "Parent"))
    else:
        story.append(FakeField("customfield_10014", "Epic Link", custom=EPIC_LINK_SCHEMA))
        epic.append(FakeField("customfield_10011", "Epic Name", True, custom=EPIC_NAME_SCHEMA))
    return {"Story": {f.id: f for f in story}, "Epic": {f.id: f for f in epic},
            "Task": {f.id: f for f in common}, "Bug": {f.id: f for f in common}}


class FakeJiraServer:
    """See the module docstring. Thread-safe; start()/stop() or use it as a context manager."""

    def __init__(self, flavor: str = "cloud", *, project: str = "RPL", email: str = "bot@example.com",
                 api_token: str = "ATATT3xFfGF0-fake-api-token", pat: str = "NjQ2-fake-personal-access-token") -> None:
        if flavor not in ("cloud", "server"):
            raise ValueError("flavor is cloud or server")
        self.flavor = flavor
        self.project = project
        self.email, self.api_token, self.pat = email, api_token, pat
        self.issue_types = {"Story": "10001", "Epic": "10000", "Task": "10002", "Bug": "10003"}
        self.screens = default_screens(flavor)
        self.extra_fields = [FakeField("customfield_10100", "Team", custom="com.atlassian.teams:rm-teams-custom-field")]
        self.link_types = [("10000", "Blocks", "is blocked by", "blocks"),
                           ("10001", "Relates", "relates to", "relates to"),
                           ("10002", "Duplicate", "is duplicated by", "duplicates")]
        self.permissions = {"BROWSE_PROJECTS": True, "CREATE_ISSUES": True, "LINK_ISSUES": True}
        self.auth = "ok"  # ok | reject (401) | forbid (403)
        self.search_lag_s = 0.0
        self.search_misses = 0  # each new issue is missed by this many matching searches: lag without a clock
        self.latency_s = 0.0  # added to every answer, like a real site's round trip
        self.refuse: Callable[[dict[str, Any]], dict[str, str] | None] | None = None
        self.issues: dict[str, FakeIssue] = {}
        self.created_count = 0
        self.links: list[Link] = []
        self.link_count = 0  # issueLink ids are never reused
        self.comment_count = 0
        # The project's workflow: (transition id, name, status it leads to, that status's category key).
        self.transitions = [("11", "To Do", "To Do", "new"), ("21", "In Progress", "In Progress", "indeterminate"),
                            ("31", "Done", "Done", "done"), ("41", "Won't Do", "Won't Do", "done")]
        self._clock_ms = 0  # `updated` times: strictly increasing, like Jira's for one issue
        self.deleted: list[str] = []  # keys of issues deleted through the API (`undo`)
        self.requests: list[Recorded] = []
        self._queues: dict[str, deque[Reply]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> FakeJiraServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-jira-{self.flavor}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeJiraServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def config(self, **overrides: Any) -> JiraConfig:
        """A JiraConfig for this server (Cloud: email + API token; Server: PAT), fast timeouts."""
        credentials: dict[str, Any] = ({"email": self.email, "api_token": self.api_token} if self.flavor == "cloud"
                                       else {"pat": self.pat})
        values: dict[str, Any] = {"url": self.url, "project": self.project, "timeout_s": (2.0, 5.0),
                                  **credentials, **overrides}
        return JiraConfig(**values)

    def env(self, **overrides: str) -> dict[str, str]:
        """The JIRA_* environment of a ticketbot process pointed at this server."""
        env = {"JIRA_URL": self.url, "JIRA_PROJECT": self.project}
        env.update({"JIRA_EMAIL": self.email, "JIRA_API_TOKEN": self.api_token} if self.flavor == "cloud"
                   else {"JIRA_PAT": self.pat})
        env.update(overrides)
        return env

    # ---- scripting and inspection ----------------------------------------------------------------------------

    def enqueue(self, kind: str, *replies: Reply) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
        with self._lock:
            self._queues.setdefault(kind, deque()).extend(replies)

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(r.kind for r in self.requests)

    def count(self, kind: str) -> int:
        return self.counts()[kind]

    def bodies(self, kind: str) -> list[Any]:
        with self._lock:
            return [r.body for r in self.requests if r.kind == kind]

    def with_label(self, label: str) -> list[FakeIssue]:
        with self._lock:
            return [i for i in self.issues.values() if label in (i.fields.get("labels") or [])]

    def shown(self, link: Link) -> str:
        """How Jira shows a link on its inward issue, e.g. "RPL-1 blocks RPL-2"."""
        outward = next(t[3] for t in self.link_types if t[1] == link.type)
        return f"{link.inward} {outward} {link.outward}"

    def endpoints(self) -> Counter[str]:
        """Requests by method and path, keys and ids replaced: `PUT issue/{key}`, `DELETE issueLink/{id}` (bench)."""
        with self._lock:
            return Counter(f"{r.method} {_template(r.path)}" for r in self.requests)

    def edit_in_jira(self, key: str, description: Any) -> None:
        """A person edits the issue's description in Jira's own UI (not through ticketbot)."""
        with self._lock:
            issue = self.issues[key]
            issue.fields["description"] = description
            self.touch(issue)

    def touch(self, issue: FakeIssue) -> None:
        """The issue changed: its `updated` moves on (at least a millisecond, as Jira's always does)."""
        self._clock_ms = max(self._clock_ms + 1, int(time.time() * 1000))
        issue.fields["updated"] = jira_time(self._clock_ms)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queues.clear()

    # ---- answering -------------------------------------------------------------------------------------------

    def next_reply(self, kind: str) -> Reply | None:
        with self._lock:
            queue = self._queues.get(kind)
            return queue.popleft() if queue else None

    def record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def authorised(self, header: str) -> int:
        """0 when the credentials are right; else the status Jira would answer."""
        if self.auth == "reject":
            return 401
        if self.flavor == "cloud":
            wanted = "Basic " + base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()
        else:
            wanted = f"Bearer {self.pat}"
        if header != wanted:
            return 401
        return 403 if self.auth == "forbid" else 0

    def handle(self, method: str, version: str, path: str, query: dict[str, list[str]],
               body: Any, reply: Reply | None) -> tuple[int, Any]:
        from tests.fakes.jira_handlers import route

        with self._lock:
            return route(self, method, version, path, query, body, reply)


def jira_time(ms: int) -> str:
    """Jira's timestamp format: 2026-12-04T15:00:00.123+0000."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}+0000"


_KEY_OR_ID = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9]+$|^[0-9]+$")


def _template(path: str) -> str:
    return "/".join("{key}" if _KEY_OR_ID.match(part) and not part.isdigit() else "{id}" if part.isdigit()
                    else part for part in path.split("/"))


def kind_of(method: str, path: str) -> str:
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "issue" and parts[2] in ("comment", "transitions"):
        return {("comment", "GET"): "comments", ("comment", "POST"): "comment",
                ("transitions", "GET"): "transitions", ("transitions", "POST"): "transition"}.get((parts[2], method),
                                                                                              "other")
    if len(parts) == 2 and parts[0] == "issue" and method == "PUT":
        return "update"
    if len(parts) == 2 and parts[0] == "issueLink" and method == "DELETE":
        return "unlink"
    if len(parts) == 2 and parts[0] == "issue" and method == "DELETE":
        return "delete_issue"
    if path == "serverInfo":
        return "serverInfo"
    if path == "myself":
        return "myself"
    if path.startswith("project/"):
        return "project"
    if path == "mypermissions":
        return "permissions"
    if path.startswith("issue/createmeta"):
        return "createmeta"
    if path == "field":
        return "field"
    if path == "issueLinkType":
        return "issueLinkType"
    if path == "issue" and method == "POST":
        return "create"
    if path == "issue/bulk" and method == "POST":
        return "bulk"
    if path.startswith("issue/") and method == "GET":
        return "get_issue"
    if path == "issueLink":
        return "link"
    if path in ("search", "search/jql"):
        return "search"
    return "other"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeJiraServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        parts = urlsplit(self.path)
        match = _API.match(parts.path)
        fake = self.fake
        if match is None:
            self._send(404, {"errorMessages": [f"no such resource {parts.path}"]})
            return
        version, path = match.group(1), match.group(2)
        kind = kind_of(method, path)
        query = parse_qs(parts.query)
        fake.record(Recorded(method, path, version, kind, query, {k.lower(): v for k, v in self.headers.items()},
                             body))
        reply = fake.next_reply(kind)
        delay = fake.latency_s + (reply.delay if reply is not None else 0.0)
        if delay:
            time.sleep(delay)
        if reply is not None and reply.reset:
            self._reset()
            return
        if kind != "serverInfo":
            denied = fake.authorised(self.headers.get("authorization", ""))
            if denied:
                self._send(denied, {"errorMessages": [
                    "You are not authenticated. Authentication required to perform this operation." if denied == 401
                    else "You do not have the permission to see the specified project."], "errors": {}})
                return
        if reply is not None and reply.status:
            self._send(reply.status, reply.body, reply.headers)
            return
        status, payload = fake.handle(method, version, path, query, body, reply)
        if reply is not None and reply.reset_after:
            self._reset()
            return
        if reply is not None and reply.status_after:
            self._send(reply.status_after, {"errorMessages": ["Service Unavailable"], "errors": {}})
            return
        self._send(status, payload)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if data:
                self.send_header("content-type", "application/json;charset=UTF-8")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _reset(self) -> None:
        """Close with a TCP reset: the client sees its request vanish without an answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
