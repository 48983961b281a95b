"""Generation: a session's uploads become written tickets. The service decides and enqueues (validate,
estimate the cost, claim the session, queue a task) and returns at once; the run does the work inside a
worker (lease, plan, write with checkpoints, finish or fail), and a regeneration rewrites one ticket the
same way. Beside them: the concurrent writing of planned tickets, the cost estimate, the notifier
interface a run reports through, a stored ticket rebuilt for the renderers, and the output files the CLI
writes.
"""
