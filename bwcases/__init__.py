"""bwcases: case management for Better Work factory cases."""

import sys

__version__ = "0.1.0"

# nbformat validates with jsonschema, which at import takes up every optional format checker
# it finds. rfc3987-syntax (in jsonschema's "format-nongpl" extra, which jupyter-events asks
# for) builds some 35 Earley parsers as it is imported: ~1 s in every process that reads a
# notebook (a batch and each of its workers, a brief, the server), for the "iri" formats that
# no notebook or Jupyter schema uses. Marked missing, it is skipped like any absent checker.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
