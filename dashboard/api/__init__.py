"""The REST API on the same server: routes, errors, the OpenAPI document.

Imports dashboard/figures-free code only: the packages below dashboard/ and dashboard.context.
"""
