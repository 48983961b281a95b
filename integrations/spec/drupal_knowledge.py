"""What planning and the writers need to know about Drupal: spec cell values, entity type ids, config names,
modules. One place for it, beside the spec reader (integrations/spec/drupal.py holds the bundle types)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from integrations.spec import drupal

# --- spec cell values --------------------------------------------------------------------------------

# The full sheet writes flags as y/n; the Behat tables write the column's word or leave it blank.
_YES = {"y", "yes", "true", "1", "x", "✓", "✔", "on", "enabled"}
_NO = {"", "n", "no", "false", "0", "-", "off", "optional", "disabled"}
_UNLIMITED = {"*", "unlimited", "-1", "∞"}


_BREAKING = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
                       r"\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]+")


def one_line(text: str) -> str:
    """Collapse every line break, tab, control and format character into single spaces."""
    if text.isprintable() and "  " not in text:  # the common cell: nothing to do, and cheap to tell
        return text.strip()
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return _BREAKING.sub(" ", cleaned).strip()


def is_yes(value: str) -> bool:
    return value.strip().lower() in _YES


def is_no(value: str) -> bool:
    low = value.strip().lower()
    return low in _NO or low.startswith("not ")


def flag(value: str, word: str) -> str:
    """A y/n or word/blank cell as Behat writes it: `word` or blank; an unrecognised value is kept."""
    if is_yes(value) or value.strip().lower() == word.lower():
        return word
    if is_no(value):
        return ""
    return value.strip()


def cardinality(value: str) -> str:
    """`Vals.`/`Cardinality` as Behat writes it: a number or `Unlimited`."""
    text = value.strip()
    if not text:
        return "1"  # what Drupal gives a new field when nobody says otherwise
    return "Unlimited" if text.lower() in _UNLIMITED else text


def view_status(value: str) -> str:
    """A new view is enabled unless the spec says otherwise."""
    if is_yes(value) or not value.strip():
        return "Enabled"
    return "Disabled" if is_no(value) else value.strip()


def split_list(value: str) -> list[str]:
    """A comma, semicolon or line separated cell as its items."""
    return [item.strip() for item in re.split(r"[,;\n]", value) if item.strip()]


# --- entity types and config names ---------------------------------------------------------------------


# Config name prefix of a bundle → its entity type, from the one table of bundle types (drupal.py).
_BUNDLE_CONFIG_PREFIXES = {f"{t.config_prefix}.": t.entity_type for t in drupal.BUNDLE_TYPES}

# DEG's field-group pseudo field types: rows that describe a field_group, not a field.
_FIELD_GROUP_TYPES = {
    "fieldset", "details", "details sidebar", "tab", "tabs", "horizontal tabs", "vertical tabs",
    "accordion", "accordion item", "html element", "field group",
}

CORE_ROLES = {"anonymous", "authenticated", "administrator"}


def entity_type_id(bundle_type_label: str) -> str | None:
    """`Content type` → `node`; None for a type the stock contexts do not know (a custom entity's bundle)."""
    known = drupal.bundle_type(one_line(bundle_type_label))
    return known.entity_type if known is not None else None


def entity_type_for(bundle_type_label: str, key: str) -> str:
    """The entity type id of a bundle, from its type label or else its config name."""
    known = entity_type_id(bundle_type_label)
    if known:
        return known
    for prefix, entity_type in _BUNDLE_CONFIG_PREFIXES.items():
        if key.startswith(prefix):
            return entity_type
    parts = key.split(".")
    if key.startswith("eck.eck_type.") and len(parts) > 3:  # ECK bundles: eck.eck_type.<entity type>.<bundle>
        return parts[2]
    return parts[0] or "ENTITY_TYPE"


# Where the bundle is created and where its fields are managed, per entity type.
BUNDLE_ADD_PATHS = {
    "node": "/admin/structure/types/add",
    "taxonomy_term": "/admin/structure/taxonomy/add",
    "media": "/admin/structure/media/add",
    "paragraph": "/admin/structure/paragraphs_type/add",
    "block_content": "/admin/structure/block-content/add",
}
FIELD_UI_PATHS = {
    "node": "/admin/structure/types/manage/{bundle}/fields",
    "taxonomy_term": "/admin/structure/taxonomy/manage/{bundle}/overview/fields",
    "media": "/admin/structure/media/manage/{bundle}/fields",
    "paragraph": "/admin/structure/paragraphs_type/{bundle}/fields",
    "block_content": "/admin/structure/block-content/manage/{bundle}/fields",
}


def machine_name_of(label: str) -> str:
    """The machine name Drupal's machine-name widget derives from a label."""
    return drupal.machine_name_from_label(label).strip("_")


def is_field_group(field_type: str, machine_name: str) -> bool:
    return field_type.strip().lower() in _FIELD_GROUP_TYPES or machine_name.startswith("group_")


def lower_first(label: str) -> str:
    """`Content type` → `content type`, but `ECK type` stays as written."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


# --- modules -------------------------------------------------------------------------------------------

MODULE_NAMES = {
    "address": "Address",
    "allow_only_one": "Allow Only One",
    "block_content": "Block Content",
    "comment": "Comment",
    "content_moderation": "Content Moderation",
    "content_translation": "Content Translation",
    "crop": "Crop API",
    "datetime": "Datetime",
    "datetime_range": "Datetime Range",
    "dblog": "Database Logging",
    "eck": "Entity Construction Kit (ECK)",
    "entity_browser": "Entity Browser",
    "entity_browser_table": "Entity Browser Table",
    "entity_field_fetch": "Entity Field Fetch",
    "entity_reference_revisions": "Entity Reference Revisions",
    "field_group": "Field Group",
    "file": "File",
    "focal_point": "Focal Point",
    "geofield": "Geofield",
    "geofield_map": "Geofield Map",
    "hms_field": "HMS Field",
    "ief_table_view_mode": "Inline Entity Form Table View Mode",
    "image": "Image",
    "image_widget_crop": "ImageWidgetCrop",
    "inline_entity_form": "Inline Entity Form",
    "language": "Language",
    "layout_builder": "Layout Builder",
    "link": "Link",
    "linkit": "Linkit",
    "markup": "Markup",
    "media": "Media",
    "media_library": "Media Library",
    "menu_ui": "Menu UI",
    "metatag": "Metatag",
    "migrate": "Migrate",
    "migrate_drupal": "Migrate Drupal",
    "migrate_plus": "Migrate Plus",
    "migrate_source_csv": "Migrate Source CSV",
    "migrate_tools": "Migrate Tools",
    "node": "Node",
    "office_hours": "Office Hours",
    "options": "Options",
    "panelizer": "Panelizer",
    "paragraphs": "Paragraphs",
    "paragraphs_browser": "Paragraphs Browser",
    "pathauto": "Pathauto",
    "rest": "RESTful Web Services",
    "scheduler": "Scheduler",
    "search_api": "Search API",
    "serialization": "Serialization",
    "smart_date": "Smart Date",
    "social_media_links_field": "Social Media Links Field",
    "tablefield": "TableField",
    "taxonomy": "Taxonomy",
    "telephone": "Telephone",
    "text": "Text",
    "textfield_counter": "Textfield Counter",
    "token": "Token",
    "tooltip_textfield": "Tooltip Textfield",
    "user": "User",
    "video_embed_field": "Video Embed Field",
    "viewfield": "Viewfield",
    "views": "Views",
    "views_data_export": "Views Data Export",
    "workflows": "Workflows",
}

CORE_MODULES = {
    "block_content", "comment", "content_moderation", "content_translation", "datetime", "datetime_range",
    "dblog", "file", "image", "language", "layout_builder", "link", "media", "media_library", "menu_ui",
    "migrate", "migrate_drupal", "node", "options", "rest", "serialization", "taxonomy", "telephone",
    "text", "user", "views", "workflows",
}

BUNDLE_TYPE_MODULES = {
    "node": ("node",),
    "taxonomy_term": ("taxonomy",),
    "media": ("media",),
    "paragraph": ("paragraphs", "entity_reference_revisions"),
    "block_content": ("block_content",),
}

# Who provides each field type and widget the specs write, by its lowercased label or machine id.
# "core" is Drupal core's own Field API (core/lib), which no module has to be enabled for; `text` is
# core's too and node depends on it. The real specs' every label is here (tests/test_module_coverage.py).
IN_CORE = "core"
_ALWAYS_ENABLED = frozenset({IN_CORE, "text"})
FIELD_TYPE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "address": ("address",), "address country": ("address",), "address zone": ("address",),
    "address_country": ("address",),
    "allow only one": ("allow_only_one",),
    "boolean": (IN_CORE,), "email": (IN_CORE,), "entity reference": (IN_CORE,), "entity_reference": (IN_CORE,),
    "number (decimal)": (IN_CORE,), "number (float)": (IN_CORE,), "number (integer)": (IN_CORE,),
    "decimal": (IN_CORE,), "float": (IN_CORE,), "integer": (IN_CORE,),
    "text (plain)": (IN_CORE,), "text (plain, long)": (IN_CORE,), "string": (IN_CORE,), "string_long": (IN_CORE,),
    "timestamp": (IN_CORE,),
    "text (formatted)": ("text",), "text (formatted, long)": ("text",),
    "text (formatted, long, with summary)": ("text",), "text": ("text",), "text_long": ("text",),
    "text_with_summary": ("text",),
    "comments": ("comment",),
    "date": ("datetime",), "datetime": ("datetime",),
    "date range": ("datetime_range",), "daterange": ("datetime_range",), "datetime_range": ("datetime_range",),
    "entity field fetch field": ("entity_field_fetch",),
    "entity reference revisions": ("entity_reference_revisions",),
    "entity_reference_revisions": ("entity_reference_revisions",),
    "paragraph": ("entity_reference_revisions", "paragraphs"),
    "paragraphs": ("entity_reference_revisions", "paragraphs"),
    "file": ("file",), "image": ("image",),
    "geofield": ("geofield",),
    "hours minutes and seconds": ("hms_field",),
    "layout section": ("layout_builder",), "layout_section": ("layout_builder",),
    "link": ("link",),
    "list (float)": ("options",), "list (integer)": ("options",), "list (text)": ("options",),
    "list_float": ("options",), "list_integer": ("options",), "list_string": ("options",),
    "markup": ("markup",),
    "meta tags": ("metatag",), "metatag": ("metatag",),
    "office hours": ("office_hours",), "office_hours": ("office_hours",),
    "panelizer": ("panelizer",),
    "smart date range": ("smart_date",), "smartdate": ("smart_date",),
    "social media links field": ("social_media_links_field",),
    "table field": ("tablefield",),
    "telephone number": ("telephone",), "telephone": ("telephone",),
    "video embed": ("video_embed_field",), "video_embed_field": ("video_embed_field",),
    "viewfield": ("viewfield",),
}
WIDGET_PROVIDERS: dict[str, tuple[str, ...]] = {
    "-- disabled --": (IN_CORE,), "hidden": (IN_CORE,),
    "address": ("address",), "address_default": ("address",),
    "allow only one widget": ("allow_only_one",),
    # The autocomplete, options, checkbox, number, e-mail, plain-text and timestamp widgets live in core/lib.
    "autocomplete": (IN_CORE,), "autocomplete (tags style)": (IN_CORE,),
    "entity_reference_autocomplete": (IN_CORE,), "entity_reference_autocomplete_tags": (IN_CORE,),
    "check boxes/radio buttons": (IN_CORE,), "options_buttons": (IN_CORE,),
    "select list": (IN_CORE,), "options_select": (IN_CORE,),
    "single on/off checkbox": (IN_CORE,), "boolean_checkbox": (IN_CORE,),
    "number field": (IN_CORE,), "number": (IN_CORE,), "email": (IN_CORE,), "email_default": (IN_CORE,),
    "datetime timestamp": (IN_CORE,), "datetime_timestamp": (IN_CORE,),
    "text field": (IN_CORE,), "textfield": (IN_CORE,), "string_textfield": (IN_CORE,),
    "text area (multiple rows)": (IN_CORE,), "string_textarea": (IN_CORE,),
    "text area with a summary": ("text",), "text_textarea_with_summary": ("text",), "text_textarea": ("text",),
    "text_textfield": ("text",),
    "date and time": ("datetime",), "datetime_default": ("datetime",),
    "date and time range": ("datetime_range",),
    "date and time range with timezone": ("smart_date",),  # smart_date's smartdate_timezone widget
    "smart date": ("smart_date",),
    "entity browser": ("entity_browser",),
    "entity browser - table": ("entity_browser_table", "entity_browser"),
    "entity field fetch widget": ("entity_field_fetch",),
    "file": ("file",), "file_generic": ("file",), "image": ("image",), "image_image": ("image",),
    "geofield map": ("geofield_map", "geofield"), "latitude/longitude": ("geofield",),
    "hour minutes and seconds": ("hms_field",),
    "image (focal point)": ("focal_point", "crop"),
    "imagewidget crop": ("image_widget_crop", "crop"), "image_widget_crop": ("image_widget_crop", "crop"),
    "inline entity form - complex": ("inline_entity_form",), "inline entity form - simple": ("inline_entity_form",),
    "inline entity form - complex - table view mode": ("inline_entity_form", "ief_table_view_mode"),
    "link": ("link",), "link_default": ("link",),
    "linkit": ("linkit",),
    "list with all available platforms": ("social_media_links_field",),
    "markup": ("markup",),
    "media library": ("media_library",), "media_library_widget": ("media_library",),
    "meta tags": ("metatag",), "advanced meta tags form": ("metatag",), "metatag_firehose": ("metatag",),
    "office hours (week)": ("office_hours",),
    "panelizer": ("panelizer",),
    "paragraphs (stable)": ("paragraphs",), "paragraphs classic": ("paragraphs",),
    "paragraphs legacy": ("paragraphs",), "paragraphs (experimental)": ("paragraphs",),
    "paragraphs": ("paragraphs",), "entity_reference_paragraphs": ("paragraphs",),
    "paragraphs browser experimental": ("paragraphs_browser", "paragraphs"),
    "table field": ("tablefield",),
    "telephone number": ("telephone",), "telephone_default": ("telephone",),
    "textfield with counter": ("textfield_counter",),
    "textarea (multiple rows) with counter": ("textfield_counter",),
    "textarea with a summary and counter": ("textfield_counter",),
    "tooltip textfield": ("tooltip_textfield",),
    "video textfield": ("video_embed_field",), "video_embed_field_textfield": ("video_embed_field",),
    "viewfield": ("viewfield",),
}

# For a label that is not in the tables above: matched against its start (field types, first match)
# or anywhere in it (widgets), so "Paragraphs (stable, nested)" still finds its module.
_FIELD_TYPE_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entity reference revisions", ("entity_reference_revisions",)),
    ("address", ("address",)),
    ("meta tags", ("metatag",)),
    ("geofield", ("geofield",)),
    ("telephone", ("telephone",)),
    ("link", ("link",)),
    ("date range", ("datetime_range",)),
    ("date", ("datetime",)),
    ("list (", ("options",)),
    ("image", ("image",)),
    ("file", ("file",)),
    ("comments", ("comment",)),
)

_WIDGET_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("media library", ("media_library",)),
    ("paragraphs", ("paragraphs",)),
    ("focal point", ("focal_point", "crop")),
    ("image crop", ("image_widget_crop", "crop")),
    ("entity browser", ("entity_browser",)),
    ("inline entity form", ("inline_entity_form",)),
    ("counter", ("textfield_counter",)),
    ("latitude/longitude", ("geofield",)),
    ("geofield", ("geofield",)),
    ("meta tags", ("metatag",)),
)

_VIEW_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("index ", ("search_api",)),
    ("data export", ("views_data_export",)),
    ("rest export", ("rest", "serialization")),
    ("entity browser", ("entity_browser",)),
    ("log entries", ("dblog",)),
    ("media", ("media",)),
    ("custom block", ("block_content",)),
    ("comment", ("comment",)),
)

_EFFECT_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("focal point", ("focal_point", "crop")),
    ("manual crop", ("crop",)),
)


def _lookup(table: tuple[tuple[str, tuple[str, ...]], ...], text: str, *, first: bool) -> list[str]:
    low = text.strip().lower()
    found: list[str] = []
    for needle, modules in table:
        if (low.startswith(needle) if first else needle in low):
            found.extend(modules)
            if first:
                break
    return found


def field_type_providers(field_type: str) -> tuple[str, ...]:
    """The modules that provide a field type label (IN_CORE for core's own), empty when unknown."""
    low = " ".join(field_type.lower().split())
    return FIELD_TYPE_PROVIDERS.get(low) or tuple(_lookup(_FIELD_TYPE_MODULES, low, first=True))


def widget_providers(widget: str) -> tuple[str, ...]:
    """The modules that provide a form widget label (IN_CORE for core's own), empty when unknown."""
    low = " ".join(widget.lower().split())
    return WIDGET_PROVIDERS.get(low) or tuple(_lookup(_WIDGET_MODULES, low, first=False))


def field_modules(field_type: str, widget: str, ref_bundle: str) -> list[str]:
    """Contributed or optional core modules a field of this type and widget needs."""
    modules = [m for m in field_type_providers(field_type) if m not in _ALWAYS_ENABLED]
    if "entity_reference_revisions" in modules and "paragraphs" not in modules and (
        "paragraph" in (widget + ref_bundle).lower() or not ref_bundle.strip()
    ):
        modules.append("paragraphs")
    if "(media type)" in ref_bundle.lower():
        modules.append("media")
    return modules + [m for m in widget_providers(widget) if m not in _ALWAYS_ENABLED]


def view_modules(base_table: str, display_plugins: Iterable[str]) -> list[str]:
    modules = ["views", *_lookup(_VIEW_MODULES, base_table, first=True)]
    for plugin in display_plugins:
        modules.extend(_lookup(_VIEW_MODULES, plugin, first=True))
    return modules


def effect_modules(effect: str) -> list[str]:
    return ["image", *_lookup(_EFFECT_MODULES, effect, first=True)]


def migration_modules(source: str) -> list[str]:
    modules = ["migrate", "migrate_plus", "migrate_tools"]
    low = source.lower()
    if "csv" in low:
        modules.append("migrate_source_csv")
    if re.search(r"\bd[67]_|drupal [67]", low):
        modules.append("migrate_drupal")
    return modules


def describe_modules(modules: Iterable[str]) -> list[str]:
    """`Paragraphs (paragraphs)`, `Link (link, core)`: each module once, in first-mentioned order."""
    seen: list[str] = []
    for module in modules:
        if module not in seen:
            seen.append(module)
    lines = []
    for module in seen:
        where = f"{module}, core" if module in CORE_MODULES else module
        lines.append(f"{MODULE_NAMES.get(module, module)} ({where})")
    return lines
