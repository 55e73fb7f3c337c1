"""The stabsim explorer: a local Solara app (``stabsim app``) on top of the analysis layer.

- ``session``: the app's work without the browser (edits, the live run, replicates, saving a
  scenario); tests and notebooks use it directly.
- ``charts``: the live charts and the map of one run.
- ``page``: the Solara page (``solara run model.app.page``), built on Mesa's SolaraViz
  controls where they fit.
- ``server``: serves the page offline (Solara's assets from the local ``solara-assets``
  package; nothing from a CDN).

Solara is an optional dependency (the ``app`` extra); nothing here is imported by the rest of
the package, and ``import model.app`` does not import Solara.
"""
