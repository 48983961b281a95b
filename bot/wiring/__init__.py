"""What every process shares before it does any work: the settings read from the environment, the logging
that redacts their secrets, `bootstrap` that builds the services once per process (the Jira side in `jira`),
and the checks of `ticketbot doctor`, `ticketbot health` and `/generate-tickets health`."""
