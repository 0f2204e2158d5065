"""The demo jurisdiction and its live simulation (top floor: it uses every app, no app imports it).

- ``loader.load_demo`` (`lastmeter demo`) composes one loader per area: ``organisation``,
  ``departments``, ``categories``, ``communities`` (grids and their people), ``appeals``,
  ``dispatch`` (units and incidents), ``planning`` (basic units, platforms, a previewed plan);
- ``simulator`` moves the units along real roads (`lastmeter simulate`);
- ``live`` runs the scenario beside the in-process worker of `lastmeter serve` (lastmeter.worker).
"""
