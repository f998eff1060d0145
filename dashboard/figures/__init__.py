"""Pure figure builders and the chart theme: data in, plotly figures or Patches out.

Imports core/ and the domain packages' pure helpers; never panels/, api/ or server/.
"""
