"""Account search: Lucene query syntax over a Whoosh index kept in step with the database."""
