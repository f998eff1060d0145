"""The shared ground: typed config sections and their loader, the database (SQLite or
PostgreSQL behind one facade; the dialect module holding every difference between them; schema
migrations; copying between backends), time formats, shared types (Candle, Span, limits such as
MAX_TIME_MS), people and the roles their actions need, the audit list, the job state machine, the
closed-candle worker base and where search trials run (the executor interface, its local worker
pool and the Ray cluster).

Imports nothing of ours: every other package stands on this one.
"""
