"""A session's Slack thread, kept in step with the database: the outbox that posts each message once and
converges edits, the views that read what the thread should show from the database, the notifier a
worker's runs report through (progress throttled, drafts posted in order), and the sweeper that brings
threads that fell behind up to date. Presentation only: what happened is decided elsewhere and recorded
in the database first; this room makes Slack show it.
"""
