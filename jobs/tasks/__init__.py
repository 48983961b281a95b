"""What every background task shares, whatever its feature: the job queue (RQ or inline) and its
deterministic job ids, the lease a running task holds and renews, the sweeper that enqueues again what a
dead worker or a lost Redis job left behind, the clock the sweeper and the runs agree on, named fault
points for the kill drills, and the ids every log line of a job carries. Features build on this room; the
sweeper still names the job functions of generation and publishing, until one registry of job kinds
lands here (issue 13).
"""
