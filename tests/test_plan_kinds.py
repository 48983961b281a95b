"""Issue 11 items 4-8: what Drupal ships, cycle follow-ups, row status, foundation tickets, merged families.

Each rule on a small spec through the real pipeline (read, validate, plan), and its text through the
template writer; the merge threshold also through the CLI as a user runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from integrations.spec.provided import PROVIDED
from integrations.tickets import Group, SiteContext, TicketAction, TicketBrief, TicketKind
from integrations.writers.prompt import data_block
from integrations.writers.template import TemplateWriter
from jobs.planning import Plan, PlanCache, PlanOptions, UploadedFile, plan_uploads
from jobs.planning.families import families
from tests.support.workers import ROOT, worker_env

SITE = SiteContext("Acme", "An outdoor-gear site")


def plan_csv(options: PlanOptions | None = None, **files: str) -> Plan:
    return plan_uploads([UploadedFile(f"{name}.csv", text.encode()) for name, text in files.items()], options=options)


def by_key(plan: Plan) -> dict[str, TicketBrief]:
    return {t.key: t for t in plan.tickets}


def written(brief: TicketBrief) -> tuple[str, str, str, str]:
    content = TemplateWriter().write(brief, SITE)
    return content.title, content.user_story, content.analysis, "\n".join(content.verification)


def assert_every_row_in_one_ticket(plan: Plan, expected_rows: int) -> None:
    seen = [(r.file, r.row) for t in plan.tickets for r in t.rows]
    assert len(seen) == len(set(seen)) == expected_rows
    positions = {t.key: t.position for t in plan.tickets}
    for ticket in plan.tickets:
        for dep in ticket.depends_on:
            assert dep.key in positions and positions[dep.key] < ticket.position, (ticket.key, dep.key)


# ---- 4. what Drupal ships ------------------------------------------------------------------------------

SHIPPED_MENUS = "Name,Machine name,Description\nMain navigation,main,\nFooter,footer,\nCampaigns,campaigns,\n"
SHIPPED_STYLES = "Style name,Machine name\nThumbnail (100×100),thumbnail\nHero,hero\n"
SHIPPED_VIEWS = ("Name,Machine name,Base table,Status,Description\nContent,content,Content,Enabled,\n"
                 "Frontpage,frontpage,Content,Enabled,\nNews,news,Content,Enabled,\n")
SHIPPED_DISPLAYS = ("View,Title,Machine name,Display plugin\nContent,Default,default,Default\n"
                    "Content,Page,page_1,Page\nContent,Drafts,drafts,Page\nFrontpage,Page,page_1,Page\nNews,Page,page_1,Page\n")
SHIPPED_ROLES = "Name,Machine name\nAnonymous user,anonymous\nEditor,editor\n"


def test_shipped_menus_styles_views_and_roles_are_confirmed_not_created() -> None:
    plan = plan_csv(menus=SHIPPED_MENUS, image_styles=SHIPPED_STYLES, views=SHIPPED_VIEWS,
                    view_displays=SHIPPED_DISPLAYS, user_roles=SHIPPED_ROLES)
    tickets = by_key(plan)
    provided = tickets["foundation.provided"]
    assert provided.kind is TicketKind.PROVIDED_CONFIG and provided.action is TicketAction.CONFIRM
    assert provided.group is Group.FOUNDATION
    assert {(m.key, m.provider) for m in provided.members} == {
        ("system.menu.main", "system"), ("system.menu.footer", "system"), ("image.style.thumbnail", "image"),
        ("views.view.frontpage", "node"), ("user.role.anonymous", "user"),
    }
    # What the spec adds to a shipped view is an Extend ticket of its own, keyed by the view.
    content = tickets["views.view.content"]
    assert content.action is TicketAction.EXTEND and content.provider == "node"
    assert not any(t.action is TicketAction.CREATE and t.key in PROVIDED for t in plan.tickets)
    assert plan.stats.shipped_creates == 0
    for new in ("system.menu.campaigns", "image.style.hero", "views.view.news", "user.role.editor"):
        assert tickets[new].action is TicketAction.CREATE
    assert_every_row_in_one_ticket(plan, 3 + 2 + 3 + 5 + 2)
    # The frontpage view's display rows are checked inside the confirmation ticket, with its own rows.
    assert any("Frontpage" in check for check in provided.checks)
    title, _, analysis, _ = written(provided)
    assert title == "Confirm and adjust the configuration Drupal provides (5 items)"
    assert "Main navigation (system.menu.main) — shipped by system" in analysis
    title, _, analysis, verification = written(content)
    assert title == 'Extend view "Content" (content) that Drupal provides: add 1 display'
    assert "Displays to add (the others ship with the view)\n- drafts" in analysis
    assert "What Drupal ships still works as before" in verification


def test_a_shipped_role_granted_permissions_is_extended_and_the_administrator_only_confirmed() -> None:
    roles = "Name,Machine name\nAdministrator,administrator\nAuthenticated user,authenticated\n"
    grid = ("Provider,Permission,Administrator,Authenticated user\n"
            "System,Use the administration pages and help,Administrator,\n"
            "Node,Access content,Administrator,Authenticated user\n")
    plan = plan_csv(user_roles=roles, permissions=grid)
    tickets = by_key(plan)
    assert tickets["user.role.authenticated"].action is TicketAction.EXTEND
    assert [m.key for m in tickets["foundation.provided"].members] == ["user.role.administrator"]
    title, *_ = written(tickets["user.role.authenticated"])
    assert title == 'Grant 1 permission to user role "Authenticated user" (authenticated) that Drupal provides'


def test_the_provided_table_names_the_file_that_ships_each_item() -> None:
    assert all(p.source.endswith(f"{p.key}.yml") for p in PROVIDED.values())
    assert {"views.view.watchdog", "views.view.redirect", "views.view.scheduler_scheduled_content",
            "image.style.media_library", "user.role.content_editor"} <= set(PROVIDED)


# ---- 5. cycles finish their work -----------------------------------------------------------------------

CYCLE_BUNDLES = "Name,Machine name,Type\nTrail guide,trail_guide,Content type\nGear review,gear_review,Content type\n"
CYCLE_FIELDS = (
    "Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget,Ref. bundle\n"
    "Trail guide (Content type),Summary,field_summary,Text (plain),,1,Textfield,\n"
    "Trail guide (Content type),Related gear,field_related_gear,Entity reference,,Unlimited,Autocomplete,"
    "Gear review (Content type)\n"
    "Gear review (Content type),Trail,field_trail,Entity reference,,1,Autocomplete,Trail guide (Content type)\n"
)


def test_a_deferred_reference_field_gets_a_follow_up_ticket_after_both_ends() -> None:
    plan = plan_csv(bundles=CYCLE_BUNDLES, fields=CYCLE_FIELDS)
    tickets = by_key(plan)
    guide, review = tickets["node.type.trail_guide"], tickets["node.type.gear_review"]
    follow_up = tickets["field.field.node.trail_guide.field_related_gear"]
    assert follow_up.kind is TicketKind.DEFERRED_FIELD
    assert {d.key for d in follow_up.depends_on} == {guide.key, review.key}
    assert follow_up.position > max(guide.position, review.position)
    # The first ticket no longer lists or checks the field; the follow-up checks it as a field of its bundle.
    assert [r.get("machine_name") for r in guide.rows[1:]] == ["field_summary"]
    assert not any("field_related_gear" in c for c in (*guide.checks, *guide.behat))
    assert any("field_related_gear" in c for c in (*follow_up.checks, *follow_up.behat))
    assert_every_row_in_one_ticket(plan, 2 + 3)
    title, story, analysis, _ = written(follow_up)
    assert title == ('Add field "Related gear" (field_related_gear) to Trail guide (Content type) '
                     "once Gear review exists")
    assert "dependency cycle" in story and "Why a ticket of its own" in analysis
    guide_title, *_ = written(guide)
    assert guide_title == 'Create content type "Trail guide" (trail_guide) with 1 field'


# ---- 6. row status ----------------------------------------------------------------------------------------


def test_changed_rows_make_an_update_and_deleted_ones_a_removal() -> None:
    bundles = ("Name,Machine name,X,Type\nArticle,article,x,Content type\nOld news,old_news,d,Content type\n"
               "Later,later,w,Content type\nBlog,blog,c,Content type\n")
    fields = ("Bundle,Field label,Machine name,X,Field type,Required,Cardinality,Form widget\n"
              "Article (Content type),Teaser,field_teaser,c,Text (plain),,1,Textfield\n"
              "Article (Content type),Body,body,x,Text (plain),,1,Textfield\n")
    menus = "Name,Machine name,X,Description\nRetired,retired,d,\n"
    plan = plan_csv(bundles=bundles, fields=fields, menus=menus)
    tickets = by_key(plan)
    assert "node.type.later" not in tickets  # waiting: nothing to do yet
    article = tickets["node.type.article"]
    assert article.action is TicketAction.UPDATE and [r.row for r in article.rows] == [2]
    assert tickets["node.type.blog"].action is TicketAction.UPDATE
    removal = tickets["node.type.old_news"]
    assert removal.action is TicketAction.REMOVE and removal.kind is TicketKind.BUNDLE
    assert tickets["system.menu.retired"].action is TicketAction.REMOVE
    title, _, analysis, _ = written(article)
    assert title == 'Update content type "Article" (article): 1 changed row'
    assert "fields.csv row 2 (fields): Teaser" in analysis
    title, story, analysis, verification = written(removal)
    assert title == 'Remove content type "Old news" (old_news)'
    assert "drush entity:delete <entity type> --bundle=old_news" in analysis
    assert "Remove old_news from the target bundles of every reference field" in analysis
    assert "Configuration this removes\n- node.type.old_news" in analysis
    assert "no longer exists" in verification and "nothing is left pointing at it" in story
    title, _, analysis, _ = written(tickets["system.menu.retired"])
    assert title == 'Remove menu "Retired" (retired)' and "Move the menu links that must stay" in analysis


def test_a_field_marked_deleted_on_a_bundle_that_stays_gets_its_own_removal_after_the_bundle() -> None:
    bundles = ("Name,Machine name,X,Type\nArticle,article,x,Content type\nEvent,event,a,Content type\n"
               "Old news,old_news,d,Content type\n")
    fields = ("Bundle,Field label,Machine name,X,Field type,Required,Cardinality,Form widget\n"
              "Article (Content type),Legacy code,field_legacy_code,d,Text (plain),,1,Textfield\n"
              "Event (Content type),Old date,field_old_date,d,Date,,1,Date\n"
              "Event (Content type),Venue,field_venue,a,Text (plain),,1,Textfield\n"
              "Old news (Content type),Byline,field_byline,d,Text (plain),,1,Textfield\n")
    plan = plan_csv(bundles=bundles, fields=fields)
    tickets = by_key(plan)
    legacy = tickets["field.field.node.article.field_legacy_code"]
    assert legacy.kind is TicketKind.FIELD and legacy.action is TicketAction.REMOVE
    assert [r.row for r in legacy.rows] == [2] and "node.type.article" not in tickets  # nothing else to build there
    old_date = tickets["field.field.node.event.field_old_date"]
    assert [d.key for d in old_date.depends_on if d.key.startswith("node.")] == ["node.type.event"]
    assert [r.row for r in tickets["node.type.event"].rows if r.file == "fields.csv"] == [4]  # not the removed one
    assert "field.field.node.old_news.field_byline" not in tickets  # the bundle's removal takes its fields along
    order = [t.key for t in plan.tickets]
    assert order.index("field.field.node.event.field_old_date") > order.index("node.type.event")
    title, story, analysis, verification = written(legacy)
    assert title == 'Remove field "Legacy code" (field_legacy_code) from Article (Content type)'
    assert "Remove field_legacy_code from the bundle's form and view displays" in analysis
    assert "Configuration this removes\n- field.field.node.article.field_legacy_code" in analysis
    assert "no longer exists" in verification and "removed" in story
    warning = next(p for p in plan.warnings if "X = d" in p.message and p.file == "fields.csv")
    assert "gets a Remove ticket" in warning.message and "skipped" not in warning.message


# ---- 7. foundation tickets -----------------------------------------------------------------------------

FOUNDATION_BUNDLES = ("Name,Machine name,Type\nA,a,Content type\nB,b,Content type\nC,c,Content type\n"
                      "D,d,Content type\n")


def foundation_fields(on: str, translatable: str = "") -> str:
    rows = ["Bundle,Field label,Machine name,Field type,Required,Cardinality,Form widget,Translatable"]
    rows += [f"{b} (Content type),Address,field_address,Address,,1,Address,{translatable}" for b in on]
    rows.append("D (Content type),Link,field_link,Link,,1,Link,")
    return "\n".join(rows) + "\n"


def test_modules_storages_languages_and_behat_are_foundation_tickets_at_the_root() -> None:
    plan = plan_csv(bundles=FOUNDATION_BUNDLES, fields=foundation_fields("ABC", "Translatable"))
    tickets = by_key(plan)
    modules, storages = tickets["core.extension"], tickets["foundation.field_storages"]
    languages, behat = tickets["foundation.languages"], tickets["foundation.behat"]
    assert modules.kind is TicketKind.MODULES and modules.depends_on == ()
    assert set(modules.modules) == {"address", "link", "language", "content_translation"}
    assert behat.depends_on == () and behat.kind is TicketKind.BEHAT_SETUP
    # Every ticket that needs a module depends on the modules ticket instead of enabling it itself.
    for key in ("node.type.a", "node.type.d", "foundation.field_storages", "foundation.languages"):
        assert "core.extension" in {d.key for d in tickets[key].depends_on}, key
    assert [m.key for m in storages.members] == ["field.storage.node.field_address"]
    for key in ("node.type.a", "node.type.b", "node.type.c"):
        assert "foundation.field_storages" in {d.key for d in tickets[key].depends_on}
        assert any("add only the field instance" in note for note in tickets[key].notes)
    assert "foundation.field_storages" not in {d.key for d in tickets["node.type.d"].depends_on}
    assert {m.key for m in languages.members} == {"node.type.a", "node.type.b", "node.type.c"}
    assert plan.stats.structural_edges == sum(len(t.depends_on) for t in plan.tickets)
    assert_every_row_in_one_ticket(plan, 4 + 4)
    title, _, analysis, verification = written(modules)
    assert title == "Add and enable the 4 modules this spec needs"
    assert "`composer require drupal/address`" in analysis
    assert "`drush en -y language content_translation address link`" in analysis
    assert "lists each of the 4 modules: language, content_translation, address, link" in verification  # one check
    _, _, analysis, _ = written(tickets["node.type.a"])
    assert "Modules it uses (added and enabled by ticket core.extension; enable nothing here)" in analysis
    title, _, analysis, _ = written(storages)
    assert title == "Create 1 shared field storage used on three or more bundles each"
    assert "field.storage.node.field_address" in analysis
    assert written(behat)[0] == "Set up Behat and the Drupal Spec Tool so that every ticket's checks can run"
    assert "acquia/drupal-spec-tool" in written(behat)[2]
    assert written(languages)[0] == "Set up languages and content translation for 3 bundles"


def test_no_languages_or_shared_storage_ticket_when_the_spec_needs_none() -> None:
    plan = plan_csv(bundles=FOUNDATION_BUNDLES, fields=foundation_fields("AB"))
    assert {t.key for t in plan.tickets if t.group is Group.FOUNDATION} == {"core.extension", "foundation.behat"}


# ---- 8. merged families --------------------------------------------------------------------------------

REGIONS = ("alaska", "albany", "boston", "bronx", "dayton", "erie", "fargo", "miami")
FAMILY_MENUS = "Name,Machine name,Description\n" + "".join(
    f"VA {r.title()} health care,va-{r}-health-care,\n" for r in REGIONS) + "".join(
    f"{t.title()} benefits hub,{t}-benefits-hub,\n" for t in ("pension", "records", "education")) + \
    "Documentation,documentation,\nSections,sections,\nMain navigation,main,\n"


def test_menus_past_the_threshold_merge_by_name_family_with_stable_keys() -> None:
    plan = plan_csv(menus=FAMILY_MENUS)
    tickets = by_key(plan)
    merged = {t.key: t for t in plan.tickets if t.kind is TicketKind.MERGED_FAMILY}
    assert set(merged) == {"merged.system.menu.va-health-care", "merged.system.menu.benefits-hub",
                           "merged.system.menu.other"}
    assert len(merged["merged.system.menu.va-health-care"].members) == 8
    assert [m.machine_name for m in merged["merged.system.menu.other"].members] == ["documentation", "sections"]
    assert [m.key for m in tickets["foundation.provided"].members] == ["system.menu.main"]  # shipped: confirmed
    assert_every_row_in_one_ticket(plan, 14)
    for ticket in merged.values():  # each member is checked as its own ticket would have been
        assert len(ticket.checks) == len(ticket.members)
    title, _, analysis, _ = written(merged["merged.system.menu.va-health-care"])
    assert title == "Create 8 menus: the VA … health care family"
    assert "VA Alaska health care (system.menu.va-alaska-health-care)" in analysis
    assert plan_csv(menus=FAMILY_MENUS).tickets == plan.tickets  # deterministic


def test_the_threshold_decides_and_zero_never_merges() -> None:
    def merged(options: PlanOptions | None) -> int:
        return sum(1 for t in plan_csv(options, menus=FAMILY_MENUS).tickets if t.kind is TicketKind.MERGED_FAMILY)

    assert merged(PlanOptions(merge_threshold=0)) == 0
    assert merged(PlanOptions(merge_threshold=13)) == 0  # 13 new menus: not more than 13
    assert merged(PlanOptions(merge_threshold=12)) == 3
    cache = PlanCache()
    files = [UploadedFile("menus.csv", FAMILY_MENUS.encode())]
    assert cache.plan(files, PlanOptions(merge_threshold=0)) != cache.plan(files)
    assert cache.plans_made == 2


def test_families_put_each_item_in_at_most_one_and_leave_a_single_straggler_alone() -> None:
    items = [(f"coh_{n}", n) for n in ("large", "medium", "small")] + [("original", "Original")]
    found = families(items)
    assert [(f.key, f.indexes) for f in found] == [("coh", (0, 1, 2))]


def test_the_merge_threshold_on_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "menus.csv"
    spec.write_text(FAMILY_MENUS)
    env = worker_env(f"sqlite:///{tmp_path / 'ticketbot.db'}", "redis://127.0.0.1:1/0", TICKETBOT_MERGE_THRESHOLD="0")

    def keys(*extra: str) -> list[str]:
        out = tmp_path / f"out{len(extra)}"
        result = subprocess.run([sys.executable, "-m", "bot.cli.main", "generate", str(spec), "--out", str(out), "-q",
                                 *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return [t["key"] for t in json.loads((out / "tickets.json").read_text())]

    assert not [k for k in keys() if k.startswith("merged.")]  # TICKETBOT_MERGE_THRESHOLD=0
    assert [k for k in keys("--merge-threshold", "5") if k.startswith("merged.")] == [
        "merged.system.menu.va-health-care", "merged.system.menu.benefits-hub", "merged.system.menu.other"]


# ---- the writers have words for every kind ----------------------------------------------------------------


def test_every_new_kind_and_action_is_written_by_both_writers_prompts() -> None:
    plan = plan_csv(bundles=FOUNDATION_BUNDLES, fields=foundation_fields("ABC", "Translatable"), menus=FAMILY_MENUS,
                    views=SHIPPED_VIEWS, view_displays=SHIPPED_DISPLAYS)
    kinds = {t.kind for t in plan.tickets}
    assert {TicketKind.MODULES, TicketKind.LANGUAGES, TicketKind.SHARED_FIELD_STORAGES, TicketKind.BEHAT_SETUP,
            TicketKind.MERGED_FAMILY, TicketKind.PROVIDED_CONFIG} <= kinds
    for ticket in plan.tickets:
        title, story, analysis, verification = written(ticket)
        assert title and story.startswith("As a ") and analysis and verification
        block = json.loads(data_block(ticket, SITE))
        assert block["entity"]["action"] == ticket.action.value
        assert len(block.get("members", [])) == len(ticket.members)
