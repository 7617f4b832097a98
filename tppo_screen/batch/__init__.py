"""Batch scoring of listing files of any size: the `score` command's library.

It owns the streaming job (`score`: `score_file` reads a file in chunks, scores them in input
order and writes the output only when complete, with a summary), its options (`options`:
`BatchOptions`, checked in one place), where chunks are scored (`engines`: this process, a
process pool or a Dask cluster) and the linking of ads that share a contact (`contacts`).
It may import the model (for `score_frame`), `tables` (every file read and written),
`graph`, `config` and `errors`; never serving, training, corpus or the CLI.
"""
