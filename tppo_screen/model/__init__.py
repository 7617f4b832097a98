"""The model: everything between an ad's text and its score, and nothing around it.

It owns text folding (`text`: case, slang, obfuscation, amounts, contacts and the one
`HANDLE`/`PHONE`/`EMAIL` patterns), stemming (`stem`), the red-flag catalogue and where a flag
is matched (`catalogue`, with `redflags.toml` validated on load and the one cue rule,
`cues_count`), the scikit-learn pipeline and its sign-constrained classifier (`pipeline`,
`constrained`), the fitted pipeline's arithmetic without scikit-learn's overhead (`compiled`),
model files and their cards (`artifacts`), and the one scoring path that CLI, API, batch jobs and
notebooks call (`scoring`: where a score is computed). It imports only `tppo_screen.errors`,
`tppo_screen.config`, `tppo_screen.graph`, `tppo_screen.tables` and itself; serving, batch,
training and corpus import it, never the other way round. This file imports nothing, so
importing a submodule runs no more than that submodule.
"""
