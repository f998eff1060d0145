"""The live charts' panel: the chart blocks and their tick (``live_charts``, ``tick_clock``),
the loaded ranges' predictions (``ranged_overlays``), drawing, indicators, deep links and the
time-zone switch. Imports figures and the layers below the dashboard; never the REST routes."""
