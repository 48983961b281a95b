"""Bolt listeners, grouped by what Slack sends; each module has `register(app, bot)`."""
