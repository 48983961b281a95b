"""The answers of the fake Jira server (tests/fakes/jira_server.py), one function per endpoint.

Each takes the server (locked by the caller) and the parsed request and returns (status, JSON body).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.jira_server import FakeJiraServer, Reply

Answer = tuple[int, Any]

_LABELS_IN = re.compile(r"labels\s+in\s*\(([^)]*)\)", re.IGNORECASE)
_LABEL_EQ = re.compile(r"labels\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s)]+)", re.IGNORECASE)
_PROJECT_EQ = re.compile(r"project\s*=\s*(?:\"((?:[^\"\\]|\\.)*)\"|([^\s)]+))", re.IGNORECASE)
_TOKEN = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|([^\s,\"]+)")
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."


def route(fake: FakeJiraServer, method: str, version: str, path: str, query: dict[str, list[str]], body: Any,
          reply: Reply | None) -> Answer:
    if version == "3" and fake.flavor == "server":
        return 404, {"errorMessages": ["REST API version 3 does not exist on this server"]}
    revising = revision_route(fake, method, version, path, query, body)
    if revising is not None:
        return revising
    if method == "DELETE" and path.startswith("issue/") and path.count("/") == 1:
        return delete_issue(fake, path.split("/")[1])
    if path == "serverInfo":
        return 200, server_info(fake)
    if path == "myself":
        if fake.flavor == "cloud":
            return 200, {"accountId": "5b10ac8d82e05b22cc7d4e", "emailAddress": fake.email, "displayName": "ticketbot"}
        return 200, {"name": "ticketbot", "key": "ticketbot", "displayName": "ticketbot"}
    if path.startswith("project/") and method == "GET":
        key = path.split("/", 1)[1]
        if key != fake.project:
            return 404, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
        return 200, {"id": "10000", "key": key, "name": f"Project {key}", "projectTypeKey": "software"}
    if path == "mypermissions":
        wanted = (query.get("permissions") or [""])[0].split(",")
        return 200, {"permissions": {p: {"key": p, "name": p.title(), "havePermission": fake.permissions.get(p, False)}
                                     for p in wanted if p}}
    if path.startswith("issue/createmeta/"):
        return createmeta(fake, path, query)
    if path == "field":
        return 200, all_fields(fake)
    if path == "issueLinkType":
        return 200, {"issueLinkTypes": [{"id": i, "name": n, "inward": inw, "outward": out}
                                        for i, n, inw, out in fake.link_types]}
    if path == "issue" and method == "POST":
        return create(fake, version, body)
    if path == "issue/bulk" and method == "POST":
        return bulk(fake, version, body, reply)
    if path.startswith("issue/") and method == "GET":
        return get_issue(fake, path.split("/", 1)[1], query)
    if path == "issueLink" and method == "POST":
        return link(fake, body)
    if path == "search/jql" and method == "GET":
        if fake.flavor == "server":
            return 404, {"errorMessages": ["null for uri: search/jql"]}
        return search(fake, query, cloud=True)
    if path == "search" and method == "GET":
        if fake.flavor == "cloud":
            return 410, {"errorMessages": ["The requested API has been removed. Please migrate to the "
                                           "/rest/api/3/search/jql API."], "errors": {}}
        return search(fake, query, cloud=False)
    return 404, {"errorMessages": [f"no such resource {method} {path}"]}


def server_info(fake: FakeJiraServer) -> dict[str, Any]:
    if fake.flavor == "cloud":
        return {"baseUrl": fake.url, "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud", "buildNumber": 100282, "serverTitle": "Fake Jira Cloud"}
    return {"baseUrl": fake.url, "version": "9.12.0", "versionNumbers": [9, 12, 0], "deploymentType": "Server",
            "buildNumber": 9120000, "serverTitle": "Fake Jira Data Center"}


def createmeta(fake: FakeJiraServer, path: str, query: dict[str, list[str]]) -> Answer:
    parts = path.split("/")  # issue, createmeta, KEY, issuetypes[, ID]
    if len(parts) < 4 or parts[2] != fake.project or parts[3] != "issuetypes":
        return 404, {"errorMessages": [f"No project could be found with key '{parts[2] if len(parts) > 2 else ''}'."]}
    start = int((query.get("startAt") or ["0"])[0])
    size = int((query.get("maxResults") or ["50"])[0])
    if len(parts) == 4:
        items: list[dict[str, Any]] = [{"id": i, "name": n, "subtask": False, "description": ""}
                                       for n, i in fake.issue_types.items()]
        key = "issueTypes" if fake.flavor == "cloud" else "values"
    else:
        name = next((n for n, i in fake.issue_types.items() if i == parts[4]), None)
        if name is None:
            return 404, {"errorMessages": ["Issue type with id " + parts[4] + " does not exist"]}
        items = [f.meta() for f in fake.screens.get(name, {}).values()]
        key = "fields" if fake.flavor == "cloud" else "values"
    page = items[start:start + size]
    return 200, {key: page, "startAt": start, "maxResults": size, "total": len(items),
                 "isLast": start + size >= len(items)}


def all_fields(fake: FakeJiraServer) -> list[dict[str, Any]]:
    seen: dict[str, Any] = {}
    for screen in fake.screens.values():
        for f in screen.values():
            seen[f.id] = f
    for f in fake.extra_fields:
        seen[f.id] = f
    return [{"id": f.id, "key": f.id, "name": f.name, "custom": bool(f.custom), "clauseNames": [f.name.lower()],
             "schema": f.meta()["schema"]} for f in seen.values()]


# ---- creating ---------------------------------------------------------------------------------------------


def validate(fake: FakeJiraServer, version: str, item: Any) -> dict[str, str]:
    """Jira's field errors for one create request item (empty when it would be created)."""
    if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
        return {"fields": "fields are required"}
    fields = item["fields"]
    errors: dict[str, str] = {}
    if (fields.get("project") or {}).get("key") != fake.project:
        errors["project"] = "valid project is required"
    type_id = str((fields.get("issuetype") or {}).get("id", ""))
    type_name = next((n for n, i in fake.issue_types.items() if i == type_id), None)
    if type_name is None:
        errors["issuetype"] = "valid issue type is required"
        return errors
    screen = fake.screens.get(type_name, {})
    for field_id in fields:
        if field_id not in screen:
            errors[field_id] = NOT_ON_SCREEN.format(field_id)
    for f in screen.values():
        if f.required and not f.has_default and fields.get(f.id) in (None, "", [], {}):
            errors[f.id] = f"{f.name} is required."
        value = fields.get(f.id)
        if f.type == "number" and value is not None and (isinstance(value, bool)
                                                         or not isinstance(value, int | float)):
            errors[f.id] = "Operation value must be a number."
    summary = fields.get("summary")
    if isinstance(summary, str) and ("\n" in summary or "\r" in summary):
        errors["summary"] = "The summary is invalid because it contains newline characters."
    elif isinstance(summary, str) and len(summary) > 255:
        errors["summary"] = "Summary must be less than 255 characters."
    if "description" in fields:
        problem = adf_problem(fields["description"]) if version == "3" else (
            None if isinstance(fields["description"], str) else "Operation value must be a string")
        if problem:
            errors["description"] = problem
    labels = fields.get("labels") or []
    if any(not isinstance(x, str) or " " in x or not x for x in labels):
        errors["labels"] = "Labels cannot contain spaces."
    parent = fields.get("parent")
    if parent is not None:
        target = fake.issues.get(str((parent or {}).get("key")))
        if target is None:
            errors["parent"] = "Could not find issue by id or key."
        elif target.fields["issuetype"]["id"] != fake.issue_types["Epic"]:
            errors["parent"] = "Given parent work item does not belong to appropriate hierarchy."
    for f in screen.values():
        if f.custom.endswith("gh-epic-link") and fields.get(f.id) is not None and fields[f.id] not in fake.issues:
            errors[f.id] = f"The issue {fields[f.id]} does not exist or is not an epic."
    for entry in ((item.get("update") or {}).get("issuelinks") or []):
        add = (entry or {}).get("add") or {}
        name = (add.get("type") or {}).get("name")
        if not any(t[1] == name for t in fake.link_types):
            errors["issuelinks"] = f"No issue link type with name '{name}' found."
        for side in ("inwardIssue", "outwardIssue"):
            if side in add and str((add[side] or {}).get("key")) not in fake.issues:
                errors["issuelinks"] = f"Issue {(add[side] or {}).get('key')} does not exist."
    if not errors and fake.refuse is not None:
        errors.update(fake.refuse(fields) or {})
    return errors


def adf_problem(value: Any) -> str | None:
    """What Jira Cloud says about a v3 description that is not a valid ADF document (None when it is)."""
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return "Operation value must be an Atlassian Document (see the Atlassian Document Format)"

    def check(node: Any) -> str | None:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            return "INVALID_INPUT: a node without a type"
        if node["type"] == "text" and not node.get("text"):
            return "INVALID_INPUT: empty text node"
        for child in node.get("content") or []:
            if (problem := check(child)) is not None:
                return problem
        return None

    return check(value)


def store(fake: FakeJiraServer, item: dict[str, Any]) -> dict[str, str]:
    fake.created_count += 1
    number = fake.created_count  # never reused, even after an issue is deleted
    key, issue_id = f"{fake.project}-{number}", str(10000 + number)
    from tests.fakes.jira_server import FakeIssue, Link

    issue = fake.issues[key] = FakeIssue(issue_id, key, dict(item["fields"]), time.monotonic(), fake.search_misses)
    issue.fields["status"] = status_json(fake, fake.transitions[0])
    fake.touch(issue)
    issue.fields["created"] = issue.fields["updated"]
    for entry in ((item.get("update") or {}).get("issuelinks") or []):
        add = entry["add"]
        inward = add["inwardIssue"]["key"] if "inwardIssue" in add else key
        outward = add["outwardIssue"]["key"] if "outwardIssue" in add else key
        add_link(fake, Link(add["type"]["name"], inward, outward))
    return {"id": issue_id, "key": key, "self": f"{fake.url}/rest/api/2/issue/{issue_id}"}


def create(fake: FakeJiraServer, version: str, body: Any) -> Answer:
    errors = validate(fake, version, body)
    if errors:
        return 400, {"errorMessages": [], "errors": errors}
    return 201, store(fake, body)


def bulk(fake: FakeJiraServer, version: str, body: Any, reply: Reply | None) -> Answer:
    items = (body or {}).get("issueUpdates")
    if not isinstance(items, list) or not items:
        return 400, {"errorMessages": ["issueUpdates is required"], "errors": {}}
    if len(items) > 50:
        return 400, {"errorMessages": ["The number of issues in a bulk create request must be at most 50."],
                     "errors": {}}
    created, failed = [], []
    refused = reply.refuse_elements if reply is not None else frozenset()
    for index, item in enumerate(items):
        errors = {"summary": "Temporarily refused by the fake."} if index in refused else validate(fake, version, item)
        if errors:
            failed.append({"status": 400, "elementErrors": {"errorMessages": [], "errors": errors},
                           "failedElementNumber": index})
        else:
            created.append(store(fake, item))
    return (201 if created else 400), {"issues": created, "errors": failed}


# ---- reading ----------------------------------------------------------------------------------------------


def issue_json(fake: FakeJiraServer, issue: Any, wanted: list[str] | None) -> dict[str, Any]:
    fields = dict(issue.fields)
    fields["issuelinks"] = issue_links(fake, issue.key)
    if wanted is not None and "*all" not in wanted:
        fields = {k: v for k, v in fields.items() if k in wanted}
    return {"id": issue.id, "key": issue.key, "self": f"{fake.url}/rest/api/2/issue/{issue.id}", "fields": fields}


def issue_links(fake: FakeJiraServer, key: str) -> list[dict[str, Any]]:
    entries = []
    for link in fake.links:
        type_id, name, inward, outward = next(t for t in fake.link_types if t[1] == link.type)
        kind = {"id": type_id, "name": name, "inward": inward, "outward": outward}
        if link.inward == key:
            entries.append({"id": link.id, "type": kind, "outwardIssue": {"key": link.outward}})
        if link.outward == key:
            entries.append({"id": link.id, "type": kind, "inwardIssue": {"key": link.inward}})
    return entries


def get_issue(fake: FakeJiraServer, key: str, query: dict[str, list[str]]) -> Answer:
    issue = fake.issues.get(key) or next((i for i in fake.issues.values() if i.id == key), None)
    if issue is None:
        return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
    wanted = (query.get("fields") or [None])[0]
    return 200, issue_json(fake, issue, wanted.split(",") if wanted else None)


def link(fake: FakeJiraServer, body: Any) -> Answer:
    from tests.fakes.jira_server import Link

    name = ((body or {}).get("type") or {}).get("name")
    if not any(t[1] == name for t in fake.link_types):
        return 404, {"errorMessages": [f"No issue link type with name '{name}' found."], "errors": {}}
    inward = ((body or {}).get("inwardIssue") or {}).get("key")
    outward = ((body or {}).get("outwardIssue") or {}).get("key")
    for key in (inward, outward):
        if key not in fake.issues:
            return 404, {"errorMessages": [f"Issue Does Not Exist: {key}"], "errors": {}}
    add_link(fake, Link(str(name), str(inward), str(outward)))
    return 201, None


def add_link(fake: FakeJiraServer, new: Any) -> None:
    """Jira keeps one link per type and direction between two issues; both ends' `updated` move on."""
    from dataclasses import replace

    if new in fake.links:
        return
    fake.link_count += 1
    fake.links.append(replace(new, id=str(10000 + fake.link_count)))
    for key in (new.inward, new.outward):
        if key in fake.issues:
            fake.touch(fake.issues[key])


def search(fake: FakeJiraServer, query: dict[str, list[str]], *, cloud: bool) -> Answer:
    jql = (query.get("jql") or [""])[0]
    labels: set[str] = set()
    for group in _LABELS_IN.findall(jql):
        labels |= {(quoted or bare).replace('\\"', '"') for quoted, bare in _TOKEN.findall(group)}
    for token in _LABEL_EQ.findall(jql):
        labels.add(token.strip('"'))
    projects = {(quoted or bare).replace('\\"', '"') for quoted, bare in _PROJECT_EQ.findall(jql)}
    now = time.monotonic()
    matching = [i for i in fake.issues.values()
                if now - i.created_at >= fake.search_lag_s and labels & set(i.fields.get("labels") or [])
                and (not projects or (i.fields.get("project") or {}).get("key") in projects)]
    matches = []
    for issue in matching:
        if issue.unseen_by:
            issue.unseen_by -= 1  # this search misses it, as Jira's index does for a while
        else:
            matches.append(issue)
    matches.sort(key=lambda i: int(i.id))
    size = int((query.get("maxResults") or ["50"])[0])
    wanted_text = (query.get("fields") or [None])[0]
    wanted = wanted_text.split(",") if wanted_text else None
    if cloud:
        start = int((query.get("nextPageToken") or ["0"])[0])
        page = matches[start:start + size]
        issues = [issue_json(fake, i, wanted) if wanted else {"id": i.id} for i in page]
        last = start + size >= len(matches)
        answer: dict[str, Any] = {"issues": issues, "isLast": last}
        if not last:
            answer["nextPageToken"] = str(start + size)
        return 200, answer
    start = int((query.get("startAt") or ["0"])[0])
    page = matches[start:start + size]
    return 200, {"startAt": start, "maxResults": size, "total": len(matches),
                 "issues": [issue_json(fake, i, wanted) for i in page]}


# ---- revising issues that exist: edit, comments, transitions, unlinking (the revision push) -----------------
# Kept apart from the bulk-undo endpoints (DELETE issue …), which live in their own section.


def revision_route(fake: FakeJiraServer, method: str, version: str, path: str, query: dict[str, list[str]],
                   body: Any) -> Answer | None:
    """The answer to a revising request, or None when the request is not one."""
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == "issueLink" and method == "DELETE":
        return unlink(fake, parts[1])
    if parts[0] != "issue" or len(parts) not in (2, 3) or parts[1] in ("bulk", "createmeta"):
        return None
    issue = fake.issues.get(parts[1]) or next((i for i in fake.issues.values() if i.id == parts[1]), None)
    if len(parts) == 2 and method != "PUT":
        return None
    if len(parts) == 3 and parts[2] not in ("comment", "transitions"):
        return None
    if issue is None:
        return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
    if len(parts) == 2:
        return edit(fake, version, issue, body)
    if parts[2] == "comment":
        return comments(fake, issue, query) if method == "GET" else add_comment(fake, version, issue, body)
    return transitions(fake, issue) if method == "GET" else transition(fake, issue, body)


def status_json(fake: FakeJiraServer, step: tuple[str, str, str, str]) -> dict[str, Any]:
    _, _, status, category = step
    names = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
    return {"name": status, "id": str(10000 + [t[2] for t in fake.transitions].index(status)),
            "statusCategory": {"key": category, "name": names.get(category, category)}}


def edit(fake: FakeJiraServer, version: str, issue: Any, body: Any) -> Answer:
    """PUT issue/{key}: `fields` are set, `update.labels` added or removed; 204 with no body, as Jira does."""
    if not isinstance(body, dict):
        return 400, {"errorMessages": ["Can not deserialize the request body"], "errors": {}}
    fields = body.get("fields") or {}
    type_name = next((n for n, i in fake.issue_types.items() if i == issue.fields["issuetype"]["id"]), "Story")
    screen = fake.screens.get(type_name, {})
    errors = {f: NOT_ON_SCREEN.format(f) for f in fields if f not in screen}
    if "description" in fields:
        problem = adf_problem(fields["description"]) if version == "3" else (
            None if isinstance(fields["description"], str) else "Operation value must be a string")
        if problem:
            errors["description"] = problem
    summary = fields.get("summary")
    if summary is not None and (not isinstance(summary, str) or "\n" in summary or len(summary) > 255):
        errors["summary"] = "The summary is invalid."
    label_ops = ((body.get("update") or {}).get("labels") or [])
    for op in label_ops:
        value = next(iter((op or {}).values()), "")
        if not isinstance(value, str) or not value or " " in value:
            errors["labels"] = "Labels cannot contain spaces."
    if errors:
        return 400, {"errorMessages": [], "errors": errors}
    issue.fields.update(fields)
    labels = list(issue.fields.get("labels") or [])
    for op in label_ops:
        if "add" in op and op["add"] not in labels:
            labels.append(op["add"])
        if "remove" in op and op["remove"] in labels:
            labels.remove(op["remove"])
    issue.fields["labels"] = labels
    fake.touch(issue)
    return 204, None


def comments(fake: FakeJiraServer, issue: Any, query: dict[str, list[str]]) -> Answer:
    start = int((query.get("startAt") or ["0"])[0])
    size = min(int((query.get("maxResults") or ["50"])[0]), 100)  # Jira's page limit
    ordered = list(issue.comments)
    if (query.get("orderBy") or [""])[0] == "-created":
        ordered.reverse()
    return 200, {"startAt": start, "maxResults": size, "total": len(ordered), "comments": ordered[start:start + size]}


def add_comment(fake: FakeJiraServer, version: str, issue: Any, body: Any) -> Answer:
    text = (body or {}).get("body") if isinstance(body, dict) else None
    problem = (adf_problem(text) if version == "3" else
               None if isinstance(text, str) and text.strip() else "Comment body can not be empty!")
    if problem:
        return 400, {"errorMessages": [], "errors": {"comment": problem}}
    fake.comment_count += 1
    fake.touch(issue)
    comment = {"id": str(10000 + fake.comment_count), "self": f"{fake.url}/rest/api/2/issue/{issue.id}/comment",
               "author": {"displayName": "ticketbot"}, "body": text, "created": issue.fields["updated"],
               "updated": issue.fields["updated"]}
    issue.comments.append(comment)
    return 201, comment


def transitions(fake: FakeJiraServer, issue: Any) -> Answer:
    current = issue.fields["status"]["name"]
    return 200, {"expand": "transitions", "transitions": [
        {"id": t[0], "name": t[1], "to": status_json(fake, t), "hasScreen": False, "isGlobal": True}
        for t in fake.transitions if t[2] != current]}


def transition(fake: FakeJiraServer, issue: Any, body: Any) -> Answer:
    wanted = str((((body or {}) if isinstance(body, dict) else {}).get("transition") or {}).get("id", ""))
    step = next((t for t in fake.transitions if t[0] == wanted and t[2] != issue.fields["status"]["name"]), None)
    if step is None:
        return 400, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."], "errors": {}}
    issue.fields["status"] = status_json(fake, step)
    fake.touch(issue)
    return 204, None


def unlink(fake: FakeJiraServer, link_id: str) -> Answer:
    found = next((link for link in fake.links if link.id == link_id), None)
    if found is None:
        return 404, {"errorMessages": [f"No issue link with id '{link_id}' exists."], "errors": {}}
    fake.links.remove(found)
    for key in (found.inward, found.outward):
        if key in fake.issues:
            fake.touch(fake.issues[key])
    return 204, None


# ---- taking issues back (`/generate-tickets undo`): DELETE issue ----------------------------------------------
# As Jira's REST v2/v3 speak it: DELETE issue/{key} → 204, 403 without DELETE_ISSUES, 404 when gone; deleting an
# issue deletes its links. Undo's other requests (transitions, PUT labels, DELETE issueLink) are the revising
# section's above.


def delete_issue(fake: FakeJiraServer, key: str) -> Answer:
    issue = fake.issues.get(key) or next((i for i in fake.issues.values() if i.id == key), None)
    if issue is None:
        return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
    if not fake.permissions.get("DELETE_ISSUES", False):
        return 403, {"errorMessages": ["You do not have permission to delete issues in this project."], "errors": {}}
    del fake.issues[issue.key]
    fake.links[:] = [link for link in fake.links if issue.key not in (link.inward, link.outward)]
    fake.deleted.append(issue.key)
    return 204, None
