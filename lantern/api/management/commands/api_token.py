"""Create, list and revoke live-feed API tokens from the command line. The secret is printed once,
when the token is created; Lantern keeps only its SHA-256. The command acts as the server's
operator (audited as the system actor "manage.py api_token") or, with --as, as a named user whose
active role may manage users (the system administrator)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lantern.access.models import Agency, Membership
from lantern.access.policy import Viewer
from lantern.access.roles import ROLES, Cap
from lantern.api.feeds import agency_feeds
from lantern.api.models import ApiToken
from lantern.api.services import api_token_create, api_token_revoke
from lantern.core.exceptions import AccessDenied, ValidationFailed

SYSTEM_ACTOR = "manage.py api_token"


class Command(BaseCommand):
    help = "Create (prints the secret once), list or revoke an agency's live-feed API tokens."

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="Code of the agency the token sends for.")
        parser.add_argument("--name", help="What the token is for, e.g. 'Niche nightly feed'.")
        parser.add_argument(
            "--feed",
            action="append",
            default=[],
            dest="feeds",
            help="A feed type the token may send (repeat for several), e.g. police.",
        )
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the token with this prefix.")
        parser.add_argument("--reason", default="", help="Why the token is revoked (audited).")
        parser.add_argument("--list", action="store_true", help="List tokens (of --agency, or all).")
        parser.add_argument("--as", dest="username", help="Act as this user (a role that may manage users).")

    def _viewer(self, username: str | None) -> Viewer | None:
        if not username:
            return None
        memberships = Membership.objects.select_related("user", "team__agency").filter(
            user__username=username, user__is_active=True, is_active=True
        )
        for membership in memberships.order_by("pk"):
            if Cap.USERS_MANAGE in ROLES[membership.role].capabilities:
                return Viewer(user=membership.user, membership=membership)
        raise CommandError(f"{username!r} holds no active role that may manage users and tokens")

    def handle(self, *args, **options):
        viewer = self._viewer(options["username"])
        actor = {"viewer": viewer, "system_actor": "" if viewer else SYSTEM_ACTOR}
        if options["list"]:
            return self._list(options["agency"])
        if options["revoke"]:
            token = ApiToken.objects.filter(prefix=options["revoke"]).select_related("agency").first()
            if token is None or (options["agency"] and token.agency.code != options["agency"]):
                raise CommandError(f"No token with prefix {options['revoke']!r}")
            try:
                api_token_revoke(token=token, reason=options["reason"], **actor)
            except (ValidationFailed, AccessDenied) as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"Revoked token {token.prefix} ({token.name}, {token.agency.code}).")
            return None
        if not options["agency"] or not options["name"] or not options["feeds"]:
            raise CommandError(
                "Give --agency, --name and at least one --feed (or --list, or --revoke PREFIX)"
            )
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency with code {options['agency']!r}")
        try:
            token, secret = api_token_create(
                agency=agency, name=options["name"], feed_types=options["feeds"], **actor
            )
        except (ValidationFailed, AccessDenied) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Token {token.prefix} for {agency.code} ({token.name}); feeds: {', '.join(token.feed_types)}\n"
            f"Service user: {token.membership.user.username} (data officer, team {token.membership.team.name})\n"
            "Secret (shown only now; Lantern keeps only its SHA-256, so store it in the sending system):\n"
            f"{secret}\n"
            f"Use it as: Authorization: Bearer {secret}"
        )
        return None

    def _list(self, agency_code: str | None) -> None:
        tokens = ApiToken.objects.select_related("agency")
        if agency_code:
            tokens = tokens.filter(agency__code=agency_code)
        rows = list(tokens)
        if not rows:
            self.stdout.write("No tokens.")
        for t in rows:
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(
                f"{t.prefix}  {t.agency.code:<12} {', '.join(t.feed_types):<24} {state:<24} "
                f"last used {used}  {t.name}"
            )
        if agency_code:
            agency = Agency.objects.filter(code=agency_code).first()
            if agency is not None:
                self.stdout.write(
                    f"Feeds {agency_code} may send: {', '.join(agency_feeds(agency.agency_type)) or 'none'}"
                )
