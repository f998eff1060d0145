"""One module per tab or panel: its layout() and its callbacks (collected in a CallbackSet).

Imports dashboard/figures and the packages below dashboard/; never api/ or server/.
"""
