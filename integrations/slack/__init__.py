"""Slack: the Web API gateway, the file downloader and the pure Block Kit builders."""
