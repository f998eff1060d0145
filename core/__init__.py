"""The shared ground: typed config sections and their loader, the SQLite connection, time
formats, shared types (Candle, Span, limits such as MAX_TIME_MS), people and the roles their
actions need, the audit list, the job state machine, the closed-candle worker base and where
search trials run (the executor interface and its local worker pool).

Imports nothing of ours: every other package stands on this one.
"""
