import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lantern.access.decorators import viewer_required
from lantern.access.forms import BreakGlassReviewForm
from lantern.access.models import BreakGlassGrant
from lantern.access.roles import Cap
from lantern.access.selectors import break_glass_pending
from lantern.access.services import break_glass_review
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.http import page_number
from lantern.people.selectors import SearchQuery, person_lookup_for_audit

from .codes import AuditCode
from .forms import SubjectLookupForm
from .selectors import audit_for_person, audit_for_user, users_for_audit
from .services import audit_record
from .verify import audit_chain_verify


@viewer_required(Cap.AUDIT_READ)
def audit_home_view(request):
    form = SubjectLookupForm(request.GET or None)
    people = None
    if request.GET and form.is_valid():
        if form.cleaned_data["person_id"]:
            return redirect("audit:person", person_id=form.cleaned_data["person_id"])
        try:
            people = person_lookup_for_audit(
                viewer=request.viewer, query=SearchQuery(name=form.cleaned_data["name"])
            )
        except ValidationFailed as error:
            form.add_error("name", error.errors.get("name", str(error)))
    return render(
        request,
        "audit/home.html",
        {"form": form, "people": people, "pending": break_glass_pending()[:50]},
    )


@viewer_required(Cap.AUDIT_READ)
def audit_person_view(request, person_id: uuid.UUID):
    result = audit_for_person(viewer=request.viewer, person_id=person_id, page=page_number(request))
    return render(request, "audit/person.html", {"result": result, "person_id": person_id})


@viewer_required(Cap.AUDIT_READ)
def audit_users_view(request):
    text = request.GET.get("q", "")[:150]
    return render(
        request, "audit/users.html", {"users": users_for_audit(viewer=request.viewer, text=text), "q": text}
    )


@viewer_required(Cap.AUDIT_READ)
def audit_user_view(request, user_id: int):
    try:
        user, result = audit_for_user(viewer=request.viewer, user_id=user_id, page=page_number(request))
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from error
    return render(request, "audit/user.html", {"result": result, "subject_user": user})


@viewer_required(Cap.AUDIT_VERIFY)
@require_POST
def audit_verify_view(request):
    checked, problems = audit_chain_verify()
    audit_record(
        code=AuditCode.AUDIT_VERIFIED,
        viewer=request.viewer,
        justification="Tamper check",
        details={"checked": checked, "problems": len(problems)},
    )
    return render(request, "audit/verify.html", {"checked": checked, "problems": problems})


@require_http_methods(["GET", "POST"])
@viewer_required()
def break_glass_review_view(request, grant_id: int):
    if not (request.viewer.can(Cap.AUDIT_READ) or request.viewer.can(Cap.BREAK_GLASS_REVIEW)):
        raise PermissionDenied("Your role does not include reviewing break-glass access.")
    grant = get_object_or_404(
        BreakGlassGrant.objects.select_related("user", "person", "membership"), pk=grant_id
    )
    if not request.viewer.can(Cap.AUDIT_READ) and grant.membership.team_id != request.viewer.team.pk:
        raise PermissionDenied("You can review break-glass access by your own team only.")
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_review(
                viewer=request.viewer,
                grant=grant,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except AccessDenied as error:
            raise PermissionDenied(str(error)) from error
        messages.success(request, "Review recorded.")
        return redirect("audit:home" if request.viewer.can(Cap.AUDIT_READ) else "home")
    return render(request, "audit/break_glass_review.html", {"grant": grant, "form": form})
