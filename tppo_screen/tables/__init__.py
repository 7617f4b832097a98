"""Tables and files in and out: the one reading and writing layer of the package.

It owns the table formats and how a file name says which one it is (`formats`: CSV, TSV, JSONL,
Parquet, text formats optionally gzipped), the one reader (`read`: `read_chunks` streams a file
in chunks, `read_table` reads a whole one through it, both with the same malformed-line report
that `score`, `train` and `evaluate` print) and the one way of writing (`write`: every file,
table or report directory is written beside its target and renamed into place when complete).
Batch scoring, training, the corpus tools and model artifacts all read and write through it.
It may import only `tppo_screen.errors` and `tppo_screen.config`, never the model or anything
built on it.
"""
