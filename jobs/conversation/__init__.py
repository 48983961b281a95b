"""What people do in a channel: the reactions in a session's thread (approve, regenerate, reject a draft;
approve all, retry, cancel a run), the files they upload (fetched once, read, stored in the open
session, answered in one reply), and the channel's settings and access (allowed channels, who may
approve). The publisher port lives here because this room is the one that hands approved tickets on:
publishing implements it without importing it.
"""
