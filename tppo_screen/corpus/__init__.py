"""Corpus tooling: the offline work that makes data/ and the demo gallery, never run at serving.

It owns the corpus build (`build`: read the raw portal ads, the hand-written and the real-world
texts, mask, group, split, cut snippets, write data/*.csv and stats.json), privacy masking
(`privacy`, also used by training's report to mask excerpts), near-duplicate groups (`groups`),
the real-world text format (`realworld`), sentence-window snippets (`snippets`), the style and
length leak checks (`style`), diversity figures (`diversity`) and the demo page's gallery
(`gallery`); `cli` makes them `tppo-screen corpus build|stats|gallery`. It may import the model,
`tables`, `graph`, `config` and `errors` (and `cli` also `cli_errors`, typer and rich); never
serving, batch or training.
"""
