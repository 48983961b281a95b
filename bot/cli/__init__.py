"""The `ticketbot` command line: `main` parses the arguments and runs one command; each command has a module
of its own (`generate`, `check`, `worker`), with what they share (the files they collect, the summary they
print, the command line's own state database, the progress bar, the exit codes) beside them. The commands
import what they use when they run, so that `ticketbot --help` pays for none of it."""
