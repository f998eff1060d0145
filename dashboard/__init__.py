"""The Dash app on top of everything: component ids, callback registration, the orchestrator
context, the person a request acts for and their role check (people.py) and the page layout here;
figures/, panels/, api/ and server/ below.

May import every package; nothing imports dashboard/ except app.py.
"""
