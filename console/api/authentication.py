"""Who is calling the API: an operator's token, sent as `Authorization: Bearer sipc_...`.

Only tokens are accepted (no session cookies, so no CSRF to get right). A missing, unknown,
revoked or expired token, or one of a deactivated operator, is 401; a valid token used from
outside its allowed networks is 403. The request acts as the token's operator: their role and
groups decide everything else, exactly as on the pages.
"""

import ipaddress
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models.expressions import Col
from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from console.api.models import ApiToken
from console.api.services import secret_matches, token_parts
from console.audit import Actor
from console.models import AuditEntry, Operator
from console.prepared_statements import PreparedStatement, converted
from console.sessions import client_ip

KEYWORD = "Bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _space, text = header.partition(" ")
        if not header:
            return None
        if keyword != KEYWORD or not text.strip():
            raise exceptions.AuthenticationFailed(gettext("Send the token as: Authorization: Bearer <token>."))
        token = self._find(text.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(gettext("The API token is not valid."))
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(gettext("The API token was revoked."))
        if token.is_expired:
            raise exceptions.AuthenticationFailed(gettext("The API token has expired."))
        if not token.operator.is_active:
            raise exceptions.AuthenticationFailed(gettext("The operator of this API token is deactivated."))
        source = client_ip(request._request)
        if not source_allowed(token, source):
            raise exceptions.PermissionDenied(gettext("This API token may not be used from %(source)s.") % {
                "source": source or gettext("an unknown address")})
        request._request.api_source = source
        return token.operator, token

    @staticmethod
    def _find(text: str) -> ApiToken | None:
        parts = token_parts(text)
        if parts is None:
            return None
        prefix, secret = parts
        token = token_with_operator(prefix)
        return token if token is not None and secret_matches(token, secret) else None

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


def token_with_operator(prefix: str) -> ApiToken | None:
    """The token of `prefix` with its operator: the rows of `ApiToken.objects.select_related("operator")
    .get(prefix=prefix)`, in one statement built once per process and prepared once per database
    session. Every API request makes this lookup; building the query again each time was about 1.4
    of its 1.8 ms, and PostgreSQL's planning of the join half of what was left (bench/api.py)."""
    statement = _token_statement()
    with connection.cursor() as cursor:
        _TOKEN_WITH_OPERATOR.execute(cursor, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = converted(row, statement.converters)
    token = ApiToken.from_db(connection.alias, statement.token_names, values[:len(statement.token_names)])
    token.operator = Operator.from_db(connection.alias, statement.operator_names, values[len(statement.token_names):])
    return token


@dataclass(frozen=True)
class _TokenStatement:
    sql: str
    token_names: list[str]
    operator_names: list[str]
    converters: list[tuple[int, list, Col]]


@cache
def _token_statement() -> _TokenStatement:
    quote = connection.ops.quote_name
    tables = ((ApiToken, "t"), (Operator, "o"))
    columns = [field.get_col(alias) for model, alias in tables for field in model._meta.concrete_fields]
    converters = [
        (index, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)], column)
        for index, column in enumerate(columns)
    ]
    sql = (
        f"SELECT {', '.join(f'{quote(column.alias)}.{quote(column.target.column)}' for column in columns)} "
        f"FROM {quote(ApiToken._meta.db_table)} {quote('t')} JOIN {quote(Operator._meta.db_table)} {quote('o')} "
        f"ON {quote('o')}.{quote(Operator._meta.pk.column)} = {quote('t')}.{quote(ApiToken._meta.get_field('operator').column)} "
        f"WHERE {quote('t')}.{quote(ApiToken._meta.get_field('prefix').column)} = %s"
    )
    return _TokenStatement(
        sql=sql,
        token_names=[field.attname for field in ApiToken._meta.concrete_fields],
        operator_names=[field.attname for field in Operator._meta.concrete_fields],
        converters=[(index, found, column) for index, found, column in converters if found],
    )


_TOKEN_WITH_OPERATOR = PreparedStatement("api_token_with_operator", lambda: _token_statement().sql)


def source_allowed(token: ApiToken, source: str | None) -> bool:
    """Whether a request from `source` may use `token` (any source when it lists no network)."""
    if not token.allowed_networks:
        return True
    try:
        address = ipaddress.ip_address(source or "")
    except ValueError:
        return False
    networks = (ipaddress.ip_network(network) for network in token.allowed_networks.split())
    return any(address.version == network.version and address in network for network in networks)


def api_actor(request) -> Actor:
    """The audit log's actor of an API request: the operator, through which token."""
    token = request.auth
    return Actor(AuditEntry.ActorKind.OPERATOR, f"{request.user.get_username()} (API token “{token.name}”)", request.user)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "console.api.authentication.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "sipc_<prefix>_<secret>"}
