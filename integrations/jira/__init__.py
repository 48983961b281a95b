"""Jira: the gateway (Cloud and Server/DC), preflight, and descriptions in ADF and wiki markup, all input inert."""
