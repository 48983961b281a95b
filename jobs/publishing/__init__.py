"""Publishing: approved tickets become Jira issues, under epics, linked, exactly once. The service
records decisions (approve, reject, approve all) and enqueues a push; the run pushes inside a worker
under the task's lease, round after round; the outbox creates epics and issues (none → creating →
created, the intent committed before each request) and reconciles what a lost answer may have created;
the links module does the same for dependency links between issues.
"""
