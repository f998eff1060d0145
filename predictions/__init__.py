"""Predictions: the prediction book (deques + store), input normalisation, queries, export, outcomes
and their resolver, accuracy and disagreements.

Imports only core/ and market/.
"""
