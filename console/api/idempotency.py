"""`Idempotency-Key` on creating POSTs: the first request with a key claims it in the same
transaction as what it creates and keeps its answer; a retry with the same key and request gets
that answer again (header `Idempotent-Replayed: true`) and creates nothing; the same key with a
different request is 422. Only successful answers are kept: a refused request created nothing,
so sending it again is harmless. A twin sent while the first is still running waits for it (the
key's unique index) and then gets its answer."""
import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.response import Response

from console.api.models import IdempotentRequest
from console.api.problems import UnprocessableRequest
from console.prepared_statements import PreparedStatement

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEPT_HEADERS = ("Location", "ETag")


def _plain(value):
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{digest.hexdigest()}"
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def request_fingerprint(request, kwargs: dict) -> str:
    data = request.data
    data = {key: data.getlist(key) for key in data} if hasattr(data, "getlist") else data
    text = json.dumps([request.method, request.path, kwargs, _plain(data)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise exceptions.ValidationError({HEADER: [gettext("An %(header)s is 1 to %(limit)d printable characters.") % {"header": HEADER, "limit": MAX_KEY_LENGTH}]})
    return key


def _replay(stored: IdempotentRequest, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise UnprocessableRequest(gettext("This %(header)s was already used for a different request: use a new key for a new request.") % {
            "header": HEADER})
    return Response(stored.body, status=stored.status_code, headers={**stored.headers, "Idempotent-Replayed": "true"})


def _claim(operator_id: int, key: str, fingerprint: str) -> None:
    """Insert the key's row, without an answer yet; IntegrityError when the operator used the key."""
    claim = IdempotentRequest(operator_id=operator_id, key=key, fingerprint=fingerprint, status_code=0, body={}, headers={})
    _execute(_CLAIM, [_db_value(claim, name) for name in CLAIM_FIELDS])


def _keep_answer(operator_id: int, key: str, response: Response) -> None:
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    answer = IdempotentRequest(status_code=response.status_code, body=response.data, headers=headers)
    _execute(_ANSWER, [*(_db_value(answer, name) for name in ANSWER_FIELDS), operator_id, key])


# Both statements are built once and prepared once per database session: every idempotent POST
# makes them, and building them through the ORM (create, then save) cost about 1 ms of a create's
# answer (bench/api.py).
CLAIM_FIELDS = ("operator", "key", "fingerprint", "status_code", "body", "headers", "created_at")
ANSWER_FIELDS = ("status_code", "body", "headers")


def _columns() -> dict[str, str]:
    meta = IdempotentRequest._meta
    return {name: connection.ops.quote_name(meta.get_field(name).column) for name in CLAIM_FIELDS}


def _table() -> str:
    return connection.ops.quote_name(IdempotentRequest._meta.db_table)


def _claim_sql() -> str:
    return f"INSERT INTO {_table()} ({', '.join(_columns().values())}) VALUES ({', '.join(['%s'] * len(CLAIM_FIELDS))})"


def _answer_sql() -> str:
    column = _columns()
    return (f"UPDATE {_table()} SET {', '.join(f'{column[name]} = %s' for name in ANSWER_FIELDS)} "
            f"WHERE {column['operator']} = %s AND {column['key']} = %s")


_CLAIM = PreparedStatement("api_idempotency_claim", _claim_sql)
_ANSWER = PreparedStatement("api_idempotency_answer", _answer_sql)


def _db_value(row: IdempotentRequest, name: str):
    """The value of the field `name` of `row` as an INSERT or UPDATE of the ORM would send it."""
    field = row._meta.get_field(name)
    return field.get_db_prep_save(field.pre_save(row, add=True), connection)


def _execute(statement: PreparedStatement, params: list) -> None:
    with connection.cursor() as cursor:
        statement.execute(cursor, params)


def idempotent(post):
    """Decorate an APIView's `post` that creates something."""

    @wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = _key(request)
        if key is None:
            return post(view, request, *args, **kwargs)
        fingerprint = request_fingerprint(request, kwargs)
        try:  # no lookup first: a new key costs only its claim, and a used key fails the claim and is replayed
            with transaction.atomic():
                _claim(request.user.pk, key, fingerprint)
                response = post(view, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)
                    return response
                _keep_answer(request.user.pk, key, response)
        except IntegrityError:
            stored = IdempotentRequest.objects.filter(operator=request.user, key=key).first()
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        return response

    return wrapper


def idempotent_requests_prune() -> int:
    """Forget answers older than API_IDEMPOTENCY_SECONDS (a worker task); returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_SECONDS)
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
