"""Where SMS go and which public address their links use: the Services page, else the environment."""
from dataclasses import dataclass

from django.conf import settings

from console.models import ServiceSettings


@dataclass(frozen=True)
class SmsConfig:
    backend: str
    gateway_url: str
    username: str
    password: str
    sender: str
    public_base_url: str

    @property
    def needs_gateway_url(self) -> bool:
        return self.backend in (ServiceSettings.SmsBackend.KANNEL, ServiceSettings.SmsBackend.HTTP)

    def __repr__(self) -> str:  # keeps the gateway password out of tracebacks and logs
        return f"SmsConfig(backend={self.backend!r}, gateway_url={self.gateway_url!r})"


DEFAULT_SENDER = "SIPConsole"


def sms_config(row: ServiceSettings | None = None) -> SmsConfig:
    """The SMS settings in force: the Services page's fields, empty ones from the environment."""
    row = row or ServiceSettings.load()
    return SmsConfig(
        backend=row.sms_backend or settings.SMS_BACKEND,
        gateway_url=row.sms_gateway_url,
        username=row.sms_username,
        password=row.sms_password,
        sender=row.sms_sender or DEFAULT_SENDER,
        public_base_url=public_base_url(row),
    )


def public_base_url(row: ServiceSettings | None = None) -> str:
    """The public address of the client web service, without a trailing slash ('' when unset)."""
    row = row or ServiceSettings.load()
    return (row.public_base_url or settings.PUBLIC_BASE_URL).rstrip("/")
