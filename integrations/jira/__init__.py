"""Jira: description rendering in wiki markup (Server/DC and the CSV importer); the gateway comes later."""
