"""A ticket's Behat steps as one feature scenario, kept apart from steps that compare the whole site.

A Drupal Spec Tool step without a bundle filter ("Then exactly the following views should exist")
compares every view of the site, so it can only pass once every ticket of its group is done: such
steps are not the ticket's to check. They are handed to the site-wide feature (the Behat set-up
ticket) with this ticket's rows, and the ticket's own scenario holds only the steps scoped to it.
"""

from __future__ import annotations

from collections.abc import Sequence


def is_site_wide(block: str) -> bool:
    step = block.split("\n", 1)[0]
    return step.lower().startswith("then exactly the following") and " for bundles " not in step


def scoped_behat(blocks: Sequence[str]) -> list[str]:
    return [b for b in blocks if b.strip() and not is_site_wide(b)]


def site_wide_behat(blocks: Sequence[str]) -> list[str]:
    return [b for b in blocks if b.strip() and is_site_wide(b)]


def feature(title: str, blocks: Sequence[str]) -> str:
    """One gherkin text: the ticket's scenario, then the rows it adds to the site-wide feature as comments."""
    lines = ["@api @ticket", f"Scenario: {title}"]
    scoped = scoped_behat(blocks)
    for block in scoped:
        lines.extend("  " + line for line in block.split("\n"))
    wide = site_wide_behat(blocks)
    if wide:
        if not scoped:
            lines = []
        lines.append("# Rows for the site-wide feature (Behat set-up ticket): these steps compare the whole site,")
        lines.append("# so they pass only when every ticket of the group is done.")
        for block in wide:
            lines.extend("# " + line for line in block.split("\n"))
    return "\n".join(lines)
