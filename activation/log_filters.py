"""Keep link tokens out of log lines. Django's request loggers name the path of a refused or
failed request (404, 410, a CSRF failure), urllib3 logs the path of every request at DEBUG level,
and the token pages' paths carry the token."""
import logging
import re

TOKEN_PATH = re.compile(r"/([ia])/[A-Za-z0-9_-]{8,}")
LOGGERS = ("django.request", "django.security.csrf", "django.server", "urllib3.connectionpool")


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_PATH.sub(r"/\1/[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install() -> None:
    for name in LOGGERS:
        logging.getLogger(name).addFilter(RedactLinkTokens())
