"""Serving the app: security (tokens, login, who each request acts for, host check), waitress,
request timing, and plotly.js with its date axes in UTC.

Imports core/, runtime/ and the dashboard's root modules (callbacks, people) only.
"""
