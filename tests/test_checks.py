"""Verification checks and Behat blocks made from a ticket's spec rows (jobs/planning/checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.spec.reader import SpecRow, read_upload
from integrations.spec.sheets import SheetKind
from integrations.tickets import TicketKind
from jobs.planning.checks import FIELDS_HEADER, VA_FIELDS_HEADER, build_checks, gherkin

ARTICLE = {"label": "Article", "machine_name": "article", "entity_type_label": "Content type"}


def row(sheet: SheetKind, number: int = 2, **values: str) -> SpecRow:
    return SpecRow(f"{sheet.value}.csv", number, sheet, dict(values))


def bundle_row(**values: str) -> SpecRow:
    return row(SheetKind.BUNDLES, 2, name="Article", machine_name="article", type="Content type", **values)


def field_row(number: int = 2, **values: str) -> SpecRow:
    base = {
        "bundle": "Article (Content type)", "field_label": "Body", "machine_name": "body",
        "field_type": "Text (formatted, long, with summary)", "required": "Required", "cardinality": "1",
        "form_widget": "Text area with a summary", "translatable": "Translatable", "help_text": "",
    }
    return row(SheetKind.FIELDS, number, **{**base, **values})


def table_lines(block: str) -> list[list[str]]:
    """The cells of a Gherkin block's table rows, unescaped pipes kept as separators."""
    lines = block.splitlines()[1:]
    cells = []
    for line in lines:
        inner = line.strip()[1:-1].replace("\\|", "\0")
        cells.append([c.strip().replace("\0", "|") for c in inner.split("|")])
    return cells


# --- bundles and fields ------------------------------------------------------------------------------


def test_fields_are_one_check_against_the_field_table_and_no_check_says_exactly() -> None:
    rows = [bundle_row(description=""), field_row(), field_row(3, machine_name="field_x", field_label="X")]
    checks, _ = build_checks(TicketKind.BUNDLE, rows, **ARTICLE)
    assert checks == (
        'The content type "Article" (article) exists with no description',
        "The 2 fields of Article (Content type) match the field table (label, machine name, type, required, "
        "cardinality, widget, translatable, help text): body, field_x",
    )
    # A site-wide "exactly the following …" comparison can only pass when every ticket is done.
    assert not any(check.lower().startswith("exactly") for check in checks)


@pytest.mark.parametrize(
    ("required", "cardinality", "translatable", "expected"),
    [
        ("y", "*", "y", ("Required", "Unlimited", "Translatable")),
        ("n", "3", "n", ("", "3", "")),
        ("Y", "-1", "Yes", ("Required", "Unlimited", "Translatable")),
        ("Required", "Unlimited", "Translatable", ("Required", "Unlimited", "Translatable")),
        ("", "", "", ("", "1", "")),
        ("no", "unlimited", "N", ("", "Unlimited", "")),
    ],
)
def test_full_sheet_values_are_normalised_to_behat_semantics(
    required: str, cardinality: str, translatable: str, expected: tuple[str, str, str]
) -> None:
    field = field_row(required=required, cardinality=cardinality, translatable=translatable)
    checks, behat = build_checks(TicketKind.BUNDLE, [bundle_row(), field], **ARTICLE)
    cells = table_lines(behat[1])[1]
    assert (cells[5], cells[6], cells[8]) == expected
    assert checks[-1].endswith(": body")


def test_fields_block_uses_the_per_bundle_step_and_only_this_tickets_rows() -> None:
    rows = [bundle_row(), field_row(), field_row(3, field_label="Tags", machine_name="field_tags",
                                                 field_type="Entity reference", required="n", cardinality="*")]
    _, behat = build_checks(TicketKind.BUNDLE, rows, **ARTICLE)
    assert len(behat) == 2
    step, *_ = behat[1].splitlines()
    assert step == 'Then exactly the following fields should exist for bundles "article" of entity type node'
    cells = table_lines(behat[1])
    assert tuple(cells[0]) == VA_FIELDS_HEADER
    assert [c[:4] for c in cells[1:]] == [
        ["Content type", "Article", "Body", "body"],
        ["Content type", "Article", "Tags", "field_tags"],
    ]
    assert behat[0].splitlines()[0] == "Then exactly the following content entity type bundles should exist"


@pytest.mark.parametrize(
    ("type_label", "entity_type"),
    [("Content type", "node"), ("Vocabulary", "taxonomy_term"), ("Media type", "media"),
     ("Paragraph type", "paragraph"), ("Custom block type", "block_content"), ("Block type", "block_content")],
)
def test_bundle_types_map_to_entity_type_ids(type_label: str, entity_type: str) -> None:
    _, behat = build_checks(
        TicketKind.EXISTING_BUNDLE_FIELDS, [field_row(bundle="Thing")],
        label="Thing", machine_name="thing", entity_type_label=type_label,
    )
    assert behat == (behat[0],)
    assert behat[0].splitlines()[0].endswith(f'for bundles "thing" of entity type {entity_type}')


def test_unknown_bundle_type_falls_back_to_the_stock_fields_step_with_help_text() -> None:
    field = field_row(bundle="Main (Store type)", help_text="Shown | to editors\nsecond line")
    _, behat = build_checks(
        TicketKind.EXISTING_BUNDLE_FIELDS, [field], label="Main", machine_name="main", entity_type_label="Store type"
    )
    lines = behat[0].splitlines()
    assert lines[0] == "Then exactly the following fields should exist"
    cells = table_lines(behat[0])
    assert tuple(cells[0]) == FIELDS_HEADER
    assert cells[1][0] == "Main (Store type)"
    assert "Shown \\| to editors\\nsecond line" in lines[2]


def test_existing_bundle_gets_field_checks_only() -> None:
    checks, behat = build_checks(
        TicketKind.EXISTING_BUNDLE_FIELDS, [field_row(), field_row(3, machine_name="field_x", field_label="X")],
        label="Tags", machine_name="tags", entity_type_label="Vocabulary",
    )
    assert checks == ("The 2 fields of Tags (Vocabulary) match the field table (label, machine name, type, "
                      "required, cardinality, widget, translatable, help text): body, field_x",)
    assert len(behat) == 1


def test_field_group_rows_are_checked_as_groups_not_fields() -> None:
    rows = [
        bundle_row(),
        field_row(field_group="group_meta"),
        field_row(3, field_label="Meta", machine_name="group_meta", field_type="Details", required="",
                  translatable="", form_widget=""),
    ]
    checks, behat = build_checks(TicketKind.BUNDLE, rows, **ARTICLE)
    assert 'Field group "Meta" (group_meta) of type Details exists on the form of Article (Content type), ' \
           "holding Body" in checks
    assert "group_meta" not in behat[1]


def test_bundle_level_full_sheet_columns_become_checks_when_set() -> None:
    own = bundle_row(moderated="y", layout="n", translatable="", comments="y", meta_tags="n", scheduled="y",
                     migrated="n", url_alias_pattern="/news/[node:title]")
    checks, _ = build_checks(TicketKind.BUNDLE, [own], **ARTICLE)
    # Moderation and migration are checked by the workflow and migration tickets, which make them true.
    assert checks[1:] == (
        "Comments are enabled on Article (Content type): it has a comment field open for new comments",
        'Scheduled publishing is enabled for Article (Content type): its edit form offers "Publish on" and '
        '"Unpublish on"',
        'New Article (Content type) items get a URL alias from the pattern "/news/[node:title]" (Pathauto)',
    )


def test_unusual_bundle_flag_value_is_kept_as_written() -> None:
    checks, _ = build_checks(TicketKind.BUNDLE, [bundle_row(layout="Panels")], **ARTICLE)
    assert checks[1] == 'Article (Content type) is set up as the spec\'s Layout column says: "Panels"'


def test_rows_to_be_deleted_are_not_asserted() -> None:
    gone = field_row(3, machine_name="field_old", field_label="Old", x="d")
    checks, behat = build_checks(TicketKind.BUNDLE, [bundle_row(), field_row(), gone], **ARTICLE)
    assert not any("field_old" in text for text in (*checks, *behat))


# --- other entities ----------------------------------------------------------------------------------


def test_view_and_its_displays() -> None:
    rows = [
        row(SheetKind.VIEWS, name="Articles", machine_name="articles", base_table="Index Content", status="y",
            description=""),
        row(SheetKind.VIEW_DISPLAYS, 2, view="articles", title="Page", machine_name="page_1", display_plugin="Page",
            path="/articles"),
    ]
    checks, behat = build_checks(TicketKind.VIEW, rows, label="Articles", machine_name="articles",
                                 entity_type_label="View")
    assert checks == (
        'The view "Articles" (articles) exists — base table Index Content, Enabled, no description',
        "The view Articles has the displays Page (page_1, Page)",
        'Visiting /articles shows the "Page" display of Articles',
    )
    # The display's view is named by machine name in the spec; Behat compares the label.
    assert table_lines(behat[1])[1] == ["Articles", "Page", "page_1", "Page"]
    assert table_lines(behat[0])[1] == ["Articles", "articles", "Index Content", "Enabled", ""]


def test_existing_view_gets_only_its_new_displays_checked() -> None:
    display = row(SheetKind.VIEW_DISPLAYS, 5, view="Content", title="Block", machine_name="block_1",
                  display_plugin="Block")
    checks, behat = build_checks(TicketKind.VIEW, [display], label="Content", machine_name="content",
                                 entity_type_label="View")
    assert len(checks) == 1 and len(behat) == 1
    assert behat[0].startswith("Then exactly the following views displays should exist")


def test_image_style_and_effects() -> None:
    rows = [
        row(SheetKind.IMAGE_STYLES, name="Large (480×480)", machine_name="large"),
        row(SheetKind.IMAGE_EFFECTS, 2, image_style="Large (480×480)", effect="Scale", summary="480×480"),
    ]
    checks, behat = build_checks(TicketKind.IMAGE_STYLE, rows, label="Large (480×480)", machine_name="large",
                                 entity_type_label="Image style")
    assert checks == (
        'The image style "Large (480×480)" (large) exists',
        "The image style Large (480×480) applies, in this order: Scale 480×480",
    )
    assert behat[1] == (
        "Then exactly the following image effects should exist\n"
        "  | Image style     | Effect | Summary |\n"
        "  | Large (480×480) | Scale  | 480×480 |"
    )


def test_workflow_transitions_are_one_check_each_with_all_their_from_states() -> None:
    states = [("Draft", "draft"), ("In review", "review"), ("Published", "published")]
    rows = [row(SheetKind.WORKFLOWS, name="Editorial", machine_name="editorial", type="Content moderation")]
    rows += [row(SheetKind.WORKFLOW_STATES, n, workflow="Editorial", name=label, machine_name=machine)
             for n, (label, machine) in enumerate(states, start=2)]
    rows += [
        row(SheetKind.WORKFLOW_TRANSITIONS, 2, workflow="Editorial", name="Publish", machine_name="publish",
            from_state="Draft", to_state="Published"),
        row(SheetKind.WORKFLOW_TRANSITIONS, 3, workflow="Editorial", name="Publish", machine_name="publish",
            from_state="review", to_state="published"),
    ]
    checks, behat = build_checks(TicketKind.WORKFLOW, rows, label="Editorial", machine_name="editorial",
                                 entity_type_label="Workflow")
    assert len(checks) == 3
    assert checks[-1] == "The workflow Editorial has the transitions Publish (publish): Draft, In review → Published"
    transitions = table_lines(behat[2])
    assert transitions[1:] == [
        ["Editorial", "Publish", "publish", "Draft", "Published"],
        ["Editorial", "Publish", "publish", "In review", "Published"],
    ]


def test_role_gets_one_check_for_its_permission_table_and_no_permission_behat() -> None:
    rows = [
        row(SheetKind.USER_ROLES, name="Editor", machine_name="editor"),
        row(SheetKind.PERMISSIONS, 3, provider="Node", permission="Article: Create new content"),
        row(SheetKind.PERMISSIONS, 4, provider="Content Moderation",
            permission="Editorial workflow: Use Publish transition."),
    ]
    checks, behat = build_checks(TicketKind.ROLE, rows, label="Editor", machine_name="editor",
                                 entity_type_label="User role")
    assert checks == (
        'The user role "Editor" (editor) exists',
        'Role "Editor" (editor) has exactly the 2 permissions of the permissions table and no others: '
        "`drush role:list --filter=editor --format=yaml` lists exactly their machine names",
    )
    assert behat == ("Then exactly the following roles should exist\n"
                     "  | Name   | Machine name |\n"
                     "  | Editor | editor       |",)


def test_migration_checks_cover_status_import_mappings_and_rollback() -> None:
    rows = [
        row(SheetKind.MIGRATIONS, name="Articles", machine_name="articles", source="csv articles.csv",
            destination_entity_type="Content type", destination_bundle="Article", dependencies="tags; users"),
        row(SheetKind.MIGRATION_MAPPINGS, 2, migration="Articles", source_field="Tags", destination_field="field_tags",
            process="migration_lookup", default_value="none"),
        row(SheetKind.MIGRATION_MAPPINGS, 3, migration="Articles", destination_field="moderation_state",
            default_value="draft"),
    ]
    checks, behat = build_checks(TicketKind.MIGRATION, rows, label="Articles", machine_name="articles",
                                 entity_type_label="Migration")
    assert behat == ()
    assert checks == (
        '`drush migrate:status articles` lists the migration "Articles" (articles) — source csv articles.csv, '
        "into Article (Content type), after tags, users",
        "After `drush migrate:import articles`, a sample imported item of Article (Content type) holds the values "
        "the mapping table gives for field_tags, moderation_state",
        "`drush migrate:import articles` reports no failed items and `drush migrate:messages articles` lists no "
        "messages",
        "`drush migrate:rollback articles` removes every imported item: `drush migrate:status articles` then shows "
        "0 imported",
    )


def test_menu_and_custom_entity() -> None:
    menu = row(SheetKind.MENUS, name="Footer", machine_name="footer", description="Site information links")
    checks, behat = build_checks(TicketKind.MENU, [menu], label="Footer", machine_name="footer",
                                 entity_type_label="Menu")
    assert checks == ('The menu "Footer" (footer) exists with description "Site information links"',)
    assert table_lines(behat[0]) == [["Name", "Machine name", "Description"],
                                     ["Footer", "footer", "Site information links"]]
    store = row(SheetKind.CUSTOM_ENTITIES, name="Store", machine_name="store", description="")
    checks, behat = build_checks(TicketKind.CUSTOM_ENTITY, [store], label="Store", machine_name="store",
                                 entity_type_label="Custom entity type")
    assert behat == ()
    assert checks[0].startswith('Custom entity type "Store" (store) exists — no description: `drush php:eval')
    assert "hasDefinition('store')" in checks[0]


# --- text --------------------------------------------------------------------------------------------


def test_gherkin_escapes_pipes_backslashes_and_line_breaks_and_aligns_columns() -> None:
    block = gherkin("Then x", ("A", "Longer"), [("a|b", "c\\d\r\ne")])
    assert block == (
        "Then x\n"
        "  | A    | Longer  |\n"
        "  | a\\|b | c\\\\d\\ne |"
    )


def test_checks_are_single_lines_even_with_multiline_cells() -> None:
    field = field_row(field_label="Body\ntext", help_text="one\r\ntwo\u2028three")
    checks, _ = build_checks(TicketKind.BUNDLE, [bundle_row(description="a\nb"), field], **ARTICLE)
    assert all(len(check.splitlines()) == 1 for check in checks)
    assert checks[0].endswith('description "a b"')


# --- real spec data ----------------------------------------------------------------------------------


def _read(path: Path) -> list[SpecRow]:
    result = read_upload(path.name, path.read_bytes())
    assert result.sheets, result.problems
    return result.sheets[0].rows


@pytest.mark.realspec
def test_real_fields_sheet_gives_one_field_check_and_one_behat_line_per_field(shared_specs: Path) -> None:
    folder = shared_specs / "drupal-spec-tool"
    fields = [r for r in _read(folder / "fields.csv") if r.get("bundle") == "Event (Content type)"]
    own = next(r for r in _read(folder / "bundles.csv") if r.get("machine_name") == "event")
    checks, behat = build_checks(TicketKind.BUNDLE, [own, *fields], label="Event", machine_name="event",
                                 entity_type_label="Content type")
    assert len(fields) == 10 and len(checks) == 2
    assert len(table_lines(behat[1])) == 1 + len(fields)
    assert all(f.get("machine_name") in checks[1] for f in fields)


@pytest.mark.realspec
def test_real_va_gov_fields_with_a_type_column(shared_specs: Path) -> None:
    rows = _read(shared_specs / "drupal-spec-tool" / "va-gov-cms" / "fields.csv")
    alerts = [r for r in rows if r.get("bundle") == "Full Width Alert" and r.get("bundle_type") == "Content type"]
    assert alerts
    checks, behat = build_checks(TicketKind.EXISTING_BUNDLE_FIELDS, alerts, label="Full Width Alert",
                                 machine_name="banner", entity_type_label="Content type")
    assert len(checks) == 1 and all(a.get("machine_name") in checks[0] for a in alerts)
    cells = table_lines(behat[0])
    assert all(line[:2] == ["Content type", "Full Width Alert"] for line in cells[1:])
