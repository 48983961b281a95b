"""The offline template writer: complete, deterministic tickets from a brief (integrations/writers/template.py)."""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.spec.reader import SpecRow, read_upload
from integrations.spec.sheets import SheetKind
from integrations.tickets import Dependency, Group, SiteContext, TicketBrief, TicketContent, TicketKind
from integrations.writers.base import TicketWriter
from integrations.writers.template import TITLE_MAX, TemplateWriter
from jobs.planning.checks import build_checks

GOLDEN_DIR = Path(__file__).parent / "golden" / "template"
WRITERS_DIR = Path(__file__).resolve().parents[1] / "integrations" / "writers"
SITE = SiteContext("Acme Outdoors", "An outdoor-gear retailer's editorial site: trail guides, gear reviews.")


def row(sheet: SheetKind, number: int, **values: str) -> SpecRow:
    return SpecRow(f"{sheet.value}.csv", number, sheet, dict(values))


def brief(kind: TicketKind, key: str, group: Group, label: str, machine_name: str, type_label: str,
          rows: list[SpecRow], *, depends_on: tuple[Dependency, ...] = (), notes: tuple[str, ...] = (),
          position: int = 0) -> TicketBrief:
    """A brief as the planner makes it: the checks and Behat blocks come from build_checks."""
    checks, behat = build_checks(kind, rows, label=label, machine_name=machine_name, entity_type_label=type_label)
    return TicketBrief(key=key, group=group, kind=kind, label=label, machine_name=machine_name,
                       entity_type_label=type_label, rows=tuple(rows), depends_on=depends_on, checks=checks,
                       behat=behat, notes=notes, position=position)


def article_brief() -> TicketBrief:
    """A content type from the full Google Sheet layout: y/n flags, `*` cardinality, every extra column."""
    fields = SheetKind.FIELDS
    rows = [
        row(SheetKind.BUNDLES, 2, name="Article", machine_name="article", x="a", description="Trail news and stories.",
            examples="https://example.com/news", moderated="y", layout="n", translatable="y", migrated="y",
            comments="n", meta_tags="y", scheduled="y", type="Content type", url_alias_pattern="/news/[node:title]",
            settings="Show in main menu"),
        row(fields, 2, bundle="Article (Content type)", field_label="Body", machine_name="body", x="a",
            field_type="Text (formatted, long, with summary)", required="y", cardinality="1",
            form_widget="Text area with a summary", translatable="y", help_text="The story | in full."),
        row(fields, 3, bundle="Article (Content type)", field_label="Tags", machine_name="field_tags",
            field_group="group_meta", field_type="Entity reference", ref_bundle="Tags (Vocabulary)", required="n",
            cardinality="*", form_widget="Autocomplete (Tags style)", translatable="n"),
        row(fields, 4, bundle="Article (Content type)", field_label="Hero image", machine_name="field_hero",
            field_type="Entity reference", ref_bundle="Image (Media type)", required="y", cardinality="1",
            form_widget="Media library", translatable="n", help_text="Shown at the top."),
        row(fields, 5, bundle="Article (Content type)", field_label="Sections", machine_name="field_sections",
            field_type="Entity reference revisions", ref_bundle="Text (Paragraph type), Gallery (Paragraph type)",
            required="n", cardinality="*", form_widget="Paragraphs (stable)", translatable="y"),
        row(fields, 6, bundle="Article (Content type)", field_label="Difficulty", machine_name="field_difficulty",
            field_group="group_meta", field_type="List (text)", required="n", cardinality="1",
            form_widget="Select list", translatable="n", settings="easy, moderate, hard"),
        row(fields, 7, bundle="Article (Content type)", field_label="Trailhead", machine_name="field_trailhead",
            field_type="Address", required="n", cardinality="1", form_widget="Address", translatable="n"),
        row(fields, 8, bundle="Article (Content type)", field_label="Meta", machine_name="group_meta",
            field_type="Details"),
    ]
    return brief(
        TicketKind.BUNDLE, "node.type.article", Group.CONTENT, "Article", "article", "Content type", rows,
        depends_on=(
            Dependency("taxonomy.vocabulary.tags", "Tags", "field field_tags references Tags (Vocabulary)"),
            Dependency("media.type.image", "Image", "field field_hero references Image (Media type)"),
        ),
        notes=("Cycle Article → Gallery → Article: add field_sections' Gallery target after Gallery exists.",),
        position=4,
    )


def workflow_brief() -> TicketBrief:
    rows = [row(SheetKind.WORKFLOWS, 2, name="Editorial", machine_name="editorial", type="Content moderation")]
    for number, (label, machine) in enumerate(
        [("Draft", "draft"), ("In review", "review"), ("Published", "published"), ("Archived", "archived")], start=2
    ):
        rows.append(row(SheetKind.WORKFLOW_STATES, number, workflow="Editorial", name=label, machine_name=machine))
    transitions = [
        ("Create New Draft", "create_new_draft", "Draft", "Draft"),
        ("Create New Draft", "create_new_draft", "Published", "Draft"),
        ("Send to review", "review", "Draft", "In review"),
        ("Publish", "publish", "In review", "Published"),
        ("Publish", "publish", "Draft", "Published"),
        ("Archive", "archive", "Published", "Archived"),
    ]
    for number, (label, machine, source, target) in enumerate(transitions, start=2):
        rows.append(row(SheetKind.WORKFLOW_TRANSITIONS, number, workflow="Editorial", name=label,
                        machine_name=machine, from_state=source, to_state=target))
    return brief(TicketKind.WORKFLOW, "workflows.workflow.editorial", Group.WORKFLOW, "Editorial", "editorial",
                 "Workflow", rows,
                 depends_on=(Dependency("node.type.article", "Article", "Article is moderated (Mod. = y)"),),
                 position=9)


def migration_brief() -> TicketBrief:
    mappings = SheetKind.MIGRATION_MAPPINGS
    rows = [
        row(SheetKind.MIGRATIONS, 2, name="Articles", machine_name="articles", source="CSV articles.csv",
            destination_entity_type="Content type", destination_bundle="Article", dependencies="tags"),
        row(mappings, 2, migration="Articles", source_field="Headline", destination_field="title"),
        row(mappings, 3, migration="Articles", source_field="Text", destination_field="body/value",
            process="callback", default_value=""),
        row(mappings, 4, migration="Articles", source_field="Keywords", destination_field="field_tags",
            process="migration_lookup", default_value="none"),
        row(mappings, 5, migration="Articles", destination_field="moderation_state", default_value="draft"),
    ]
    return brief(TicketKind.MIGRATION, "migrate_plus.migration.articles", Group.MIGRATION, "Articles", "articles",
                 "Migration", rows,
                 depends_on=(Dependency("node.type.article", "Article", "the migration fills Article"),),
                 position=7)


def role_brief() -> TicketBrief:
    grants = [
        ("Node", "Article: Create new content"), ("Node", "Article: Edit own content"),
        ("Content Moderation", "Editorial workflow: Use Publish transition."),
        ("Content Moderation", "View any unpublished content"), ("Media", "Media: Image: Create new media"),
    ]
    rows = [row(SheetKind.USER_ROLES, 2, name="Editor", machine_name="editor")]
    rows += [row(SheetKind.PERMISSIONS, n, provider=p, permission=t) for n, (p, t) in enumerate(grants, start=2)]
    return brief(TicketKind.ROLE, "user.role.editor", Group.USER_ROLES, "Editor", "editor", "User role", rows,
                 depends_on=(Dependency("workflows.workflow.editorial", "Editorial", "Use Publish transition"),),
                 position=10)


def every_kind() -> list[TicketBrief]:
    return [
        article_brief(), workflow_brief(), migration_brief(), role_brief(),
        brief(TicketKind.EXISTING_BUNDLE_FIELDS, "taxonomy.vocabulary.tags", Group.CONTENT, "Tags", "tags",
              "Vocabulary", [row(SheetKind.FIELDS, 9, bundle="Tags (Vocabulary)", field_label="Colour",
                                 machine_name="field_colour", field_type="Text (plain)", required="Required",
                                 cardinality="1", form_widget="Textfield", translatable="")]),
        brief(TicketKind.VIEW, "views.view.articles", Group.VIEWS, "Articles", "articles", "View", [
            row(SheetKind.VIEWS, 2, name="Articles", machine_name="articles", base_table="Index Content",
                status="Enabled", description=""),
            row(SheetKind.VIEW_DISPLAYS, 2, view="Articles", title="Page", machine_name="page_1",
                display_plugin="Page", path="/articles"),
        ]),
        brief(TicketKind.IMAGE_STYLE, "image.style.large", Group.MEDIA, "Large (480×480)", "large", "Image style", [
            row(SheetKind.IMAGE_STYLES, 2, name="Large (480×480)", machine_name="large"),
            row(SheetKind.IMAGE_EFFECTS, 2, image_style="Large (480×480)", effect="Focal Point Scale and Crop",
                summary="480×480"),
        ]),
        brief(TicketKind.MENU, "system.menu.footer", Group.CUSTOM, "Footer", "footer", "Menu",
              [row(SheetKind.MENUS, 2, name="Footer", machine_name="footer", description="Site information links")]),
        brief(TicketKind.CUSTOM_ENTITY, "eck.eck_entity_type.store", Group.CUSTOM, "Store", "store",
              "Custom entity type", [row(SheetKind.CUSTOM_ENTITIES, 2, name="Store", machine_name="store",
                                         description="A shop that stocks our gear.")]),
    ]


def render(content: TicketContent) -> str:
    return "\n".join([
        f"title: {content.title}",
        f"writer: {content.writer}",
        "",
        "== user_story",
        content.user_story,
        "",
        "== analysis",
        content.analysis,
        "",
        "== verification",
        *(f"- {check}" for check in content.verification),
        "",
        "== acceptance",
        *(f"- {scenario}" for scenario in content.acceptance),
        "",
        f"== estimate: {content.estimate.describe() if content.estimate else ''}",
        "== open questions",
        *(f"- {question}" for question in content.open_questions),
        "",
    ])


def assert_golden(name: str, text: str) -> None:
    """`text` equals tests/golden/template/NAME byte for byte; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"{path} is missing: run the tests with UPDATE_GOLDEN=1 to create it"
    with open(path, encoding="utf-8", newline="") as f:
        expected = f.read()
    assert text == expected, f"output differs from {path}; if the change is intended, rerun with UPDATE_GOLDEN=1"


# --- golden tickets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [("content_type_full_sheet.txt", article_brief), ("workflow.txt", workflow_brief),
     ("migration.txt", migration_brief), ("role.txt", role_brief)],
)
def test_ticket_matches_golden(name: str, make: Callable[[], TicketBrief]) -> None:
    assert_golden(name, render(TemplateWriter().write(make(), SITE)))


# --- contract ----------------------------------------------------------------------------------------


def test_template_writer_is_a_ticket_writer() -> None:
    writer: TicketWriter = TemplateWriter()
    assert writer.name == "template"
    assert writer.write(role_brief(), SITE).writer == "template"


@pytest.mark.parametrize("ticket", every_kind(), ids=lambda b: b.kind.value)
def test_output_is_deterministic(ticket: TicketBrief) -> None:
    assert TemplateWriter().write(ticket, SITE) == TemplateWriter().write(ticket, SITE)


@pytest.mark.parametrize("ticket", every_kind(), ids=lambda b: b.kind.value)
def test_every_check_is_kept_verbatim_and_in_order_first(ticket: TicketBrief) -> None:
    content = TemplateWriter().write(ticket, SITE)
    assert ticket.checks
    assert content.verification[: len(ticket.checks)] == ticket.checks
    assert len(content.verification) > len(ticket.checks)


@pytest.mark.parametrize("ticket", every_kind(), ids=lambda b: b.kind.value)
def test_every_ticket_is_complete(ticket: TicketBrief) -> None:
    content = TemplateWriter().write(ticket, SITE)
    assert content.user_story.startswith("As a ")
    assert ", I want " in content.user_story and ", so that " in content.user_story
    assert "Acme Outdoors" in content.user_story
    assert ticket.key in content.analysis
    assert "drush config:export" in content.analysis
    assert not any(line.startswith("|") for line in content.analysis.splitlines()), "tables only in table fences"
    # Behat is shown once, in its own section of each export, not repeated in the analysis.
    assert "Then exactly the following" not in content.analysis
    assert content.estimate is not None and content.estimate.reason
    assert content.acceptance and all(s.startswith("Given ") and "\nWhen " in s and "\nThen " in s
                                      for s in content.acceptance)
    for dependency in ticket.depends_on:
        assert f"{dependency.label} ({dependency.key}): {dependency.reason}" in content.analysis


@pytest.mark.parametrize(
    ("ticket", "title"),
    [
        (article_brief(), 'Create content type "Article" (article) with 6 fields'),
        (workflow_brief(), 'Configure workflow "Editorial" (editorial): 4 states, 4 transitions'),
        (migration_brief(), 'Build migration "Articles" (articles) into Article (Content type)'),
        (role_brief(), 'Create user role "Editor" (editor) and grant its 5 permissions'),
        (every_kind()[4], 'Add 1 field to existing vocabulary "Tags"'),
        (every_kind()[5], 'Create view "Articles" (articles) with 1 display'),
        (every_kind()[6], 'Create image style "Large (480×480)" (large)'),
        (every_kind()[7], 'Create menu "Footer" (footer)'),
        (every_kind()[8], 'Create custom entity type "Store" (store)'),
    ],
)
def test_titles(ticket: TicketBrief, title: str) -> None:
    assert TemplateWriter().write(ticket, SITE).title == title


def test_analysis_names_modules_config_and_notes() -> None:
    ticket = article_brief()
    analysis = TemplateWriter().write(ticket, SITE).analysis
    for module in ("paragraphs", "entity_reference_revisions", "media_library", "address", "metatag",
                   "content_moderation", "pathauto", "field_group", "scheduler", "options"):
        assert f"({module}" in analysis, module
    for name in ("field.storage.node.field_tags", "field.field.node.article.field_tags",
                 "core.entity_form_display.node.article.default", "language.content_settings.node.article"):
        assert name in analysis
    assert ticket.notes[0] in analysis
    assert "allowed values: easy, moderate, hard" in analysis
    assert "Tags (Vocabulary) → taxonomy_term" in analysis


def test_existing_role_and_core_role_titles() -> None:
    grant = row(SheetKind.PERMISSIONS, 3, provider="Contact", permission="Use the site-wide contact form")
    anonymous = brief(TicketKind.ROLE, "user.role.anonymous", Group.USER_ROLES, "Anonymous user", "anonymous",
                      "User role", [grant])
    title = TemplateWriter().write(anonymous, SITE).title
    assert title == 'Grant 1 permission to core user role "Anonymous user" (anonymous)'


# --- hostile input -----------------------------------------------------------------------------------

HOSTILE_LABELS = [
    "A\nB\r\nC",
    "x" * 1000,
    "tab\there\u2028line\u2029para\x85next\x0bvt\x0cff",
    "\u202eevil\u200b",
    "   ",
    "| pipes | and * markdown |\n# heading",
]


@pytest.mark.parametrize("label", HOSTILE_LABELS)
@pytest.mark.parametrize("kind_index", range(9))
def test_title_is_one_line_of_at_most_255_characters(label: str, kind_index: int) -> None:
    base = every_kind()[kind_index]
    ticket = brief(base.kind, base.key, base.group, label, label, label, list(base.rows))
    title = TemplateWriter().write(ticket, SiteContext(label)).title
    assert len(title) <= TITLE_MAX
    assert len(title.splitlines()) == 1 and title == title.strip()


@settings(max_examples=60, deadline=None)
@given(label=st.text(max_size=400), machine_name=st.text(max_size=300))
def test_any_label_gives_a_valid_title(label: str, machine_name: str) -> None:
    ticket = brief(TicketKind.BUNDLE, "node.type.x", Group.CONTENT, label, machine_name, "Content type",
                   list(article_brief().rows))
    title = TemplateWriter().write(ticket, SITE).title
    assert 0 < len(title) <= TITLE_MAX
    assert len(title.splitlines()) == 1


# --- layering and real data --------------------------------------------------------------------------


def test_writers_import_nothing_from_jobs() -> None:
    for path in WRITERS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            assert not any(n == "jobs" or n.startswith("jobs.") for n in names), path.name


@pytest.mark.realspec
def test_real_fields_sheet_makes_complete_tickets(shared_specs: Path) -> None:
    folder = shared_specs / "drupal-spec-tool"
    fields = read_upload("fields.csv", (folder / "fields.csv").read_bytes()).sheets[0].rows
    bundles = read_upload("bundles.csv", (folder / "bundles.csv").read_bytes()).sheets[0].rows
    by_label = {f"{b.get('name')} ({b.get('type')})": b for b in bundles}
    written = 0
    for label in dict.fromkeys(r.get("bundle") for r in fields):
        own = by_label[label]
        rows = [own, *(r for r in fields if r.get("bundle") == label)]
        ticket = brief(TicketKind.BUNDLE, f"x.{own.get('machine_name')}", Group.CONTENT, own.get("name"),
                       own.get("machine_name"), own.get("type"), rows)
        content = TemplateWriter().write(ticket, SITE)
        assert content.verification[: len(ticket.checks)] == ticket.checks
        assert len(content.verification) <= 12, "about ten checks a ticket, not one per field"
        assert f"with {len(rows) - 1} field" in content.title
        for field in rows[1:]:
            assert f"| {field.get('machine_name')} |" in content.analysis
        written += 1
    assert written == 6
