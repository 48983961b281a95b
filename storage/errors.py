"""Errors of the storage layer."""

from __future__ import annotations


class StorageError(Exception):
    """Base of storage errors."""


class NotFound(StorageError):
    """The record asked for does not exist."""


class UploadsFrozen(StorageError):
    """The session's generation has started: its upload set no longer changes (the next session takes files)."""
