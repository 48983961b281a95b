"""Planning: tickets, groups, spec keys, dependencies, order, cycles and row tracing."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.spec.problems import Level
from integrations.tickets import Group, TicketKind
from jobs.planning import Plan, UploadedFile, plan_uploads


def plan_csv(**files: str) -> Plan:
    return plan_uploads([UploadedFile(f"{name}.csv", text.encode()) for name, text in files.items()])


BUNDLES = """Name,Machine name,Type,Description
Article,article,Content type,News
Tags,tags,Vocabulary,Free tagging
Image,image,Media type,Pictures
Hero,hero,Paragraph type,
Basic,basic,Custom block type,
"""
FIELDS = """Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget,Translatable,Help text,\
Ref. bundle
Article (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete (Tags style),,,Tags (Vocabulary)
Article (Content type),Image,field_image,Entity reference,,1,Media library,,,Image (Media type)
Article (Content type),Hero,field_hero,Entity reference revisions,,1,Paragraphs (stable),,,Hero (Paragraph type)
Hero (Paragraph type),Heading,field_heading,Text (plain),Required,1,Textfield,,,
Page (Content type),Summary,field_summary,Text (plain),,1,Textfield,,,
"""


def keys(plan: Plan) -> list[str]:
    """The entity tickets' keys in order (foundation tickets have their own tests, test_plan_kinds.py)."""
    return [t.key for t in plan.tickets if t.group is not Group.FOUNDATION]


def test_one_ticket_per_entity_with_spec_keys_and_groups() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=FIELDS)
    by_key = {t.key: t for t in plan.tickets if t.group is not Group.FOUNDATION}
    assert set(by_key) == {
        "node.type.article", "taxonomy.vocabulary.tags", "media.type.image", "paragraphs.paragraphs_type.hero",
        "block_content.type.basic", "node.type.page",
    }
    assert by_key["media.type.image"].group is Group.MEDIA
    assert by_key["node.type.article"].group is Group.CONTENT
    assert len(by_key["node.type.article"].rows) == 4  # the bundle row and its three fields
    existing = by_key["node.type.page"]
    assert existing.kind is TicketKind.EXISTING_BUNDLE_FIELDS
    assert [r.row for r in existing.rows] == [6]


def test_reference_targets_come_first_and_depends_on_names_them() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=FIELDS)
    order = [t.key for t in plan.tickets]
    article = next(t for t in plan.tickets if t.key == "node.type.article")
    assert {d.key for d in article.depends_on} == {
        "taxonomy.vocabulary.tags", "media.type.image", "paragraphs.paragraphs_type.hero", "core.extension",
    }
    for dependency in article.depends_on:
        assert order.index(dependency.key) < order.index(article.key)
    assert "field_tags" in next(d.reason for d in article.depends_on if d.key == "taxonomy.vocabulary.tags")


def test_ties_follow_drupal_build_order_by_kind_then_spec_order() -> None:
    bundles = "Name,Machine name,Type\nZeta,zeta,Content type\nAlpha,alpha,Content type\nPic,pic,Media type\n"
    plan = plan_csv(bundles=bundles, menus="Name,Machine name,Description\nSite nav,site-nav,\n",
                    views="Name,Machine name,Base table,Status,Description\nList,list,Content,Enabled,\n")
    # No edge between them: menus depend on nothing, media types come before content types, views
    # after what they list; spec order within a kind, not the groups' display order.
    assert keys(plan) == ["system.menu.site-nav", "media.type.pic", "node.type.zeta", "node.type.alpha",
                          "views.view.list"]
    assert [t.position for t in plan.tickets] == list(range(1, len(plan.tickets) + 1))


def test_every_kind_in_drupal_config_dependency_direction() -> None:
    """Listed against the rule, in reverse, so that spec order alone would get every pair wrong."""
    bundles = ("Name,Machine name,Type\nPage,page,Content type\nHero,hero,Paragraph type\n"
               "Promo,promo,Custom block type\nPic,pic,Media type\nTags,tags,Vocabulary\n")
    fields = ("Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget\n"
              "User,Bio,field_bio,Text (plain),,1,Textfield\n")
    plan = plan_csv(
        migrations="Label,Machine name,Source,Destination entity type,Destination bundle\n"
                   "Old pages,old_pages,CSV,node,page\n",
        views="Name,Machine name,Base table\nList,list,Content\n",
        user_roles="Name,Machine name\nEditor,editor\n",
        workflows="Label,Machine name,Type\nEditorial,editorial,Content moderation\n",
        workflow_states="Workflow,Label,Machine name\nEditorial,Draft,draft\n",
        bundles=bundles, fields=fields,
        image_styles="Style name,Machine name\nWide,wide_2000\n",
        menus="Name,Machine name,Description\nSide,side,\n",
    )
    assert not plan.errors, [p.describe() for p in plan.errors]
    assert keys(plan) == [
        "image.style.wide_2000", "system.menu.side", "taxonomy.vocabulary.tags", "media.type.pic",
        "block_content.type.promo", "paragraphs.paragraphs_type.hero", "node.type.page", "user.user",
        "workflows.workflow.editorial", "user.role.editor", "views.view.list", "migrate_plus.migration.old_pages",
    ]
    # The groups stay the epics: the order changes, the grouping does not.
    groups = {t.key: t.group for t in plan.tickets}
    assert groups["system.menu.side"] is Group.CUSTOM and groups["views.view.list"] is Group.VIEWS


def test_a_cycle_is_broken_at_its_earliest_ticket_with_a_note() -> None:
    bundles = "Name,Machine name,Type\nGuide,guide,Content type\nReview,review,Content type\n"
    fields = (
        "Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget,Ref. bundle\n"
        "Guide (Content type),Reviews,field_reviews,Entity reference,,Unlimited,Autocomplete,Review (Content type)\n"
        "Review (Content type),Guide,field_guide,Entity reference,,1,Autocomplete,Guide (Content type)\n"
    )
    plan = plan_csv(bundles=bundles, fields=fields, views="Name,Machine name,Base table\nAll,all,Content\n")
    # The cycle is broken before sorting: Guide keeps its place instead of trailing the other groups, and
    # its deferred field gets a follow-up ticket once both ends exist (test_plan_kinds.py has the details).
    follow_up = "field.field.node.guide.field_reviews"
    assert keys(plan) == ["node.type.guide", "node.type.review", follow_up, "views.view.all"]
    guide, review = (next(t for t in plan.tickets if t.key == k) for k in ("node.type.guide", "node.type.review"))
    assert guide.depends_on == ()
    assert [d.key for d in review.depends_on] == ["node.type.guide"]
    assert any("field_reviews" in note and follow_up in note for note in guide.notes)
    cycle = [p for p in plan.problems if "cycle" in p.message]
    assert len(cycle) == 1 and cycle[0].level is Level.WARNING


def test_self_reference_makes_no_edge() -> None:
    bundles = "Name,Machine name,Type\nPage,page,Content type\n"
    fields = ("Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget,Ref. bundle\n"
              "Page (Content type),Parent,field_parent,Entity reference,,1,Autocomplete,Page (Content type)\n")
    plan = plan_csv(bundles=bundles, fields=fields)
    assert plan.tickets[0].depends_on == () and not plan.warnings


def test_workflow_role_view_and_migration_dependencies() -> None:
    bundles = ("Name,Machine name,Type,Mod.,Migr.\nArticle,article,Content type,y,y\n"
               "Tags,tags,Vocabulary,n,n\n")
    fields = ("Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget\n"
              "Article (Content type),Body,body,\"Text (formatted, long, with summary)\",,1,Text area with a summary\n")
    workflows = "Label,Machine name,Type\nEditorial,editorial,Content moderation\n"
    states = "Workflow,Label,Machine name\nEditorial,Draft,draft\nEditorial,Published,published\n"
    transitions = ("Workflow,Label,Machine name,From state,To state\n"
                   "Editorial,Publish,publish,Draft,Published\nEditorial,Publish,publish,Published,Published\n")
    roles = "Name,Machine name\nEditor,editor\n"
    grid = ("Provider,Permission,Editor\nNode,Article: Create new content,Editor\n"
            "Content Moderation,Editorial workflow: Use Publish transition.,Editor\nSystem,Use the admin theme,\n")
    views = "Name,Machine name,Base table,Status,Description,Bundles\nNews,news,Content,Enabled,,Article\n"
    migrations = ("Label,Machine name,Source,Destination entity type,Destination bundle,Dependencies\n"
                  "Terms,terms,CSV,Vocabulary,Tags,\nArticles,articles,CSV,Content type,Article,terms\n")
    mappings = ("Migration,Source field,Destination field,Process,Default value\n"
                "Articles,body_html,body,,\nArticles,headline,title,,\n")
    plan = plan_csv(bundles=bundles, fields=fields, workflows=workflows, workflow_states=states,
                    workflow_transitions=transitions, user_roles=roles, permissions=grid, views=views,
                    migrations=migrations, migration_mappings=mappings)
    assert not plan.errors, [p.describe() for p in plan.errors]
    deps = {t.key: {d.key for d in t.depends_on} for t in plan.tickets}
    deps = {key: needs - {"core.extension"} for key, needs in deps.items()}  # modules: test_plan_kinds.py
    assert deps["workflows.workflow.editorial"] == {"node.type.article"}
    assert deps["user.role.editor"] == {"node.type.article", "workflows.workflow.editorial"}
    assert deps["views.view.news"] == {"node.type.article"}
    assert deps["migrate_plus.migration.articles"] == {"node.type.article", "migrate_plus.migration.terms"}
    assert deps["migrate_plus.migration.terms"] == {"taxonomy.vocabulary.tags"}
    order = keys(plan)
    for key, needs in deps.items():
        assert all(order.index(n) < order.index(key) for n in needs)
    role = next(t for t in plan.tickets if t.key == "user.role.editor")
    assert [r.row for r in role.rows] == [2, 2, 3]  # its own row, then the two grid rows granting it
    workflow = next(t for t in plan.tickets if t.key == "workflows.workflow.editorial")
    assert len(workflow.rows) == 5


def test_unknown_references_are_row_errors_with_suggestions() -> None:
    fields = ("Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget\n"
              "Artcle (Content type),Body,body,Text (plain),,1,Textfield\n"
              "Article (Content type),Teaser,field_teaser,Text (plain),,1,Textfield\n")
    displays = "View,Title,Machine name,Display plugin\nNewz,Page,page_1,Page\n"
    plan = plan_csv(bundles="Name,Machine name,Type\nArticle,article,Content type\n", fields=fields,
                    views="Name,Machine name,Base table\nNews,news,Content\n", view_displays=displays)
    messages = {p.describe() for p in plan.errors}
    assert "fields.csv row 2, Bundle: unknown bundle 'Artcle (Content type)' — did you mean 'Article'?" in messages
    assert "view_displays.csv row 2, View: unknown view 'Newz' — did you mean 'News'?" in messages
    article = next(t for t in plan.tickets if t.key == "node.type.article")
    assert [r.row for r in article.rows] == [2, 3]  # the good field row is kept


def test_skipped_rows_and_references_to_them() -> None:
    bundles = "Name,Machine name,X,Type\nOld,old,d,Content type\nLater,later,w,Content type\nDone,done,x,Content type\n"
    fields = ("Bundle,Field label,Machine name,X,Field type,Required,Cardinality,Form widget\n"
              "Old (Content type),A,field_a,a,Text (plain),,1,Textfield\n"
              "Done (Content type),B,field_b,a,Text (plain),,1,Textfield\n"
              "Done (Content type),C,field_c,x,Text (plain),,1,Textfield\n")
    plan = plan_csv(bundles=bundles, fields=fields)
    # X = d removes what was built (a Remove ticket, test_plan_kinds.py); X = w stays out.
    assert keys(plan) == ["node.type.done", "node.type.old"]  # removals go last (build_order.REMOVAL)
    done = next(t for t in plan.tickets if t.key == "node.type.done")
    assert done.kind is TicketKind.EXISTING_BUNDLE_FIELDS
    assert [r.row for r in done.rows] == [3]
    assert any("skipped" in p.message and p.row == 2 for p in plan.errors)


def test_machine_name_rules() -> None:
    bundles = ("Name,Machine name,Type\nBad,Bad-Name,Content type\n"
               "Long,a_machine_name_that_is_much_too_long_x,Content type\nOk,ok,Content type\nOk2,ok,Content type\n")
    plan = plan_csv(bundles=bundles, menus="Name,Machine name,Description\nMain,main-nav,\nFoot,foot_er,\n")
    errors = {(p.file, p.row, p.column): p for p in plan.errors}
    assert "Bad-Name" in errors[("bundles.csv", 2, "Machine name")].message
    assert errors[("bundles.csv", 2, "Machine name")].suggestion == "use 'bad_name'"
    assert "over Drupal's 32" in errors[("bundles.csv", 3, "Machine name")].message
    assert "duplicate machine name 'ok'" in errors[("bundles.csv", 5, "Machine name")].message
    assert errors[("menus.csv", 3, "Machine name")].suggestion == "use 'foot-er'"
    assert keys(plan) == ["system.menu.main-nav", "node.type.ok"]  # menus depend on nothing: first


def test_field_storage_is_shared_across_bundles() -> None:
    bundles = "Name,Machine name,Type\nA,a,Content type\nB,b,Content type\n"
    fields = ("Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget\n"
              "A (Content type),X,field_x,Text (plain),,1,Textfield\n"
              "B (Content type),X,field_x,Boolean,,1,Single on/off checkbox\n"
              "A (Content type),X,field_x,Text (plain),,1,Textfield\n"
              "B (Content type),Y,field_y,Text (plain),,many,Textfield\n")
    plan = plan_csv(bundles=bundles, fields=fields)
    assert {(p.row, p.column) for p in plan.errors} == {(3, "Field type"), (4, "Machine name"), (5, "Cardinality")}


def check_plan_covers_and_orders(plan: Plan, files: list[Path]) -> None:
    order = {t.key: t.position for t in plan.tickets}
    assert len(order) == len(plan.tickets), "spec keys are unique"
    for ticket in plan.tickets:
        for dependency in ticket.depends_on:
            assert order[dependency.key] < ticket.position, (ticket.key, dependency.key)
    traced: dict[tuple[str, int], list[str]] = {}
    for ticket in plan.tickets:
        for ref in ticket.sources:
            traced.setdefault((ref.file, ref.row), []).append(ticket.key)
    refused = {(p.file, p.row) for p in plan.problems if p.level is Level.ROW_ERROR}
    grid_rows = {(r.file, r.row) for t in plan.tickets for r in t.rows if r.sheet.value == "permissions"}
    for (file, row), tickets in traced.items():
        if (file, row) not in grid_rows:
            assert len(tickets) == 1, f"{file} row {row} is in {tickets}"
    from integrations.spec.reader import read_upload

    for path in files:
        for sheet in read_upload(path.name, path.read_bytes()).sheets:
            for spec_row in sheet.rows:
                key = (spec_row.file, spec_row.row)
                if spec_row.is_built and key not in refused and spec_row.sheet.value != "permissions":
                    assert key in traced, f"{key} is in no ticket"


@pytest.mark.realspec
def test_drupal_spec_tool_default_spec(shared_specs: Path) -> None:
    files = sorted(p for p in (shared_specs / "drupal-spec-tool").glob("*.csv") if p.name != "sheet_columns.csv")
    plan = plan_uploads([UploadedFile(p.name, p.read_bytes()) for p in files])
    check_plan_covers_and_orders(plan, files)
    # 4 foundation tickets and one confirming what Drupal provides (18 views, 5 image styles, 3 roles and
    # 5 menus); the 18 new image styles merged into 3 families (test_plan_kinds.py).
    assert len(plan.tickets) == 4 + 1 + 12 + (34 - 18) + 3 + (10 - 3) + 1 + (6 - 5)
    # The spec's "People" view lists display id "default" twice (Default and Master): one is refused.
    assert [p.describe() for p in plan.errors] == [
        "view_displays.csv row 48, Machine name: duplicate display 'default' in view 'People' (also on row 47)"
    ]


@pytest.mark.realspec
def test_va_gov_spec(shared_specs: Path) -> None:
    files = sorted((shared_specs / "drupal-spec-tool" / "va-gov-cms").glob("*.csv"))
    plan = plan_uploads([UploadedFile(p.name, p.read_bytes()) for p in files])
    check_plan_covers_and_orders(plan, files)
    assert not plan.errors, [p.describe() for p in plan.errors][:5]
    # 4 foundation tickets and one for what Drupal provides; shipped views, image styles and menus are in
    # it or extended, the other menus and image styles merged by family (test_plan_kinds.py).
    # Two inferred references close cycles: each deferred field gets a follow-up ticket.
    follow_ups = [t for t in plan.tickets if t.kind is TicketKind.DEFERRED_FIELD]
    assert len(follow_ups) == 2
    assert len(plan.tickets) == 4 + 1 + 115 + (80 - 11) + 3 + (16 - 4) + 1 + 4 + 2  # 5 of the 69 views: Extend
    assert plan.stats.stated_edges == 0 and plan.stats.inferred_edges > 200  # a Behat layout states none


@pytest.mark.realspec
def test_gleanings_grid_with_the_roles_sheet(shared_specs: Path) -> None:
    files = [shared_specs / "drupal-spec-tool" / "user_roles.csv", shared_specs / "other" / "gleanings" /
             "permissions_grid.csv", shared_specs / "other" / "gleanings" / "content_fields.csv"]
    plan = plan_uploads([UploadedFile(p.name, p.read_bytes()) for p in files])
    check_plan_covers_and_orders(plan, files)
    # The administrator role ships with Drupal: its rows are in the ticket confirming what Drupal provides.
    provided = next(t for t in plan.tickets if t.key == "foundation.provided")
    admin = next(m for m in provided.members if m.key == "user.role.administrator")
    granted = {(r.file, r.row) for r in provided.rows if r.sheet.value == "permissions"}
    assert sum(1 for s in admin.sources if (s.file, s.row) in granted) > 150
