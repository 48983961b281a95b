"""Revised specs: compare a new plan with what earlier sessions pushed, and write only what changed."""
