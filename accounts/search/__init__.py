"""Account search: Lucene query syntax over a Whoosh index kept in step with the database.

- `language/`: the query language alone (lexer, parser, query nodes as plain data, fields,
  analyzer, Lucene regular expressions, errors); it imports nothing from Whoosh.
- `engine/`: everything that touches Whoosh: evaluating the nodes, lexicons, doc sets, fuzzy
  matching, segment writing, and the index's life (files and state, syncing, searching,
  checking); `engine/whoosh_boundary.py` lists every private Whoosh name it relies on.
- `changelog.py` (the change log the index follows), `results.py` (a search as an account
  queryset), `views.py` (the search page).
"""
