"""The Slack app: `serve` runs it over HTTP (the request gate, the fast acknowledgement, the listener
processes) or Socket Mode; `app` builds the Bolt app and the context its listeners share; the listeners,
grouped by what Slack sends, hand the work to the use cases of jobs/, and the command handlers carry out the
`/generate-tickets` subcommands."""
