"""A brief survives storage as JSON, and briefs stored before a field existed still read back."""

from __future__ import annotations

import json

from integrations.spec.reader import SpecRow
from integrations.spec.sheets import SheetKind
from integrations.tickets import (
    Dependency,
    Group,
    PlanStats,
    SourceRef,
    TicketAction,
    TicketBrief,
    TicketKind,
    TicketMember,
    brief_from_dict,
    brief_to_dict,
)


def _merged_brief() -> TicketBrief:
    rows = (
        SpecRow("menus.csv", 2, SheetKind.MENUS, {"name": "Main navigation", "machine_name": "main"}),
        SpecRow("menus.csv", 3, SheetKind.MENUS, {"name": "Footer", "machine_name": "footer"}),
    )
    return TicketBrief(
        key="foundation.provided", group=Group.FOUNDATION, kind=TicketKind.PROVIDED_CONFIG,
        label="Configuration Drupal provides", machine_name="provided", entity_type_label="Provided configuration",
        rows=rows,
        depends_on=(Dependency("core.extension", "Modules", "enables the modules", inferred=""),
                    Dependency("taxonomy.vocabulary.tags", "Tags", "field field_tags references Tags",
                               inferred="the field name field_tags")),
        position=2, action=TicketAction.CONFIRM, modules=("menu_ui",),
        members=(
            TicketMember("system.menu.main", TicketKind.MENU, "Main navigation", "main", "Menu",
                         (SourceRef("menus.csv", 2),), TicketAction.CONFIRM, "system"),
            TicketMember("system.menu.footer", TicketKind.MENU, "Footer", "footer", "Menu",
                         (SourceRef("menus.csv", 3),), TicketAction.CONFIRM, "system"),
        ),
        provider="system",
    )


def test_a_brief_with_every_new_field_round_trips_through_json() -> None:
    brief = _merged_brief()
    stored = json.loads(json.dumps(brief_to_dict(brief)))
    assert brief_from_dict(stored) == brief
    assert stored["action"] == "confirm"
    assert stored["members"][1]["sources"] == [{"file": "menus.csv", "row": 3}]
    assert stored["depends_on"][1]["inferred"] == "the field name field_tags"


def test_a_brief_stored_before_actions_members_and_inference_still_reads() -> None:
    old = brief_to_dict(_merged_brief())
    for name in ("action", "modules", "members", "provider"):
        del old[name]
    for dep in old["depends_on"]:
        del dep["inferred"]
    brief = brief_from_dict(old)
    assert brief.action is TicketAction.CREATE
    assert brief.modules == () and brief.members == () and brief.provider == ""
    assert not any(d.is_inferred for d in brief.depends_on)


def test_only_an_edge_with_an_inference_reason_counts_as_inferred() -> None:
    assert Dependency("a", "A", "why").is_inferred is False
    assert Dependency("a", "A", "why", inferred="the widget Media library").is_inferred is True


def test_plan_stats_line_names_counts_and_the_columns_that_would_help() -> None:
    stats = PlanStats(stated_edges=3, inferred_edges=2,
                      missing_columns=("fields: Ref. bundle — 4 reference fields name no target",))
    assert stats.summary_line() == (
        "Dependencies: 3 stated, 2 inferred; to make the order certain add "
        "fields: Ref. bundle — 4 reference fields name no target."
    )
    assert PlanStats().summary_line() == "Dependencies: 0 stated, 0 inferred."
