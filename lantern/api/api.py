"""The live-feed REST API (django-ninja): `/api/v1/…`, OpenAPI at `/api/openapi.json`, docs at
`/api/docs`. Thin: authentication, the rate limit and the mapping of refusals to responses live here;
everything else is in `services.py` and `selectors.py`.

Order of checks for every call (ninja runs authentication, then throttles, then parses the body):
1. `Authorization: Bearer <secret>` names a live token, else 401; a body declared larger than
   LANTERN_API_MAX_BODY_BYTES is then refused with 413 before it is read.
2. The token's rate limit (LANTERN_API_RATE_PER_MINUTE), else 429 with Retry-After.
3. The body and headers against the schema, else 400 (not JSON) or 422.
4. The service's own checks (403 feed type, 404, 409 idempotency, 422 rows).
Every refusal is one audit row (ACCESS_REFUSED); accepted calls are audited by their service."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Header, NinjaAPI, Router, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from .models import ApiToken
from .schemas import BatchIn, BatchOut, ErrorOut, FeedsOut
from .selectors import api_batch_get, api_feeds_list, batch_result
from .services import (
    ApiRefusal,
    BatchRequest,
    api_batch_submit,
    api_call_refused,
    api_token_authenticate,
    api_token_hit,
)

logger = logging.getLogger(__name__)

_KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII, no spaces


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class TokenAuth(HttpBearer):
    """A live token by its secret; the refusal reason is kept on the request for the audit row."""

    def __call__(self, request: HttpRequest) -> Any:
        request.api_token = None  # type: ignore[attr-defined]
        request.api_refusal = ("no bearer token", "")  # type: ignore[attr-defined]
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        outcome = api_token_authenticate(token)
        if outcome.token is None:
            request.api_refusal = (outcome.reason, outcome.prefix)  # type: ignore[attr-defined]
            return None
        request.api_token = outcome.token  # type: ignore[attr-defined]
        limit = settings.LANTERN_API_MAX_BODY_BYTES
        if _content_length(request) > limit:
            raise ApiRefusal(
                413,
                f"The request body is larger than {limit:,} bytes: send the rows as several batches",
                reason="body too large",
            )
        return outcome.token


class TokenThrottle(BaseThrottle):
    """ninja's throttle hook over a per-token counter in the database (`api_token_hit`), so the limit
    holds across every web worker (Django's default cache is per process)."""

    def __init__(self) -> None:
        self._local = threading.local()  # one instance serves every request: keep the wait per thread

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return True
        self._local.wait = api_token_hit(token=token)
        return self._local.wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


api = NinjaAPI(
    title="Lantern live feeds",
    version="1",
    description=(
        "Partner agencies' systems send the rows of their files (the CSV formats of Lantern's data "
        "formats) as JSON batches, which go through the same checks and import pipeline as an uploaded "
        "file. Authenticate with `Authorization: Bearer <token>` (a per-agency token scoped to the "
        "agency's own feeds). Every call is audited."
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    throttle=[TokenThrottle()],
)
router = Router(tags=["live feeds"])
api.add_router("/v1/", router)

_REFUSALS = {401: ErrorOut, 429: ErrorOut}


# --------------------------------------------------------------------------------- refusals


def _refuse(
    request: HttpRequest,
    status: int,
    body: dict[str, Any],
    reason: str,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    token = getattr(request, "api_token", None)
    api_call_refused(
        token=token if status != 401 else None,
        method=request.method or "",
        path=request.path,
        status=status,
        reason=reason,
        details=details,
    )
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiRefusal)
def _on_refusal(request: HttpRequest, exc: ApiRefusal) -> HttpResponse:
    body = {"detail": exc.detail, "errors": [e.as_dict() for e in exc.errors], "batch_id": exc.batch_id}
    details = {"batch": str(exc.batch_id)} if exc.batch_id else {}
    if exc.errors:
        details["errors"] = len(exc.errors)
    return _refuse(request, exc.status, body, exc.reason, details)


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    reason, prefix = getattr(request, "api_refusal", ("no bearer token", ""))
    body = {"detail": "Send a valid API token: Authorization: Bearer <token>", "errors": []}
    response = _refuse(request, 401, body, reason, {"token": prefix} if prefix else None)
    response["WWW-Authenticate"] = 'Bearer realm="lantern"'
    return response


@api.exception_handler(Throttled)
def _on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    limit = settings.LANTERN_API_RATE_PER_MINUTE
    body = {
        "detail": f"Too many requests: a token may make {limit} a minute; retry after the Retry-After seconds"
    }
    return _refuse(request, 429, body, "rate limit")


@api.exception_handler(ValidationError)
def _on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[tuple[int, str], dict[str, Any]] = {}
    for error in exc.errors:
        loc = [str(part) if not isinstance(part, int) else part for part in error.get("loc", ())]
        source, rest = (loc[0], loc[1:]) if loc else ("body", [])
        if source == "body" and rest and rest[0] == "payload":
            rest = rest[1:]
        row, field = 0, ".".join(str(p) for p in rest) or str(source)
        if len(rest) >= 2 and rest[0] == "rows" and isinstance(rest[1], int):
            row, field = rest[1] + 1, str(rest[2]) if len(rest) > 2 else "rows"
        if source == "header":
            field = "Idempotency-Key" if field == "idempotency_key" else field
        key = (row, field)
        if key in errors and row:
            errors[key]["expected"] = "text, a number or null"
            continue
        errors.setdefault(
            key, {"row": row, "field": field, "value": "", "expected": error.get("msg", ""), "rule": None}
        )
    body = {"detail": "The request does not match the API schema", "errors": list(errors.values())[:100]}
    return _refuse(request, 422, body, "request does not match the schema", {"errors": len(errors)})


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _refuse(request, exc.status_code, {"detail": str(exc), "errors": []}, str(exc)[:100])


@api.exception_handler(Exception)
def _on_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API call %s %s failed", request.method, request.path, exc_info=exc)
    body = {
        "detail": "Lantern could not complete this call; it has been logged. Try again later.",
        "errors": [],
    }
    return api.create_response(request, body, status=500)


# --------------------------------------------------------------------------------- endpoints


def _batch_location(batch_id: uuid.UUID) -> str:
    return f"/api/v1/batches/{batch_id}"


@router.post(
    "/batches",
    url_name="batches",
    operation_id="submit_batch",
    summary="Submit a batch of rows",
    description=(
        "The rows go through the same checks and the same import pipeline as an uploaded file of the "
        "format: stored, checked (refused rows are quarantined and listed in `errors` with row, field, "
        "value, expected and rule; they do not stop the valid rows) and committed. `Idempotency-Key` "
        "names the submission: repeating it with the same body returns the same result (header "
        "`Idempotent-Replayed: true`); with a different body it is refused (409)."
    ),
    response={
        201: BatchOut,
        202: BatchOut,
        400: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        503: ErrorOut,
        **_REFUSALS,
    },
)
def submit_batch(
    request: HttpRequest,
    response: HttpResponse,
    payload: BatchIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=_KEY_PATTERN,
        description="A unique key per batch (e.g. a UUID), so a retry never imports twice.",
    ),
) -> Status:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if len(request.body) > settings.LANTERN_API_MAX_BODY_BYTES:  # a body sent without its length
        raise ApiRefusal(413, "The request body is too large", reason="body too large")
    submitted = api_batch_submit(
        token=token,
        idempotency_key=idempotency_key,
        request=BatchRequest(
            format=payload.format,
            table=payload.table,
            source_system=payload.source_system,
            collection_year=payload.collection_year,
            rows=payload.rows,
        ),
    )
    result = batch_result(submitted.batch, with_errors=True)
    if submitted.replayed:
        response["Idempotent-Replayed"] = "true"
    if submitted.status_code == 422:  # the pipeline refused the whole file (nothing was imported)
        return Status(422, {**result, "detail": result["detail"] or "The batch was refused"})
    response["Location"] = _batch_location(submitted.batch.pk)
    return Status(submitted.status_code, result)


@router.get(
    "/batches/{batch_id}",
    url_name="batch",
    operation_id="get_batch",
    summary="A batch's status and counts",
    description="Only batches this token's agency submitted through the API; any other id is 404.",
    response={200: BatchOut, 404: ErrorOut, 422: ErrorOut, **_REFUSALS},
)
def get_batch(request: HttpRequest, batch_id: uuid.UUID) -> dict[str, Any]:
    batch = api_batch_get(token=request.auth, batch_id=batch_id)  # type: ignore[arg-type]
    return batch_result(batch, with_errors=False)


@router.get(
    "/feeds",
    url_name="feeds",
    operation_id="list_feeds",
    summary="The feeds this token may send",
    description="Each feed's format code, tables and columns (from the format specifications).",
    response={200: FeedsOut, **_REFUSALS},
)
def list_feeds(request: HttpRequest) -> dict[str, Any]:
    return api_feeds_list(token=request.auth)  # type: ignore[arg-type]
