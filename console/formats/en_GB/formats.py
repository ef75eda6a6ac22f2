"""One date format everywhere (ISO 8601, as the date inputs send and the CSV files carry): every
date the pages print without a format of their own follows these, not the locale's "6 Dec 2026"."""
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "m-d"
YEAR_MONTH_FORMAT = "Y-m"
