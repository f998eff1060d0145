"""Test helpers and data factories, in one place: test modules import these, never each other."""
