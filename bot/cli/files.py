"""The spec files a command was given: folders opened, every file read once, missing ones named."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jobs.planning import UploadedFile

SPEC_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


@dataclass
class CollectedFiles:
    files: list[UploadedFile] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)  # sha256 of each file, in order
    missing: list[str] = field(default_factory=list)  # "what: why" for paths that cannot be read
    duplicates: list[str] = field(default_factory=list)  # "path (why)" for files read once already

    def notice(self) -> str:
        """One line about the files given twice, or ''."""
        if not self.duplicates:
            return ""
        shown = ", ".join(self.duplicates[:5]) + (f" and {len(self.duplicates) - 5} more" if len(self.duplicates) > 5
                                                  else "")
        count = len(self.duplicates)
        return f"note: {count} file{'s' * (count != 1)} given twice, read once: {shown}"


def collect_files(paths: Sequence[Path]) -> CollectedFiles:
    """Every spec file of `paths`, each read once: the same path twice (a folder and a file in it,
    overlapping globs) or the same bytes under two names would otherwise make duplicate tickets."""
    collected = CollectedFiles()
    by_path: dict[Path, str] = {}
    by_hash: dict[str, str] = {}
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in SPEC_SUFFIXES and p.is_file())
            if not inside:
                collected.missing.append(f"{path}: the folder holds no spec files (.csv, .tsv, .txt or .xlsx)")
            candidates = inside
        elif path.is_file():
            candidates = [path]
        else:
            collected.missing.append(f"{path}: no such file or folder")
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved in by_path:
                collected.duplicates.append(f"{candidate} (the same file as {by_path[resolved]})")
                continue
            by_path[resolved] = str(candidate)
            try:
                data = candidate.read_bytes()
            except OSError as exc:
                collected.missing.append(f"{candidate}: {exc.strerror or exc}")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest in by_hash:
                collected.duplicates.append(f"{candidate} (the same content as {by_hash[digest]})")
                continue
            by_hash[digest] = str(candidate)
            collected.files.append(UploadedFile(candidate.name, data))
            collected.hashes.append(digest)
    return collected
