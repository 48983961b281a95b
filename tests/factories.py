"""Hand-built written tickets for the export tests, and the golden-file check they share.

`realistic_tickets()` is a small site in dependency order: a vocabulary, a content type that
references it, a view of that content type, and a role that may create it. `hostile_tickets()`
puts text that tries to be markup, a mention, a macro, a link or a formula in every field.
"""

from __future__ import annotations

import os
from pathlib import Path

from integrations.spec.problems import Level, Problem
from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import (
    Dependency,
    Group,
    SiteContext,
    TicketBrief,
    TicketContent,
    TicketKind,
    WrittenTicket,
)

GOLDEN_DIR = Path(__file__).parent / "golden" / "exports"

HOSTILE = (
    "<!channel>",
    "@here",
    "[~admin]",
    "[~accountid:5b10a2844c20165700ede21g]",
    "{code}x{code}",
    "{noformat}",
    "[click|http://evil.example]",
    "=cmd|' /C calc'!A0",
    "|",
    "line one\nh1. heading\n# numbered\n* bullet\n----\nbq. quote",
    "```",
    "<script>alert(1)</script>",
    "*bold* _it_ -strike- +under+ ^sup^ ~sub~ ??cite??",
    "!http://evil.example/x.png!",
    "\\[~admin] \\\\ back\\slash",
    "&lt;b&gt; &#60;i&#62;",
    "# Heading\n=====\n> quote\n    indented code",
)


def site() -> SiteContext:
    return SiteContext("Example Site", "The demo site of the Drupal Spec Tool — articles, tags and editors.")


def row(file: str, number: int, sheet: SheetKind, extras: dict[str, str] | None = None, **values: str) -> SpecRow:
    return SpecRow(file, number, sheet, dict(values), dict(extras or {}))


def realistic_tickets() -> list[WrittenTicket]:
    """Four tickets in dependency order: tags ← article ← (articles view, editor role)."""
    tags = _ticket(
        TicketBrief(
            key="taxonomy.vocabulary.tags", group=Group.CONTENT, kind=TicketKind.BUNDLE,
            label="Tags", machine_name="tags", entity_type_label="Vocabulary", position=1,
            rows=(row("bundles.csv", 3, SheetKind.BUNDLES, name="Tags", machine_name="tags",
                      type="Vocabulary", description="Free tagging of articles.", x="a", dev="", qa=""),),
            checks=("exactly the following bundles should exist: Tags (tags), Vocabulary",),
            behat=(
                "Then exactly the following bundles should exist\n"
                "  | Name | Machine name | Type       | Description               |\n"
                "  | Tags | tags         | Vocabulary | Free tagging of articles. |",
            ),
        ),
        title="Create the Tags vocabulary",
        user_story="As a content editor, I want a Tags vocabulary, so that I can group articles by topic.",
        analysis="Create the vocabulary at /admin/structure/taxonomy/add.\n- Name: Tags\n- Machine name: tags",
        extra_checks=("Terms can be added at /admin/structure/taxonomy/manage/tags/add",),
    )
    article = _ticket(
        TicketBrief(
            key="node.type.article", group=Group.CONTENT, kind=TicketKind.BUNDLE,
            label="Article", machine_name="article", entity_type_label="Content type", position=2,
            rows=(
                row("bundles.csv", 2, SheetKind.BUNDLES, name="Article", machine_name="article",
                    type="Content type", description="News and blog posts.", moderated="y",
                    url_alias_pattern="/news/[node:title]", x="a"),
                row("fields.csv", 2, SheetKind.FIELDS, bundle="Article (Content type)", field_label="Body",
                    machine_name="body", field_type="Text (formatted, long, with summary)", required="",
                    cardinality="1", form_widget="Text area with a summary"),
                row("fields.csv", 3, SheetKind.FIELDS, bundle="Article (Content type)", field_label="Tags",
                    machine_name="field_tags", field_type="Entity reference", ref_bundle="Tags (Vocabulary)",
                    required="", cardinality="Unlimited", form_widget="Autocomplete (Tags style)",
                    help_text="Enter a comma-separated list, e.g. Amsterdam, Mexico City."),
                row("fields.csv", 4, SheetKind.FIELDS, bundle="Article (Content type)", field_label="Image",
                    machine_name="field_image", field_type="Image", required="Required", cardinality="1",
                    form_widget="Image", translatable="Translatable"),
            ),
            depends_on=(Dependency("taxonomy.vocabulary.tags", "Tags", "field_tags references the Tags vocabulary"),),
            checks=(
                "exactly the following bundles should exist: Article (article), Content type",
                "exactly the following fields should exist for Article: Body, Tags, Image",
            ),
            behat=(
                "Then exactly the following fields should exist for bundle \"article\" of entity type \"node\"\n"
                "  | Field label | Machine name | Field type       | Required | Cardinality |\n"
                "  | Tags        | field_tags   | Entity reference |          | Unlimited   |",
            ),
        ),
        title="Create the Article content type with its fields",
        user_story="As an editor, I want to publish articles with an image and tags, so that readers find news.",
        analysis=(
            "Create the content type, then its fields.\n\n"
            "- Body: Text (formatted, long, with summary), widget Text area with a summary\n"
            "- Tags (field_tags): Entity reference to Tags (Vocabulary), unlimited values\n"
            "- Image (field_image): required, translatable\n\n"
            "URL alias pattern: /news/[node:title]. Moderated: yes."
        ),
        extra_checks=("An article with two tags and an image can be saved",),
    )
    view = _ticket(
        TicketBrief(
            key="views.view.articles", group=Group.VIEWS, kind=TicketKind.VIEW,
            label="Articles", machine_name="articles", entity_type_label="View", position=3,
            rows=(
                row("views.csv", 2, SheetKind.VIEWS, name="Articles", machine_name="articles",
                    base_table="Content", status="Enabled", bundles="Article"),
                row("view_displays.csv", 2, SheetKind.VIEW_DISPLAYS, view="Articles", title="Page",
                    machine_name="page_1", display_plugin="Page", path="/articles"),
                row("view_displays.csv", 3, SheetKind.VIEW_DISPLAYS, view="Articles", title="Latest",
                    machine_name="block_1", display_plugin="Block"),
            ),
            depends_on=(Dependency("node.type.article", "Article", "the view lists Article content"),),
            checks=("exactly the following views should exist: Articles (articles), Content, Enabled",),
        ),
        title="Build the Articles view (page and block)",
        user_story="As a reader, I want a list of the latest articles, so that I can catch up on news.",
        analysis="Page display at /articles; block display \"Latest\" with 5 items.",
    )
    role = _ticket(
        TicketBrief(
            key="user.role.editor", group=Group.USER_ROLES, kind=TicketKind.ROLE,
            label="Editor", machine_name="editor", entity_type_label="User role", position=4,
            rows=(
                row("roles.csv", 2, SheetKind.USER_ROLES, name="Editor", machine_name="editor"),
                row("permissions.csv", 5, SheetKind.PERMISSIONS, {"Editor": "Editor", "Administrator": ""},
                    provider="node", permission="Article: Create new content"),
            ),
            depends_on=(Dependency("node.type.article", "Article", "permission Article: Create new content"),),
            checks=("exactly the following roles should exist: Editor (editor)",),
        ),
        title="Add the Editor role",
        user_story="As a site owner, I want an Editor role, so that editors can create articles.",
        analysis="Grant: Article: Create new content (node).",
    )
    return [tags, article, view, role]


def hostile_tickets() -> list[WrittenTicket]:
    """Two tickets whose every text field, file name and cell is hostile; the second depends on the first."""
    text = "\n".join(HOSTILE)
    cells = {f"c{i}": value for i, value in enumerate(HOSTILE)}
    first = _ticket(
        TicketBrief(
            key="node.type.evil", group=Group.CONTENT, kind=TicketKind.BUNDLE,
            label=text, machine_name="evil", entity_type_label="Content type", position=1,
            rows=(row("=evil|x.csv", 2, SheetKind.BUNDLES, {"[~admin]": "{code}", "|": "|"}, **cells),),
            behat=("```\n{noformat}\n{code}x{code}\n" + text,),
        ),
        title="=cmd|' /C calc'!A0 " + " ".join(HOSTILE),
        user_story=text,
        analysis=text,
        extra_checks=HOSTILE,
        writer="template-fallback",
    )
    second = _ticket(
        TicketBrief(
            key="views.view.evil", group=Group.VIEWS, kind=TicketKind.VIEW,
            label="Evil view", machine_name="evil", entity_type_label="View", position=2,
            rows=(row("views.csv", 3, SheetKind.VIEWS, name="@here", machine_name="evil", base_table="-1+1"),),
            depends_on=(Dependency("node.type.evil", "[~admin]", "{code}x{code} [click|http://evil.example]"),),
        ),
        title="@here\n<!channel>",
        user_story="+1",
        analysis="-2",
    )
    return [first, second]


def problems() -> list[Problem]:
    return [
        Problem("fields.csv", 14, "Bundle", Level.ROW_ERROR, "unknown bundle 'Artcle'", "did you mean 'Article'?"),
        Problem("menus.csv", None, None, Level.FILE_ERROR, "missing required column Machine name"),
        Problem("fields.csv", 9, "Form widget", Level.WARNING, "unknown widget '<b>Fancy</b> [~admin]'"),
        Problem("bundles.csv", None, "X", Level.WARNING, "1 row with X = w (waiting) skipped: row 7"),
    ]


def assert_golden(name: str, text: str, directory: Path = GOLDEN_DIR) -> None:
    """`text` equals tests/golden/exports/NAME (or directory/NAME) byte for byte; UPDATE_GOLDEN=1 rewrites it."""
    path = directory / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"{path} is missing: run the tests with UPDATE_GOLDEN=1 to create it"
    with open(path, encoding="utf-8", newline="") as f:  # newline="": \r\n must survive the read
        expected = f.read()
    assert text == expected, f"output differs from {path}; if the change is intended, rerun with UPDATE_GOLDEN=1"


def _ticket(
    brief: TicketBrief,
    *,
    title: str,
    user_story: str,
    analysis: str,
    extra_checks: tuple[str, ...] = (),
    writer: str = "template",
) -> WrittenTicket:
    content = TicketContent(title, user_story, analysis, brief.checks + extra_checks, writer)
    return WrittenTicket(brief, content)
