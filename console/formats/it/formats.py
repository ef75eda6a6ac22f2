"""Italian: the same ISO 8601 dates as every language of the console (see en_GB); numbers, and what
this module leaves out, follow Django's Italian formats (1.234,5)."""
from console.formats.en_GB.formats import (  # noqa: F401
    DATE_FORMAT,
    DATETIME_FORMAT,
    MONTH_DAY_FORMAT,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    YEAR_MONTH_FORMAT,
)
