"""The exit codes of `ticketbot`, one meaning each (README "Exit codes")."""

OK = 0  # done; the spec had no errors
SPEC_ERRORS = 1  # done, but rows or files of the spec have errors (listed; the valid part is written)
USAGE = 2  # the command, a setting or a file cannot be used (nothing was done)
INTEGRATION = 3  # Jira, the LLM, Redis or a worker failed or is unreachable
INTERNAL = 4  # a bug on our side: one line here, the details in the log
INTERRUPTED = 130  # Ctrl-C; the run is resumable
