"""Where a worker process enters the code: the RQ job functions, which take a task id only (they are
pickled into Redis) and hand it to the right service, and the runtime that `ticketbot worker` sets once
per process before it forks, holding the services those functions call. Nothing here decides anything;
the job functions are named by string in the queue, so their module path is part of what is enqueued.
"""
