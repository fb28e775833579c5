"""Batch runs: one notebook per factory, partner or country, as a batch file says; resumable.

`spec` reads and checks the batch file, `planning` decides which items are not current,
`run` hands their tasks to a backend (`backends`: local processes, Dask) and keeps the
records (`manifest`); `executor` runs one item on a warm kernel and `isolation` resets it.
"""

# Nothing is imported here: a worker imports `bwcases.batch.executor`, and this package must
# not bring it the store, SQLAlchemy or the reports.
