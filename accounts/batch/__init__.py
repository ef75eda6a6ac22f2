"""The batch way (SPEC B1, B2): CSV import with a per-row report, all rows or none, and CSV export.

- columns.py: the template's columns, value spellings, spreadsheet-formula neutralisation;
- reader.py: streaming a CSV upload into rows, with file-level problems as a report;
- rows.py: validating one row with the account forms' own rules;
- importer.py: the import service (a dry run for the preview, the all-or-nothing commit);
- jobs.py: import jobs (upload kept server-side, background commit with progress);
- export.py: accounts to CSV.
"""
