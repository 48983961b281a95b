"""Drupal permission machine names from the titles a permissions grid shows (`Article: Create new content`).

The grid is exported from /admin/people/permissions, which shows titles; `drush role:perm:add` and
config (user.role.*.yml) need machine names. Per-bundle titles follow the patterns of the Node,
Taxonomy, Media, Block Content and Content Moderation permission providers; other titles are looked up
in a table of core and common contributed permissions, and anything else is the lowercased title,
which is what most modules use, marked as a guess so the developer confirms it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from integrations.spec.drupal_knowledge import machine_name_of, one_line


@dataclass(frozen=True)
class PermissionName:
    title: str
    machine_name: str
    certain: bool  # False: the lowercased title, to be confirmed on the site


# Titles whose machine name differs from the lowercased title, or that are common enough to pin.
KNOWN = {
    "access content": "access content",
    "view published content": "access content",
    "use the toolbar": "access toolbar",
    "use the administration toolbar": "access toolbar",
    "use the administration pages and help": "access administration pages",
    "view the administration theme": "view the administration theme",
    "access the content overview page": "access content overview",
    "bypass content access control": "bypass node access",
    "administer content": "administer nodes",
    "administer content types": "administer content types",
    "view own unpublished content": "view own unpublished content",
    "view all revisions": "view all revisions",
    "revert all revisions": "revert all revisions",
    "delete all revisions": "delete all revisions",
    "view any unpublished content": "view any unpublished content",
    "view the latest version": "view latest version",
    "use contextual links": "access contextual links",
    "access contextual links": "access contextual links",
    "use shortcuts": "access shortcuts",
    "administer shortcuts": "administer shortcuts",
    "edit current shortcut set": "customize shortcut links",
    "select any shortcut set": "switch shortcut sets",
    "administer blocks": "administer blocks",
    "administer menus and menu items": "administer menu",
    "administer modules": "administer modules",
    "administer site configuration": "administer site configuration",
    "administer software updates": "administer software updates",
    "administer themes": "administer themes",
    "link to any page": "link to any page",
    "use the site in maintenance mode": "access site in maintenance mode",
    "view site reports": "access site reports",
    "access the taxonomy vocabulary overview page": "access taxonomy overview",
    "administer vocabularies and terms": "administer taxonomy",
    "administer account settings": "administer account settings",
    "administer permissions": "administer permissions",
    "administer users": "administer users",
    "cancel own user account": "cancel account",
    "change own username": "change own username",
    "select method for cancelling own account": "select account cancellation method",
    "view user information": "access user profiles",
    "administer views": "administer views",
    "administer workflows": "administer workflows",
    "access the files overview page": "access files overview",
    "administer text formats and filters": "administer filters",
    "administer image styles": "administer image styles",
    "access media overview": "access media overview",
    "administer media": "administer media",
    "administer media types": "administer media types",
    "create media": "create media",
    "delete any media": "delete any media",
    "delete own media": "delete own media",
    "update any media": "update any media",
    "update own media": "update own media",
    "view media": "view media",
    "view all media revisions": "view all media revisions",
    "administer meta tags": "administer meta tags",
    "administer url aliases": "administer url aliases",
    "create and edit url aliases": "create url aliases",
    "export configuration": "export configuration",
    "import configuration": "import configuration",
    "synchronize configuration": "synchronize configuration",
    "use the site-wide contact form": "access site-wide contact form",
    "use users' personal contact forms": "access user contact forms",
    "administer contact forms and contact form settings": "administer contact forms",
    "access in-place editing": "access in-place editing",
    "administer search api": "administer search_api",
    "access json api resource list": "access jsonapi resource list",
    "administer crop settings": "administer crop settings",
    "administer crop types": "administer crop types",
    "administer entity browsers": "administer entity browsers",
    "administer embed buttons": "administer embed buttons",
    "add, edit, and delete custom display modes.": "administer display modes",
    "schedule publishing of nodes": "schedule publishing of nodes",
    "use layout builder": "configure any layout",
}

# Per-bundle patterns: (regex on the part after "Bundle: ", machine-name template with {b} the bundle).
_NODE = (("create new content", "create {b} content"), ("delete any content", "delete any {b} content"),
         ("delete own content", "delete own {b} content"), ("edit any content", "edit any {b} content"),
         ("edit own content", "edit own {b} content"), ("view revisions", "view {b} revisions"),
         ("revert revisions", "revert {b} revisions"), ("delete revisions", "delete {b} revisions"))
_TERM = (("create terms", "create terms in {b}"), ("delete terms", "delete terms in {b}"),
         ("edit terms", "edit terms in {b}"), ("view terms", "view terms in {b}"))
_MEDIA = (("create new media", "create {b} media"), ("delete any media", "delete any {b} media"),
          ("delete own media", "delete own {b} media"), ("edit any media", "edit any {b} media"),
          ("edit own media", "edit own {b} media"))
_BLOCK = (("create new block content", "create {b} block content"),
          ("delete any block content", "delete any {b} block content"),
          ("edit any block content", "edit any {b} block content"),
          ("view any block content history", "view any {b} block content history"))
_BY_PROVIDER = {"node": _NODE, "taxonomy": _TERM, "media": _MEDIA, "custom block": _BLOCK,
                "block content": _BLOCK}
_FIELD_UI = {"administer display": "administer {b} display", "administer fields": "administer {b} fields",
             "administer form display": "administer {b} form display"}
_ENTITY_TYPES = {"content": "node", "taxonomy term": "taxonomy_term", "media": "media", "custom block": "block_content",
                 "user": "user", "contact message": "contact_message", "comment": "comment",
                 "paragraph": "paragraph"}
_TRANSITION = re.compile(r"^(?P<workflow>.+?)(?: workflow)?: use (?P<transition>.+?) transition\.?$", re.I)


def permission_name(
    title: str,
    provider: str,
    bundles: Mapping[str, str] | None = None,
    workflows: Mapping[str, str] | None = None,
    transitions: Callable[[str, str], str] | None = None,
) -> PermissionName:
    """The machine name of a permission title; `bundles`/`workflows` map labels (lowercased) to machine names."""
    text = one_line(title)
    low = text.lower()
    if low in KNOWN:
        return PermissionName(text, KNOWN[low], True)
    moved = _TRANSITION.match(text)
    if moved:
        workflow_label = moved["workflow"].strip()
        known = (workflows or {}).get(workflow_label.lower()) or (workflows or {}).get(
            f"{workflow_label} workflow".lower())
        workflow = known or machine_name_of(workflow_label)
        transition = (transitions(workflow, moved["transition"]) if transitions else "") or machine_name_of(
            moved["transition"])
        return PermissionName(text, f"use {workflow} transition {transition}", known is not None or workflows is None)
    if ": " in text:
        subject, action = text.rsplit(": ", 1)
        subject = subject.split(": ")[-1]  # "Media: Image: Create new media" names the bundle last
        if action.lower() in _FIELD_UI and subject.lower() in _ENTITY_TYPES:
            return PermissionName(text, _FIELD_UI[action.lower()].format(b=_ENTITY_TYPES[subject.lower()]), True)
        patterns = _BY_PROVIDER.get(one_line(provider).lower())
        for candidates in ([patterns] if patterns else list(_BY_PROVIDER.values())):
            for wording, template in candidates:
                if action.lower() == wording:
                    known = (bundles or {}).get(subject.lower())
                    bundle = known or machine_name_of(subject)
                    return PermissionName(text, template.format(b=bundle), known is not None or bundles is None)
    return PermissionName(text, low.rstrip("."), False)
