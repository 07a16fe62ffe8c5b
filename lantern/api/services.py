"""Every write of the live-feed API: tokens (create, revoke, authenticate, count against the rate
limit), batch submissions, and the audit row of every call (DPA 2018 s62: collection, and refused
access).

**Who acts.** A token acts through its own service user (`api-<agency>-<prefix>`), who holds a data
officer membership in the agency's "Live feeds (API)" team. The import pipeline takes a `Viewer` and
audits every step as it, so an API batch is audited exactly like a file uploaded by a data officer,
with the token's user as the actor. The user is created inactive with no usable password: it can
never sign in, and staff pick-lists ("allocate to a worker", which list active users) never offer
it. The token is live while it is not revoked and its membership is active; revoking it ends both.

**Who may create tokens.** A role with `users.manage` (the system administrator), for any agency:
creating a token creates a service user, which is user management. The `api_token` command acts as
the server's operator (a system actor) or, with `--as`, as a named administrator.

**A submission** goes through the same pipeline as an uploaded file: its rows are written to a CSV
file with the format's columns, stored (`import_batch_create`), checked (`import_batch_validate`:
refused rows are quarantined, accepted rows go on) and committed (`import_batch_commit`), in the
request. Rejected rows do not stop the valid ones, as for files. An `Idempotency-Key` names the
submission: the same key with the same body returns that batch's result (resuming it if an earlier
attempt stopped half-way), with a different body it is refused (409).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from lantern.access.models import Agency, Membership, Team, User
from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, LanternError, ValidationFailed
from lantern.core.timeutils import now
from lantern.ingest.models import STALL_AFTER, ImportBatch
from lantern.ingest.services import (
    FORMATS,
    ImportFailed,
    import_batch_commit,
    import_batch_create,
    import_batch_validate,
)

from . import feeds
from .feeds import CellProblem
from .models import ApiSubmission, ApiToken

SERVICE_TEAM = "Live feeds (API)"
SERVICE_ROLE = "data_officer"  # holds Cap.IMPORT, and nothing that opens a child's record
_NAME_MAX = 100
_SYSTEM = "api"
_KEY_REUSED = "This Idempotency-Key was already used with a different request body; use a new key"


class ApiRefusal(LanternError):
    """A call the API refuses: the HTTP status, a message safe to show, and (for rows) the errors in
    the quarantine report's shape. `reason` is a short code for the audit row."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        reason: str,
        errors: Sequence[CellProblem] = (),
        batch_id: Any = None,
    ):
        super().__init__(detail)
        self.status, self.detail, self.reason = status, detail, reason
        self.errors = list(errors)
        self.batch_id = batch_id


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------------- tokens


def _require_admin(viewer: Viewer | None, system_actor: str) -> None:
    if viewer is None and not system_actor:
        raise ValueError("give a viewer or a system actor")
    if viewer is not None and not viewer.can(Cap.USERS_MANAGE):
        raise AccessDenied("Your role does not include managing API tokens.")


def _username(agency: Agency, prefix: str) -> str:
    code = re.sub(r"[^\w.@+-]", "", agency.code.lower())[:40] or "agency"
    return f"api-{code}-{prefix}"


@transaction.atomic
def api_token_create(
    *,
    agency: Agency,
    name: str,
    feed_types: Iterable[str],
    viewer: Viewer | None = None,
    system_actor: str = "",
) -> tuple[ApiToken, str]:
    """A new token for the agency, scoped to some of its own feeds. Returns the token and its
    secret, which is shown once and never stored (only its SHA-256)."""
    _require_admin(viewer, system_actor)
    name = (name or "").strip()
    wanted = sorted(set(feed_types))
    allowed = feeds.agency_feeds(agency.agency_type)
    errors: dict[str, str] = {}
    if not name or len(name) > _NAME_MAX:
        errors["name"] = f"Enter what the token is for (up to {_NAME_MAX} characters)"
    if not wanted:
        errors["feed_types"] = "Choose at least one feed type"
    elif any(code not in allowed for code in wanted):
        errors["feed_types"] = (
            f"{agency.code} may send only its own feeds: {', '.join(allowed) or 'none'}"
            if allowed
            else f"{agency.code} has no feeds it may send through the API"
        )
    if errors:
        raise ValidationFailed(errors)

    while True:
        secret = secrets.token_urlsafe(32)  # 256 bits
        prefix = secret[:8]
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    team, _ = Team.objects.get_or_create(agency=agency, name=SERVICE_TEAM)
    user = User(
        username=_username(agency, prefix),
        display_name=f"API feed: {name} ({agency.code})"[:200],
        is_active=False,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    membership = Membership.objects.create(user=user, team=team, role=SERVICE_ROLE)
    token = ApiToken(
        agency=agency,
        name=name,
        prefix=prefix,
        token_hash=_digest(secret),
        feed_types=wanted,
        membership=membership,
        created_by=viewer.user if viewer else None,
    )
    token.full_clean()
    token.save()
    audit_record(
        code=AuditCode.API_TOKEN_CREATED,
        viewer=viewer,
        system_actor=system_actor,
        object_type="api_token",
        object_id=prefix,
        justification=f"Live feed API token: {name}",
        details={
            "agency": agency.code,
            "name": name,
            "feed_types": wanted,
            "service_user": user.username,
            "role": SERVICE_ROLE,
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(
    *, token: ApiToken, viewer: Viewer | None = None, system_actor: str = "", reason: str = ""
) -> ApiToken:
    """Refuse the token from now on and end its service user's membership. Revoking twice is refused."""
    _require_admin(viewer, system_actor)
    token = ApiToken.objects.select_for_update().select_related("membership__user", "agency").get(pk=token.pk)
    if token.is_revoked:
        raise ValidationFailed({"token": f"Token {token.prefix} was already revoked"})
    token.revoked_at, token.revoked_by = now(), viewer.user if viewer else None
    token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    Membership.objects.filter(pk=token.membership_id).update(is_active=False, updated_at=now())
    audit_record(
        code=AuditCode.API_TOKEN_REVOKED,
        viewer=viewer,
        system_actor=system_actor,
        object_type="api_token",
        object_id=token.prefix,
        justification=reason.strip() or "API token revoked",
        details={
            "agency": token.agency.code,
            "name": token.name,
            "service_user": token.membership.user.username,
        },
    )
    return token


@dataclass(frozen=True)
class Authentication:
    token: ApiToken | None
    reason: str = ""  # why it was refused (for the audit row)
    prefix: str = ""  # the prefix of a known token that was refused (revoked, inactive)


def api_token_authenticate(secret: str | None) -> Authentication:
    """The live token whose secret this is. Looked up by the secret's SHA-256 (unique, indexed) and
    compared in constant time; revoked tokens and deactivated memberships are refused."""
    if not secret:
        return Authentication(None, "no bearer token")
    if len(secret) > 200:
        return Authentication(None, "malformed bearer token")
    digest = _digest(secret)
    token = (
        ApiToken.objects.select_related("agency", "membership__user", "membership__team__agency")
        .filter(token_hash=digest)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return Authentication(None, "unknown token")
    if token.is_revoked:
        return Authentication(None, "revoked token", token.prefix)
    if not token.membership.is_active:
        return Authentication(None, "membership deactivated", token.prefix)
    return Authentication(token)


def api_token_hit(*, token: ApiToken) -> int | None:
    """Count a request against the token's limit (LANTERN_API_RATE_PER_MINUTE in each one-minute
    window) and note the token's last use. Returns None when the request may go on, else the seconds
    until the window ends. The counter lives on the token row, so every web worker shares it."""
    limit = settings.LANTERN_API_RATE_PER_MINUTE
    clock = time.time()
    window = int(clock // 60)
    at = now()
    with transaction.atomic():
        mine = ApiToken.objects.filter(pk=token.pk)
        for _ in range(3):
            if mine.filter(rate_window=window).update(rate_count=F("rate_count") + 1, last_used_at=at):
                break
            if mine.filter(rate_window__lt=window).update(rate_window=window, rate_count=1, last_used_at=at):
                break
        count = mine.values_list("rate_count", flat=True).get()
    if count <= limit:
        return None
    return max(1, int(60 - clock % 60 + 0.999))


# --------------------------------------------------------------------------------- audit of calls


def api_call_refused(
    *,
    token: ApiToken | None,
    method: str,
    path: str,
    status: int,
    reason: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Every refused call is one ACCESS_REFUSED row: as the token's user when the token was
    accepted (a 403, 404, 409, 413, 422 or 429), else as the system actor "api" (a 401)."""
    live = token is not None and token.membership.is_active
    audit_record(
        code=AuditCode.ACCESS_REFUSED,
        viewer=token.viewer if live else None,
        system_actor="" if live else _SYSTEM,
        object_type="api_call",
        object_id=f"{method} {path}"[:100],
        justification=f"Live feed API refused the call ({status}: {reason})"[:500],
        details={
            "status": status,
            "reason": reason,
            **({"token": token.prefix} if token else {}),
            **(details or {}),
        },
    )


# --------------------------------------------------------------------------------- submissions


@dataclass(frozen=True)
class BatchRequest:
    format: str
    rows: Sequence[Mapping[str, Any]]
    table: str | None = None
    source_system: str = ""
    collection_year: int | None = None

    def body_sha256(self) -> str:
        """Of the request as parsed (so spacing and key order in the JSON do not matter)."""
        body = {
            "format": self.format,
            "table": self.table,
            "source_system": self.source_system,
            "collection_year": self.collection_year,
            "rows": list(self.rows),
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass
class Submitted:
    batch: ImportBatch
    replayed: bool
    status_code: int = field(init=False)

    def __post_init__(self) -> None:
        status = self.batch.status
        if status == ImportBatch.Status.COMMITTED:
            self.status_code = 201
        elif status == ImportBatch.Status.REJECTED_FILE:
            self.status_code = 422
        else:  # still being checked or committed by another request with this key
            self.status_code = 202


def _check(token: ApiToken, request: BatchRequest) -> tuple[str, str, bytes, str | None]:
    """Refuse what the pipeline would refuse as a whole file, before anything is stored: an unknown
    format (422), a format the token may not send (403), a bad table, too many rows, keys that are
    not the format's columns, text that cannot be written as UTF-8 (422). Returns the format code,
    the table, the CSV file and (generic) its column mapping."""
    fmt = FORMATS.get(request.format)
    if fmt is None or fmt.code not in feeds.API_FORMATS:
        offered = ", ".join(feeds.API_FORMATS)
        expected = (
            f"a format offered through the API: {offered} ({request.format} files are uploaded instead)"
            if fmt is not None
            else f"a known format: {offered}"
        )
        raise ApiRefusal(
            422,
            "Unknown format" if fmt is None else "This format is not offered through the API",
            reason="unknown format",
            errors=[CellProblem(0, "format", request.format[:60], expected)],
        )
    if fmt.code not in token.feed_types or fmt.code not in feeds.agency_feeds(token.agency.agency_type):
        raise ApiRefusal(
            403,
            f"This token may not send {fmt.code} batches (it may send: {', '.join(token.feed_types)})",
            reason="feed type not allowed",
        )
    spec = feeds.table_spec(fmt, request.table)
    if isinstance(spec, CellProblem):
        raise ApiRefusal(422, "Choose the batch's table", reason="bad table", errors=[spec])
    limit = settings.LANTERN_API_MAX_ROWS
    if len(request.rows) > limit:
        raise ApiRefusal(
            422,
            f"A batch holds at most {limit:,} rows (this one has {len(request.rows):,}): send it as several batches",
            reason="too many rows",
            errors=[CellProblem(0, "rows", str(len(request.rows)), f"at most {limit} rows")],
        )
    header, used, problems = feeds.columns_for(fmt, spec, request.rows)
    if not problems:
        problems = feeds.cell_problems(request.rows, used)
    mapping = None
    if not problems and fmt.code == "generic":
        problems = feeds.generic_mapping_problems(header)
        mapping = feeds.generic_mapping_json(header)
    if problems:
        raise ApiRefusal(
            422,
            "The batch's rows do not fit the format: nothing was stored",
            reason="rows do not fit the format",
            errors=problems,
        )
    table = spec.name if len(feeds.tables_of(fmt)) > 1 else ""
    return fmt.code, table, feeds.to_csv(header, used, request.rows), mapping


def _claim(token: ApiToken, key: str, digest: str) -> tuple[ApiSubmission, bool]:
    """The submission for this key: (existing, False) for a repeat, (new, True) for a first request.
    A different body under a used key, or a first request still storing its batch, is refused."""
    for _ in range(2):
        existing = (
            ApiSubmission.objects.select_related("batch").filter(token=token, idempotency_key=key).first()
        )
        if existing is not None:
            if existing.body_sha256 != digest:
                raise ApiRefusal(409, _KEY_REUSED, reason="idempotency key reused with another body")
            if existing.batch is not None:
                return existing, False
            if now() - existing.created_at < STALL_AFTER:
                raise ApiRefusal(
                    409,
                    "A request with this Idempotency-Key is still being processed; try again shortly",
                    reason="idempotency key in use",
                )
            existing.delete()  # the first request died before storing its batch: start again
        try:
            with transaction.atomic():
                return ApiSubmission.objects.create(
                    token=token, idempotency_key=key, body_sha256=digest
                ), True
        except IntegrityError:
            continue  # another request claimed the key first: look again
    raise ApiRefusal(409, "A request with this Idempotency-Key is still being processed", reason="key in use")


def _advance(batch: ImportBatch, viewer: Viewer) -> ImportBatch:
    """Check and commit the batch, from wherever it stands (a repeat resumes an interrupted one)."""
    batch.refresh_from_db()
    if batch.is_running and not batch.is_stalled:
        return batch
    status = ImportBatch.Status
    if batch.files_removed_at is not None and batch.status != status.COMMITTED:
        raise ApiRefusal(
            409,
            "This batch was never completed and its rows were removed under the import file retention "
            "rule: send them again with a new Idempotency-Key.",
            reason="batch files removed",
            batch_id=batch.pk,
        )
    if batch.status in (status.UPLOADED, status.FAILED, status.VALIDATING) or (
        batch.status == status.VALIDATED and batch.error
    ):
        batch = import_batch_validate(batch, viewer=viewer)
        if batch.status == status.FAILED:
            raise ApiRefusal(
                503,
                f"{batch.error} Nothing was written: send the same request again (same Idempotency-Key).",
                reason="check failed",
                batch_id=batch.pk,
            )
    if batch.status in (status.VALIDATED, status.COMMITTING):
        try:
            batch = import_batch_commit(batch, viewer=viewer)
        except ImportFailed as error:
            expected = error.__cause__ is None or isinstance(error.__cause__, LanternError)
            raise ApiRefusal(
                409 if expected else 503,
                f"{error} Send the same request again (same Idempotency-Key) to retry.",
                reason="commit failed",
                batch_id=batch.pk,
            ) from error
    return batch


def _replay(token: ApiToken, key: str, submission: ApiSubmission) -> Submitted:
    batch = submission.batch
    before = (batch.status, batch.updated_at)
    batch = _advance(batch, token.viewer)
    resumed = (batch.status, batch.updated_at) != before
    _audit_submission(token, key, batch, replayed=True, resumed=resumed)
    return Submitted(batch, replayed=True)


def api_batch_submit(*, token: ApiToken, idempotency_key: str, request: BatchRequest) -> Submitted:
    """Import a batch of rows through the pipeline (see the module docstring); one audit row for the
    call (API_BATCH_SUBMITTED, with the counts) besides the pipeline's own."""
    digest = request.body_sha256()
    existing = (
        ApiSubmission.objects.select_related("batch")
        .filter(token=token, idempotency_key=idempotency_key)
        .first()
    )
    if existing is not None and existing.body_sha256 == digest and existing.batch is not None:
        return _replay(token, idempotency_key, existing)
    if existing is not None and existing.body_sha256 != digest:
        raise ApiRefusal(409, _KEY_REUSED, reason="idempotency key reused with another body")
    format_code, table, content, mapping = _check(token, request)
    submission, first = _claim(token, idempotency_key, digest)
    if not first:
        return _replay(token, idempotency_key, submission)

    try:
        upload = SimpleUploadedFile(
            f"api-{format_code}{'-' + table if table else ''}.csv", content, content_type="text/csv"
        )
        batch = import_batch_create(
            viewer=token.viewer,
            format_code=format_code,
            uploaded_file=upload,
            table=table,
            source_system=request.source_system,
            collection_year=request.collection_year,
            mapping_json=mapping,
        )
    except (ValidationFailed, AccessDenied) as error:
        submission.delete()  # nothing was stored: the key may be used again
        if isinstance(error, AccessDenied):
            raise ApiRefusal(403, str(error), reason="import not allowed") from error
        raise ApiRefusal(
            422,
            "The batch was not accepted: nothing was stored",
            reason="batch options refused",
            errors=[CellProblem(0, name, "", message) for name, message in error.errors.items()],
        ) from error
    except Exception:
        submission.delete()
        raise
    ApiSubmission.objects.filter(pk=submission.pk).update(batch=batch)
    batch = _advance(batch, token.viewer)
    _audit_submission(token, idempotency_key, batch, replayed=False, resumed=False)
    return Submitted(batch, replayed=False)


def _audit_submission(
    token: ApiToken, key: str, batch: ImportBatch, *, replayed: bool, resumed: bool
) -> None:
    """A new (or resumed) submission is a collection; a plain repeat only reads its result."""
    details = {
        "token": token.prefix,
        "idempotency_key": key[:200],
        "format": batch.format_code,
        "table": batch.table,
        "status": batch.status,
        **batch.counts,
    }
    if replayed and not resumed:
        audit_record(
            code=AuditCode.API_READ,
            viewer=token.viewer,
            object_type="import_batch",
            object_id=batch.pk,
            justification="Live feed API: a repeated submission answered with its batch's result",
            details={**details, "replayed": True},
        )
        return
    audit_record(
        code=AuditCode.API_BATCH_SUBMITTED,
        viewer=token.viewer,
        object_type="import_batch",
        object_id=batch.pk,
        justification="Agency data received through the live feed API (DPA 2018 s62 collection)",
        details={**details, **({"resumed": True} if resumed else {})},
    )
