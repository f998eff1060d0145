"""The Dash app on top of everything: component ids, callback registration, the orchestrator
context and the page layout here; figures/, panels/, api/ and server/ below.

May import every package; nothing imports dashboard/ except app.py.
"""
