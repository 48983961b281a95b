"""What Drupal calls things: bundle entity types, field types, widgets, plugins, and machine names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class BundleType:
    """A bundle entity type as the spec names it, with the ids Drupal uses for it."""

    label: str  # as the Drupal Spec Tool writes it: "Content type"
    entity_type: str  # the content entity the bundles belong to: node
    config_prefix: str  # config name prefix of one bundle: node.type

    def key(self, machine_name: str) -> str:
        return f"{self.config_prefix}.{machine_name}"


CONTENT_TYPE = BundleType("Content type", "node", "node.type")
VOCABULARY = BundleType("Vocabulary", "taxonomy_term", "taxonomy.vocabulary")
MEDIA_TYPE = BundleType("Media type", "media", "media.type")
PARAGRAPH_TYPE = BundleType("Paragraph type", "paragraph", "paragraphs.paragraphs_type")
BLOCK_TYPE = BundleType("Custom block type", "block_content", "block_content.type")
# User accounts have one bundle, "user", that always exists; its key names entity type and bundle.
USER_ACCOUNT = BundleType("User account", "user", "user")
USER_NAMES = {"user", "users", "user account", "user accounts", "account"}
BUNDLE_TYPES = (CONTENT_TYPE, VOCABULARY, MEDIA_TYPE, PARAGRAPH_TYPE, BLOCK_TYPE)  # those with config of their own

_BUNDLE_TYPE_NAMES: dict[str, BundleType] = {}
for _type, _names in (
    (CONTENT_TYPE, ("content type", "content types", "content", "node", "node type")),
    (VOCABULARY, ("vocabulary", "vocabularies", "taxonomy", "taxonomy vocabulary", "taxonomy_term", "taxonomy term")),
    (MEDIA_TYPE, ("media type", "media types", "media")),
    (PARAGRAPH_TYPE, ("paragraph type", "paragraph types", "paragraph", "paragraphs type", "paragraphs")),
    (USER_ACCOUNT, ("user account", "user")),
    (BLOCK_TYPE, ("custom block type", "block type", "block types", "custom block", "block_content",
                  "block content type")),
):
    for _name in _names:
        _BUNDLE_TYPE_NAMES[_name] = _type


def bundle_type(name: str) -> BundleType | None:
    """The bundle type a spec cell names ('Content type', 'Vocabulary', 'node' …), if known."""
    return _BUNDLE_TYPE_NAMES.get(re.sub(r"\s+", " ", name.strip().lower()))


def custom_bundle_type(name: str) -> BundleType:
    """A bundle type the spec names that is none of Drupal core's: a custom (e.g. ECK) entity type."""
    entity = machine_name_from_label(re.sub(r"\btype\b", "", name, flags=re.I)) or "custom_entity"
    return BundleType(name.strip(), entity, f"eck.eck_type.{entity}")


def machine_name_from_label(label: str, max_length: int | None = None) -> str:
    """Derive a machine name as Drupal's machine-name widget does: transliterate, lowercase, runs → '_'."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9_]+", "_", ascii_text.lower().strip())
    return name[:max_length] if max_length else name


MACHINE_NAME = re.compile(r"^[a-z0-9_]+$")
MENU_MACHINE_NAME = re.compile(r"^[a-z0-9-]+$")
BUNDLE_MAX = 32  # bundles and fields; Drupal's machine-name maxlength

# Entity types without bundles that a reference field may target.
BUNDLELESS_TARGETS = {"user", "users", "file", "files", "content", "any", "taxonomy term", "media", "node"}

# Base fields a migration may map to without them being in the fields sheet.
BASE_FIELDS = {
    "title", "status", "uid", "created", "changed", "langcode", "path", "promote", "sticky", "name",
    "description", "weight", "parent", "moderation_state", "revision_log", "revision_uid", "type",
    "nid", "tid", "mid", "id", "info", "mail", "pass", "roles", "timezone", "thumbnail", "default_langcode",
}

FIELD_TYPES = {
    # core, as the field UI labels them
    "boolean", "comments", "date", "date range", "email", "entity reference", "file", "image", "link",
    "list (float)", "list (integer)", "list (text)", "number (decimal)", "number (float)", "number (integer)",
    "telephone number", "text (formatted)", "text (formatted, long)", "text (formatted, long, with summary)",
    "text (plain)", "text (plain, long)", "timestamp", "layout section",
    # common contrib
    "address", "address country", "address zone", "entity reference revisions", "geofield", "meta tags",
    "office hours", "smart date range", "viewfield", "video embed", "markup", "table field", "allow only one",
    "entity field fetch field", "hours minutes and seconds", "social media links field", "paragraph",
    "paragraphs", "color", "name", "json", "yaml", "key/value", "daterange", "datetime",
    # field-group pseudo types (DEG)
    "fieldset", "details", "tab", "tabs", "accordion", "accordion item", "html element",
    # machine ids
    "string", "string_long", "text", "text_long", "text_with_summary", "integer", "decimal", "float",
    "list_string", "list_integer", "list_float", "entity_reference", "entity_reference_revisions", "metatag",
    "telephone", "address_country", "video_embed_field", "panelizer", "datetime_range", "smartdate",
    "office_hours", "layout_section",
}

FORM_WIDGETS = {
    "-- disabled --", "hidden", "address", "autocomplete", "autocomplete (tags style)", "check boxes/radio buttons",
    "date and time", "date and time range", "date and time range with timezone", "datetime timestamp", "email",
    "entity browser", "entity browser - table", "file", "image", "image (focal point)", "imagewidget crop",
    "inline entity form - complex", "inline entity form - simple", "latitude/longitude", "link", "linkit",
    "media library", "number field", "paragraphs (stable)", "paragraphs classic", "paragraphs legacy",
    "paragraphs (experimental)", "paragraphs browser experimental", "select list", "single on/off checkbox",
    "telephone number", "text area (multiple rows)", "text area with a summary", "text field", "textfield",
    "textfield with counter", "textarea (multiple rows) with counter", "textarea with a summary and counter",
    "office hours (week)", "markup", "table field", "viewfield", "video textfield", "geofield map",
    "allow only one widget", "entity field fetch widget", "hour minutes and seconds", "tooltip textfield",
    "smart date", "color", "meta tags", "advanced meta tags form", "list with all available platforms",
    "inline entity form - complex - table view mode",
    # machine ids
    "string_textfield", "string_textarea", "text_textarea", "text_textarea_with_summary", "text_textfield",
    "boolean_checkbox", "options_select", "options_buttons", "entity_reference_autocomplete",
    "entity_reference_autocomplete_tags", "media_library_widget", "datetime_default", "datetime_timestamp",
    "image_image", "image_widget_crop", "file_generic", "link_default", "number", "email_default",
    "telephone_default", "metatag_firehose", "panelizer", "video_embed_field_textfield", "paragraphs",
    "entity_reference_paragraphs", "address_default",
}

VIEW_DISPLAY_PLUGINS = {
    "default", "master", "page", "block", "feed", "attachment", "entity reference", "data export",
    "rest export", "entity browser", "embed", "eva",
}

IMAGE_EFFECTS = {
    "scale", "scale and crop", "resize", "crop", "manual crop", "focal point scale and crop",
    "focal point crop", "convert", "desaturate", "rotate", "automatic crop", "scale and crop (focal point)",
}

YES = {"y", "yes", "x", "true", "1", "required", "translatable", "✓", "✔"}
NO = {"", "n", "no", "false", "0", "-"}
UNLIMITED = {"unlimited", "*", "-1", "∞"}
