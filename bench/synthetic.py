"""A synthetic spec N times the size of a real one: every entity copied with its own labels and ids."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from integrations.spec.sheets import recognise_sheet

# Columns whose text names an entity by label (possibly "Label (Type)" or a list of those).
LABEL_COLUMNS = {"name", "bundle", "view", "workflow", "image_style", "from_state", "to_state", "ref_bundle",
                 "migration", "destination_bundle", "bundles"}
TYPED = re.compile(r"^(?P<label>.*\S)\s*\((?P<type>[^()]+)\)$")


def _label(text: str, copy: int) -> str:
    if not text:
        return text
    parts = []
    for item in text.split(","):
        item = item.strip()
        match = TYPED.match(item)
        parts.append(f"{match['label']} {copy} ({match['type']})" if match else f"{item} {copy}")
    return ", ".join(parts)


def _machine(text: str, copy: int, separator: str = "_") -> str:
    suffix = f"{separator}{copy:03d}"
    return (text[: 32 - len(suffix)] + suffix) if text else text


def multiply(files: dict[str, bytes], copies: int) -> dict[str, bytes]:
    """Each sheet with its rows repeated `copies` times, labels and machine names made unique per copy."""
    result = {}
    for name, data in files.items():
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        match, _ = recognise_sheet(header, name)
        if match is None:
            continue
        column_of = {index: canonical for canonical, index in match.columns.items()}
        separator = "-" if match.sheet.kind.value == "menus" else "_"
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for copy in range(copies):
            for row in body:
                new = list(row)
                for index, cell in enumerate(row):
                    canonical = column_of.get(index)
                    if canonical == "machine_name":
                        new[index] = _machine(cell, copy, separator)
                    elif canonical in LABEL_COLUMNS:
                        new[index] = _label(cell, copy)
                writer.writerow(new)
        result[name] = out.getvalue().encode()
    return result


def load_dir(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.glob("*.csv"))}
