"""Dependencies inferred where the spec states none, and the warnings that say which column would help."""

from __future__ import annotations

from integrations.spec.problems import Level
from integrations.tickets import Dependency, Group, TicketBrief
from jobs.planning import Plan, UploadedFile, plan_uploads


def plan_csv(**files: str) -> Plan:
    return plan_uploads([UploadedFile(f"{name}.csv", text.encode()) for name, text in files.items()])


def ticket(plan: Plan, key: str) -> TicketBrief:
    return next(t for t in plan.tickets if t.key == key)


def deps(plan: Plan, key: str) -> dict[str, Dependency]:
    """What a ticket depends on among the spec's entities (not the foundation tickets every plan has)."""
    return {d.key: d for d in ticket(plan, key).depends_on if not d.key.startswith(("core.", "foundation."))}


BUNDLES = """Name,Machine name,Type,Description
Article,article,Content type,News
Gear review,gear_review,Content type,A review of one product
Event,event,Content type,Store events
Tags,tags,Vocabulary,Free tagging
Gear category,gear_category,Vocabulary,Tents or boots
Sections,administration,Vocabulary,Who owns the content
Image,image,Media type,Locally hosted photos
Document,document,Media type,"PDF files such as trail maps"
Hero,hero,Paragraph type,
"""
HEADER = "Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget,Help text\n"


def fields(*rows: str) -> str:
    return HEADER + "".join(f"{row}\n" for row in rows)


def test_the_field_name_names_the_target_and_the_ticket_says_it_is_inferred() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=fields(
        "Article (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete (Tags style),"))
    tags = deps(plan, "node.type.article")["taxonomy.vocabulary.tags"]
    assert tags.is_inferred and tags.inferred == "the field name `field_tags`"
    assert tags.reason == ("field field_tags references Tags (Vocabulary) — inferred from the field name "
                           "`field_tags`; confirm the target bundles")
    assert plan.stats.stated_edges == 0 and plan.stats.inferred_edges == 1


def test_the_owner_name_and_words_like_related_are_left_out_of_the_name() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=fields(
        "Article (Content type),Article image,field_article_image,Entity reference,,1,Media library,",
        "Event (Content type),Related gear,field_related_gear_review,Entity reference,,Unlimited,Autocomplete,"))
    assert set(deps(plan, "node.type.article")) == {"media.type.image"}
    assert set(deps(plan, "node.type.event")) == {"node.type.gear_review"}


def test_the_label_names_the_target_when_the_machine_name_does_not() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=fields(
        "Event (Content type),Section,field_owner,Entity reference,,1,Select list,"))
    section = deps(plan, "node.type.event")["taxonomy.vocabulary.administration"]
    assert section.inferred == "the field label 'Section'"


def test_a_name_that_fits_several_bundles_makes_no_edge_unless_the_help_text_picks_one() -> None:
    # "gear" fits Gear review and Gear category: without help text nothing is guessed.
    unclear = plan_csv(bundles=BUNDLES, fields=fields(
        "Event (Content type),Related gear,field_related_gear,Entity reference,,Unlimited,Autocomplete,"))
    assert deps(unclear, "node.type.event") == {}
    clear = plan_csv(bundles=BUNDLES, fields=fields(
        "Event (Content type),Related gear,field_related_gear,Entity reference,,Unlimited,Autocomplete,"
        "Gear reviews to show beside the event."))
    gear = deps(clear, "node.type.event")["node.type.gear_review"]
    assert gear.inferred == "the field name `field_related_gear` and its help text"


def test_the_widget_fixes_the_entity_type() -> None:
    # "Image" is also a word of nothing else, but a tags-style widget means a vocabulary: Tags, not Image.
    bundles = BUNDLES + "Topic image,topic_image,Vocabulary,\n"
    plan = plan_csv(bundles=bundles, fields=fields(
        "Article (Content type),Image,field_image,Entity reference,,1,Media library,",
        "Event (Content type),Topic image,field_topic_image,Entity reference,,1,Autocomplete (Tags style),"))
    assert set(deps(plan, "node.type.article")) == {"media.type.image"}
    assert set(deps(plan, "node.type.event")) == {"taxonomy.vocabulary.topic_image"}


def test_revisions_reference_the_only_paragraph_type_and_the_description_picks_a_media_type() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=fields(
        "Article (Content type),Sections,field_body_parts,Entity reference revisions,,Unlimited,Paragraphs (stable),",
        "Event (Content type),Map,field_route_map,Entity reference,,1,Media library,"))
    hero = deps(plan, "node.type.article")["paragraphs.paragraphs_type.hero"]
    assert hero.inferred == "its field type (Entity reference revisions) and the spec's only paragraph type"
    # Two media types; Document's description mentions maps.
    document = deps(plan, "node.type.event")["media.type.document"]
    assert document.inferred == "the field name `field_route_map` and Document's description"


def test_help_text_alone_can_name_the_target() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=fields(
        "Gear review (Content type),Where,field_where,Entity reference,,1,Autocomplete,"
        "The Event where the gear was tested."))
    assert deps(plan, "node.type.gear_review")["node.type.event"].inferred == "its help text"


def test_nothing_is_guessed_from_words_every_bundle_shares() -> None:
    bundles = ("Name,Machine name,Type\nNews,news,Content type\nNews category,news_category,Vocabulary\n"
               "Event category,event_category,Vocabulary\n")
    plan = plan_csv(bundles=bundles, fields=fields(
        "News (Content type),Category,field_category,Entity reference,,1,Select list,"))
    assert deps(plan, "node.type.news") == {}


def test_a_stated_target_wins_and_is_never_second_guessed() -> None:
    header = HEADER.rstrip("\n") + ",Ref. bundle\n"
    plan = plan_csv(bundles=BUNDLES, fields=header + (
        "Article (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete,,Gear category (Vocabulary)\n"
        "Event (Content type),Image,field_image,Entity reference,,1,Autocomplete,,User\n"
        "Gear review (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete,,\n"))
    article = deps(plan, "node.type.article")
    assert set(article) == {"taxonomy.vocabulary.gear_category"} and not article[
        "taxonomy.vocabulary.gear_category"].is_inferred
    assert deps(plan, "node.type.event") == {}  # "User" states a target without bundles: nothing to infer
    assert deps(plan, "node.type.gear_review")["taxonomy.vocabulary.tags"].is_inferred  # an empty cell does not
    assert plan.stats.stated_edges == 1 and plan.stats.inferred_edges == 1


def test_an_inferred_edge_orders_the_tickets() -> None:
    bundles = "Name,Machine name,Type\nReview,review,Content type\nGuide,guide,Content type\n"
    plan = plan_csv(bundles=bundles, fields=fields(
        "Review (Content type),Guide,field_guide,Entity reference,,1,Autocomplete,"))
    assert [t.key for t in plan.tickets if t.group is not Group.FOUNDATION] == ["node.type.guide", "node.type.review"]


def test_a_view_lists_the_bundles_its_name_displays_or_description_name() -> None:
    views = ("Name,Machine name,Base table,Status,Description\n"
             "Upcoming events,upcoming_events,Content,Enabled,\n"
             "Front,front,Content,Enabled,Gear reviews and articles of the week\n"
             "Tag cloud,tag_cloud,Taxonomy terms,Enabled,\n"
             "Files,files_list,Files,Enabled,Every event document\n")
    displays = ("View,Title,Machine name,Display plugin\nTag cloud,Page,page_1,Page\n"
                "Tag cloud,Popular tags,block_1,Block\n")
    plan = plan_csv(bundles=BUNDLES, views=views, view_displays=displays)
    assert set(deps(plan, "views.view.upcoming_events")) == {"node.type.event"}
    assert deps(plan, "views.view.upcoming_events")["node.type.event"].inferred == (
        "the view name `upcoming_events`")
    assert set(deps(plan, "views.view.front")) == {"node.type.gear_review", "node.type.article"}
    # The base table says the entity type: a taxonomy view lists vocabularies, a files view no bundle.
    assert set(deps(plan, "views.view.tag_cloud")) == {"taxonomy.vocabulary.tags"}
    assert deps(plan, "views.view.files_list") == {}
    with_column = plan_csv(bundles=BUNDLES, views="Name,Machine name,Base table,Bundles\n"
                                                  "Upcoming events,upcoming_events,Content,\n")
    assert deps(with_column, "views.view.upcoming_events") == {}  # the spec says: no bundle filter


WORKFLOWS = "Label,Machine name,Type\nEditorial,editorial,Content moderation\n"
STATES = "Workflow,Label,Machine name\nEditorial,Draft,draft\n"


def test_the_only_moderation_workflow_moderates_the_content_types_when_no_column_says() -> None:
    plan = plan_csv(bundles=BUNDLES, workflows=WORKFLOWS, workflow_states=STATES)
    moderated = deps(plan, "workflows.workflow.editorial")
    assert set(moderated) == {"node.type.article", "node.type.gear_review", "node.type.event"}
    assert all(d.inferred == "the spec's only content-moderation workflow and no Mod. column"
               for d in moderated.values())
    stated = plan_csv(bundles=BUNDLES.replace("Description\n", "Description,Mod.\n", 1).replace(
        "Article,article,Content type,News\n", "Article,article,Content type,News,y\n"),
        workflows=WORKFLOWS, workflow_states=STATES)
    assert set(deps(stated, "workflows.workflow.editorial")) == {"node.type.article"}
    assert not any(d.is_inferred for d in deps(stated, "workflows.workflow.editorial").values())
    two = plan_csv(bundles=BUNDLES, workflows=WORKFLOWS + "Legal,legal,Content moderation\n",
                   workflow_states=STATES + "Legal,Draft,draft\n")
    assert deps(two, "workflows.workflow.editorial") == {}  # which one moderates what: unknown


def test_missing_columns_are_one_warning_per_sheet_and_in_the_stats() -> None:
    plan = plan_csv(bundles=BUNDLES, workflows=WORKFLOWS, workflow_states=STATES,
                    user_roles="Name,Machine name\nEditor,editor\n",
                    views="Name,Machine name,Base table\nEvents,events,Content\nLog,log,Log entries\n",
                    fields=fields(
                        "Article (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete,",
                        "Event (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete,",
                        "Event (Content type),Thing,field_thing,Entity reference,,1,Autocomplete,",
                        "Event (Content type),Title,field_subtitle,Text (plain),,1,Textfield,"))
    warnings = [p for p in plan.warnings if p.file == "fields.csv"]
    assert len(warnings) == 1 and warnings[0].row is None and warnings[0].level is Level.WARNING
    assert warnings[0].column == "Ref. bundle"
    assert warnings[0].message.startswith("3 reference field(s) name no target bundle (field_tags, field_thing)")
    assert warnings[0].suggestion and warnings[0].suggestion.startswith("add a Ref. bundle column")
    assert [p.message for p in plan.warnings if p.file == "views.csv"] == [
        "no Bundles column: the bundles 1 view(s) list are guessed from their names (Events)"]
    assert any("no Mod. column" in p.message for p in plan.warnings if p.file == "bundles.csv")
    assert plan.stats.missing_columns == (
        "fields: Ref. bundle — 3 reference fields name no target",
        "views: Bundles — 1 view lists unnamed bundles",
        "bundles: Mod. — which bundles workflow 'Editorial' moderates",
        "a permissions grid — which bundles and transitions each role uses",
    )
    assert plan.stats.summary_line().startswith("Dependencies: 0 stated, 7 inferred; to make the order certain add "
                                                 "fields: Ref. bundle")


def test_a_complete_spec_warns_of_nothing_missing() -> None:
    header = HEADER.rstrip("\n") + ",Ref. bundle\n"
    plan = plan_csv(bundles=BUNDLES, fields=header + (
        "Article (Content type),Tags,field_tags,Entity reference,,Unlimited,Autocomplete,,Tags (Vocabulary)\n"))
    assert plan.stats.missing_columns == () and not plan.warnings
    assert plan.stats.summary_line() == "Dependencies: 1 stated, 0 inferred."


# ---- roles, when the spec has no permissions grid ------------------------------------------------------

ROLES = """Name,Machine name,Notes
Anonymous user,anonymous,
Gear reviewer,gear_reviewer,
Publisher,publisher,"Reviews, publishes and archives all editorial content."
Content author,content_author,
Media creator,media_creator,
Layout manager,layout_manager,Arranges the front page.
"""
GEAR_IMAGE = fields("Gear review (Content type),Photo,field_photo,Entity reference,,1,Media library,")


def test_a_role_named_for_a_content_type_needs_it_the_workflow_and_the_media_it_embeds() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=GEAR_IMAGE, workflows=WORKFLOWS, workflow_states=STATES,
                    user_roles=ROLES)
    needs = deps(plan, "user.role.gear_reviewer")
    assert set(needs) == {"node.type.gear_review", "workflows.workflow.editorial", "media.type.image"}
    assert all(d.is_inferred for d in needs.values())
    assert needs["node.type.gear_review"].reason == (
        "the role creates and edits Gear review (Content type) — inferred from the role name 'Gear reviewer'; "
        "confirm with a permissions grid")
    assert needs["workflows.workflow.editorial"].reason.startswith(
        "an editorial role uses workflow Editorial's transitions — inferred from the role name 'Gear reviewer'")
    assert "its content types reference Image (Media type)" in needs["media.type.image"].reason
    order = [t.key for t in plan.tickets]
    assert order.index("user.role.gear_reviewer") > max(order.index(k) for k in needs)


def test_all_content_in_the_notes_means_the_moderated_content_types_a_bare_name_only_the_workflow() -> None:
    plan = plan_csv(bundles=BUNDLES, fields=GEAR_IMAGE, workflows=WORKFLOWS, workflow_states=STATES,
                    user_roles=ROLES)
    assert set(deps(plan, "user.role.publisher")) == {"workflows.workflow.editorial", "node.type.article",
                                                      "node.type.gear_review", "node.type.event", "media.type.image"}
    # "Content author" alone names no content type, and which ones are moderated is itself a guess here.
    assert set(deps(plan, "user.role.content_author")) == {"workflows.workflow.editorial"}
    stated = plan_csv(bundles=BUNDLES.replace("Description\n", "Description,Mod.\n", 1).replace(
        "Event,event,Content type,Store events\n", "Event,event,Content type,Store events,y\n"),
        workflows=WORKFLOWS, workflow_states=STATES, user_roles=ROLES)
    assert set(deps(stated, "user.role.content_author")) == {"workflows.workflow.editorial", "node.type.event"}


def test_media_roles_need_the_media_types_and_other_roles_nothing() -> None:
    plan = plan_csv(bundles=BUNDLES, workflows=WORKFLOWS, workflow_states=STATES, user_roles=ROLES)
    assert set(deps(plan, "user.role.media_creator")) == {"media.type.image", "media.type.document"}
    assert deps(plan, "user.role.layout_manager") == {}  # writes, reviews or publishes nothing by its name
    assert all(not t.key.startswith("user.role.anonymous") or not t.depends_on for t in plan.tickets)


def test_a_permissions_grid_decides_and_nothing_is_inferred_for_roles() -> None:
    grid = "Permission,Gear reviewer\nGear review: Create new content,x\n"
    plan = plan_csv(bundles=BUNDLES, workflows=WORKFLOWS, workflow_states=STATES, user_roles=ROLES, permissions=grid)
    needs = deps(plan, "user.role.gear_reviewer")
    assert set(needs) == {"node.type.gear_review"} and not needs["node.type.gear_review"].is_inferred
    assert deps(plan, "user.role.content_author") == {}
