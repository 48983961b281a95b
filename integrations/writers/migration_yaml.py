"""A migrate_plus migration YAML skeleton built from the migration's spec rows."""

from __future__ import annotations

from collections.abc import Sequence

from integrations.spec.reader import SpecRow
from integrations.writers.drupal_knowledge import entity_type_id, one_line, split_list


def migration_skeleton(machine_name: str, label: str, own: SpecRow | None, mappings: Sequence[SpecRow]) -> str:
    """YAML a developer fills in: ids, source, process chain per mapping, destination, dependencies."""
    get = own.get if own else (lambda column: "")
    destination_type = one_line(get("destination_entity_type"))
    entity_type = entity_type_id(destination_type) or destination_type or "ENTITY_TYPE"
    source = one_line(get("source"))
    lines = [
        f"id: {_scalar(one_line(machine_name))}",
        f"label: {_scalar(one_line(label))}",
        "source:",
        f"  plugin: {_scalar(_source_plugin(source))}",
    ]
    if source:
        lines.append(f"  # spec: {source}")
    lines += ["  ids: {}  # TODO: the source's unique key", "process:"]
    for row in mappings:
        lines.extend(_process(row))
    if not mappings:
        lines.append("  {}  # no mappings in the spec")
    lines += ["destination:", f"  plugin: {_scalar('entity:' + entity_type)}"]
    if get("destination_bundle"):
        lines.append(f"  default_bundle: {_scalar(one_line(get('destination_bundle')))}")
    dependencies = split_list(get("dependencies"))
    lines.append("migration_dependencies:")
    if dependencies:
        lines.append("  required:")
        lines.extend(f"    - {_scalar(dependency)}" for dependency in dependencies)
    else:
        lines.append("  required: []")
    return "\n".join(lines)


def _source_plugin(source: str) -> str:
    low = source.lower()
    if "csv" in low:
        return "csv"
    if any(word in low for word in ("json", "xml", "url", "http")):
        return "url"
    return source.split()[0] if source else "TODO"


def _process(row: SpecRow) -> list[str]:
    destination = _scalar(one_line(row.get("destination_field")) or "TODO")
    source, process, default = (one_line(row.get(c)) for c in ("source_field", "process", "default_value"))
    steps: list[list[str]] = []
    if source:
        steps.append([f"plugin: {_scalar(process or 'get')}", f"source: {_scalar(source)}"])
    elif process:
        steps.append([f"plugin: {_scalar(process)}"])
    if default:
        steps.append(["plugin: default_value", f"default_value: {_scalar(default)}"])
    if not steps:
        return [f"  {destination}: TODO"]
    if len(steps) == 1 and steps[0][0] == "plugin: get" and not default:
        return [f"  {destination}: {_scalar(source)}"]
    lines = [f"  {destination}:"]
    for first, *rest in steps:
        lines.append(f"    - {first}")
        lines.extend(f"      {line}" for line in rest)
    return lines


def _scalar(text: str) -> str:
    """A YAML scalar, quoted when plain style could misread it."""
    plain = text and text[0].isalnum() and all(ch.isalnum() or ch in "_-./ " for ch in text)
    if plain and text.lower() not in {"yes", "no", "true", "false", "null", "on", "off", "~"} and text == text.strip():
        return text
    return "'" + text.replace("'", "''") + "'"
