"""Runtime: the orchestrator (composition root and the original system's facade), the job kinds
(training, neural training), lifecycle and hand moves of the champion, database backup, restore
and copy between backends, and the full Config.

Imports every package except dashboard/.
"""
