"""Triage algorithms (pure Python + numpy/scipy/scikit-learn/numba; nothing from Django).

- ``text.prepare(text) -> Prepared``: a message normalised once; every function below accepts it in
  place of the text (the whole step shares it). ``kernels``: the compiled per-message loops.

- ``message_kind.classify_message(text, about_open_appeal=False, model=None) -> MessageDecision``
  (kind appeal | follow_up | none, score, reason)
- ``taxonomy.load_taxonomy(path=None) -> Taxonomy`` of ``Category`` rows with a ``HandlingUnit``
  (police unit or department code = a transfer); seed: ``lastmeter/triage/data/taxonomy.csv``
- ``classifier.train(texts, labels, config=None) -> Model``; ``Model.predict(text, k=3)``;
  ``save_model`` / ``load_model`` (skops, versioned, trusted types listed)
- ``categorise.categorise(text, taxonomy, matcher=None, model=None) -> CategoryDecision``
- ``gazetteer.Gazetteer(roads, places, communities).locate(text) -> PlaceMatch | None``
- ``duplicates.DuplicateIndex(open_appeals, params).find(text, created_at, lon, lat) -> [DuplicateMatch]``
- ``pipeline.Triage(...).run(text, created_at, lon=None, lat=None) -> TriageResult`` (the whole step)
- ``evaluate.evaluate(texts, labels, folds=5) -> dict`` (what ``lastmeter triage evaluate`` prints)
"""
