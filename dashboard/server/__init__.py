"""Serving the app: security (token, login, host check), waitress, request timing.

Imports core/ and runtime/ only.
"""
