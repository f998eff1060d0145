"""Labels: annotation spans and their store, TA-Lib auto-labelling (CDL names), labels pending
review, spans predicted by pattern models, annotation files (JSON/CSV).

Imports only core/ and market/.
"""
