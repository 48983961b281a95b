"""Drupal's build order by kind: how the topological sort breaks ties when no edge decides.

Drupal configuration names what it depends on, and can only be imported (or built by hand) after it.
Read the ranks below top to bottom as "built before"; the reason is the dependency Drupal records:

0. Foundation tickets (modules, Behat set-up, languages, what Drupal provides, shared field storages):
   every later ticket enables, tests, translates, confirms or attaches to what they set up.
1. Things that depend on nothing: menus (a content type's menu settings and a view's menu tab name
   them), image styles (image formatters name them), custom entity types, then vocabularies, media types
   and custom block types (reference fields name them as targets; media and block types may carry tags,
   so vocabularies first).
2. Paragraph types: their fields reference vocabularies and media types; content types reference them.
3. Content types and fields on users or on bundles that exist: they reference everything above.
4. Fields left out of a dependency cycle: both ends of the reference must exist.
5. Workflows: a content-moderation workflow lists the bundles it moderates.
6. Roles: permissions name bundles ("Article: Create new content") and workflow transitions.
7. Views: a view's filters name bundles, its access names roles, its menu tab names a menu.
8. Migrations: they write into bundles, fields and moderation states.
9. Removals: what the spec marks to delete goes once what replaces it exists.

Only ties are decided here: a stated or inferred edge always wins. Groups (Content, Media, Views …)
stay the epics and the display grouping; within one rank they, then spec order, decide.
"""

from __future__ import annotations

from integrations.tickets import TicketAction, TicketKind

FOUNDATION = 0
LEAF = 10  # menus, image styles, custom entity types
VOCABULARY = 11
MEDIA_TYPE = 12
BLOCK_TYPE = 13
PARAGRAPH_TYPE = 20
CONTENT = 30  # content types, ECK bundles, fields on users and on bundles that exist
DEFERRED_FIELD = 40
WORKFLOW = 50
ROLE = 60
VIEW = 70
MIGRATION = 80
REMOVAL = 90

_FOUNDATION_KINDS = (TicketKind.MODULES, TicketKind.BEHAT_SETUP, TicketKind.LANGUAGES, TicketKind.PROVIDED_CONFIG,
                     TicketKind.SHARED_FIELD_STORAGES)
# Within the foundation: modules first (everything needs them), storages last (they need field modules).
_FOUNDATION_ORDER = {kind: FOUNDATION + index for index, kind in enumerate(_FOUNDATION_KINDS)}

# A ticket's key is the config name of what it builds, so its prefix says the entity type.
_PREFIX_RANKS = (
    ("system.menu.", LEAF),
    ("image.style.", LEAF),
    ("eck.eck_entity_type.", LEAF),
    ("taxonomy.vocabulary.", VOCABULARY),
    ("media.type.", MEDIA_TYPE),
    ("block_content.type.", BLOCK_TYPE),
    ("paragraphs.paragraphs_type.", PARAGRAPH_TYPE),
    ("field.field.", DEFERRED_FIELD),
    ("workflows.workflow.", WORKFLOW),
    ("user.role.", ROLE),
    ("views.view.", VIEW),
    ("migrate_plus.migration.", MIGRATION),
)
_KIND_RANKS = {
    TicketKind.MENU: LEAF,
    TicketKind.IMAGE_STYLE: LEAF,
    TicketKind.CUSTOM_ENTITY: LEAF,
    TicketKind.DEFERRED_FIELD: DEFERRED_FIELD,
    TicketKind.WORKFLOW: WORKFLOW,
    TicketKind.ROLE: ROLE,
    TicketKind.VIEW: VIEW,
    TicketKind.MIGRATION: MIGRATION,
}


def rank(kind: TicketKind, key: str, action: TicketAction = TicketAction.CREATE) -> int:
    """Where a ticket of `kind` building config `key` goes among tickets no edge orders (lower first).

    Bundles and merged families are ranked by their key's config prefix (a merged family's key is
    `merged.<its members' prefix>.<family>`), everything else by its kind.
    """
    if action is TicketAction.REMOVE:
        return REMOVAL
    if kind in _FOUNDATION_ORDER:
        return _FOUNDATION_ORDER[kind]
    if kind in _KIND_RANKS:
        return _KIND_RANKS[kind]
    config = key.removeprefix("merged.")
    return next((r for prefix, r in _PREFIX_RANKS if config.startswith(prefix)), CONTENT)
