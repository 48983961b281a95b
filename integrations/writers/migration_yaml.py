"""A migrate_plus migration YAML made from the migration's spec rows: valid YAML, real plugin ids.

The spec's Process column is read as a process plugin id with its arguments in brackets —
`migration_lookup (legacy_trail_regions)`, `static_map (1: Easy, 2: Moderate)`, `callback (…)` — and
written with the arguments as that plugin's keys. The source is a real source plugin chosen from the
Source column (`d7_node` with `node_type`, `d7_taxonomy_term`, `csv` with `path` and `ids`, `url` with
its fetcher and parser) or a TODO the developer cannot miss. Anything the spec does not decide is a
`TODO` value or comment, never an invented setting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from integrations.spec.drupal_knowledge import entity_type_id, one_line, split_list
from integrations.spec.reader import SpecRow

# Process plugins of core Migrate and Migrate Plus the YAML may name (tests hold it to these).
PROCESS_PLUGINS = frozenset({
    "get", "default_value", "migration_lookup", "static_map", "callback", "concat", "explode", "extract",
    "flatten", "format_date", "skip_on_empty", "skip_on_value", "skip_row_if_not_set", "sub_process",
    "substr", "make_unique_entity_field", "machine_name", "file_copy", "download", "log", "route",
    "urlencode", "null_coalesce", "entity_lookup", "entity_generate", "str_replace", "dom", "skip_on_condition",
    "transliteration", "array_build", "single_value", "multiple_values", "file_import", "image_import",
})
SOURCE_PLUGINS = frozenset({
    "d7_node", "d7_taxonomy_term", "d7_user", "d7_file", "d6_node", "d6_taxonomy_term", "csv", "url",
    "embedded_data", "d7_paragraphs_item", "d7_field_collection_item", "TODO",
})
_ARGUMENTS = re.compile(r"^(?P<plugin>[a-z_][a-z0-9_]*)\s*(?:\((?P<args>.*)\))?\s*$", re.S)
_D7_NODE_TYPE = re.compile(r"node type[s]?\s*:?\s*([a-z0-9_]+)", re.I)
_VOCABULARY = re.compile(r"vocabulary\s*:?\s*([a-z0-9_]+)", re.I)
_CSV_PATH = re.compile(r"([\w./-]+\.csv)\b", re.I)
_URL = re.compile(r"https?://\S+")
_FORMAT = re.compile(r"\bformat\s+(?:becomes|is|to|=|:)?\s*([a-z][a-z0-9_]*)", re.I)
_DRAFTS = re.compile(r"drafts?\s+(?:are|is)\s+not\s+migrated|only\s+published|unpublished\s+\w+\s+(?:are|is)\s+"
                     r"not\s+migrated", re.I)
_UNIQUE = re.compile(r"\bunique\b|\bid\b|\bkey\b", re.I)
_FILE_FIELD = re.compile(r"(image|photo|file|document|attachment|pdf|media|map_file)", re.I)


def source_plugin(source: str) -> str:
    """The source plugin id the Source column implies, or TODO."""
    low = source.lower()
    if re.search(r"\bd7_\w+|drupal 7", low):
        if "term" in low or "vocabular" in low or "taxonomy" in low:
            return "d7_taxonomy_term"
        if "user" in low:
            return "d7_user"
        if "file" in low:
            return "d7_file"
        return "d7_node"
    if re.search(r"\bd6_\w+|drupal 6", low):
        return "d6_taxonomy_term" if "term" in low or "vocabular" in low else "d6_node"
    if "csv" in low:
        return "csv"
    if any(word in low for word in ("json", "xml", "url", "http", "api", "feed")):
        return "url"
    return "TODO"


def skips_drafts(texts: Sequence[str]) -> bool:
    return any(_DRAFTS.search(text) for text in texts)


def migration_yaml(machine_name: str, label: str, own: SpecRow | None, mappings: Sequence[SpecRow]) -> str:
    """YAML a developer completes: id, label, source, process per mapping, destination, dependencies."""
    get = own.get if own else (lambda column: "")
    destination_type = one_line(get("destination_entity_type"))
    entity_type = entity_type_id(destination_type) or destination_type or "TODO"
    source = one_line(get("source"))
    plugin = source_plugin(source)
    lines = [
        f"id: {_scalar(one_line(machine_name))}",
        f"label: {_scalar(one_line(label))}",
        "migration_group: TODO  # optional: a migrate_plus.migration_group shared by related migrations",
        "source:",
        f"  plugin: {plugin}" + ("  # TODO: the spec's Source names no known source plugin" if plugin == "TODO"
                                 else ""),
    ]
    if source:
        lines.append(f"  # spec: {_comment(source)}")
    lines += _source_settings(plugin, source, own, mappings)
    lines.append("process:")
    for row in mappings:
        lines.extend(_process(row))
    if skips_drafts([get("notes"), get("description"), source]) and plugin.startswith("d"):
        lines += ["  _skip_drafts:  # the spec: drafts are not migrated",
                  "    - plugin: skip_on_value", "      source: status", "      method: row", "      value: 0"]
    if not mappings:
        lines.append("  {}  # TODO: no mappings in the spec")
    lines += ["destination:", f"  plugin: {_scalar('entity:' + entity_type)}"]
    if get("destination_bundle"):
        lines.append(f"  default_bundle: {_scalar(one_line(get('destination_bundle')))}")
    dependencies = split_list(get("dependencies"))
    lines.append("migration_dependencies:")
    lines.append("  required:" + ("" if dependencies else " []"))
    lines.extend(f"    - {_scalar(dependency)}" for dependency in dependencies)
    return "\n".join(lines)


def file_fields(mappings: Sequence[SpecRow]) -> list[str]:
    """Destination fields that look like file or image fields: they need a file migration first."""
    return [one_line(r.get("destination_field")) for r in mappings
            if _FILE_FIELD.search(r.get("destination_field")) and not r.get("process").startswith("migration_lookup")]


def _source_settings(plugin: str, source: str, own: SpecRow | None, mappings: Sequence[SpecRow]) -> list[str]:
    if plugin in ("d7_node", "d6_node"):
        node_type = _D7_NODE_TYPE.search(source)
        return [f"  node_type: {_scalar(node_type.group(1)) if node_type else 'TODO'}",
                "  # ids come from the source plugin (nid); the legacy database is the `migrate` connection"]
    if plugin in ("d7_taxonomy_term", "d6_taxonomy_term"):
        vocabulary = _VOCABULARY.search(source)
        return [f"  bundle: {_scalar(vocabulary.group(1)) if vocabulary else 'TODO'}"]
    if plugin in ("d7_user", "d7_file"):
        return []
    sources = [one_line(r.get("source_field")) for r in mappings if r.get("source_field")]
    keyed = [one_line(r.get("source_field")) for r in mappings
             if r.get("source_field") and _UNIQUE.search(r.get("notes") + " " + r.get("source_field"))]
    key = keyed[0] if keyed else ""
    ids = [f"  ids: [{_scalar(key)}]" + ("" if keyed else "  # TODO: the source's unique column")] if key else [
        "  ids: [TODO]  # the source's unique column"]
    if plugin == "csv":
        path = _CSV_PATH.search(source)
        return [f"  path: {_scalar('private://migrate/' + path.group(1)) if path else 'TODO'}",
                "  header_offset: 0", *ids]
    if plugin == "url":
        url = _URL.search(source)
        return ["  data_fetcher_plugin: http", "  data_parser_plugin: json  # TODO: or xml",
                f"  urls: [{_scalar(url.group(0)) if url else 'TODO'}]", "  item_selector: TODO",
                "  fields:", *(f"    - name: {_scalar(s)}\n      selector: {_scalar(s)}" for s in sources), *ids]
    return ["  # TODO: choose the source plugin and its settings", *ids]


def _process(row: SpecRow) -> list[str]:
    destination = _scalar(one_line(row.get("destination_field")) or "TODO")
    source, process, default = (one_line(row.get(c)) for c in ("source_field", "process", "default_value"))
    notes = one_line(row.get("notes"))
    parsed = _ARGUMENTS.match(process) if process else None
    plugin = parsed["plugin"] if parsed else ("get" if source else "")
    arguments = one_line(parsed["args"] or "") if parsed else ""
    comment = f"  # spec: {_comment(notes)}" if notes else ""
    if process and not parsed:
        comment = f"  # TODO: spec process {_comment(process)!s}"
        plugin = "get" if source else "default_value"
    if plugin and plugin not in PROCESS_PLUGINS:
        comment = f"  # TODO: {plugin} is not a core or Migrate Plus process plugin"
        plugin = "callback"
        arguments = ""
    step: list[str] = []
    if plugin == "get" and not default:
        lines = [f"  {destination}: {_scalar(source)}{comment}"]
        return lines + _format(destination, notes)
    if plugin == "get" or (not plugin and default):
        if source:
            step = ["plugin: get", f"source: {_scalar(source)}"]
        else:
            step = ["plugin: default_value", f"default_value: {_scalar(default)}"]
            default = ""
    elif plugin == "migration_lookup":
        step = ["plugin: migration_lookup", f"migration: {_scalar(arguments) if arguments else 'TODO'}"]
        step.append(f"source: {_scalar(source) if source else 'TODO'}")
    elif plugin == "static_map":
        step = ["plugin: static_map", f"source: {_scalar(source) if source else 'TODO'}", "map:"]
        pairs = [item.split(":", 1) for item in split_list(arguments) if ":" in item]
        step += [f"  {_scalar(k.strip())}: {_scalar(v.strip())}" for k, v in pairs] or ["  TODO: TODO"]
        if default:
            step.append(f"default_value: {_scalar(default)}")
            default = ""
    elif plugin == "callback":
        step = ["plugin: callback", f"callable: TODO  # {_comment(arguments or 'the function to call')}",
                f"source: {_scalar(source) if source else 'TODO'}"]
    elif plugin == "default_value":
        step = ["plugin: default_value", f"default_value: {_scalar(default or arguments or 'TODO')}"]
        default = ""
    else:
        step = [f"plugin: {plugin}", f"source: {_scalar(source) if source else 'TODO'}"]
        if arguments:
            step.append(f"# TODO: spec arguments {_comment(arguments)}")
    steps = [step]
    if default:
        steps.append(["plugin: default_value", f"default_value: {_scalar(default)}"])
    lines = [f"  {destination}:{comment}"]
    for first, *rest in steps:
        lines.append(f"    - {first}")
        lines.extend(f"      {line}" for line in rest)
    return lines + _format(destination, notes)


def _format(destination: str, notes: str) -> list[str]:
    """A text field whose notes name a text format gets the format as its own sub-property."""
    found = _FORMAT.search(notes)
    if not found or "/" in destination:
        return []
    return [f"  {destination}/format:", "    plugin: default_value", f"    default_value: {_scalar(found.group(1))}"]


def _comment(text: str) -> str:
    return one_line(text).replace("#", "")


def _scalar(text: str) -> str:
    """A YAML scalar, quoted when plain style could misread it."""
    plain = text and text[0].isalnum() and all(ch.isalnum() or ch in "_-./ " for ch in text)
    if plain and text.lower() not in {"yes", "no", "true", "false", "null", "on", "off", "~", "y", "n"} \
            and text == text.strip() and not text.replace(".", "").isdigit():
        return text
    return "'" + text.replace("'", "''") + "'"
