from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import update_last_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from lantern.core.timeutils import now

from .forms import ChooseRoleForm, LoginForm
from .middleware import ACTING_MEMBERSHIP, LOGIN_AT
from .policy import Viewer
from .selectors import memberships_for
from .services import login_recorded, role_chosen


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("home")


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        login_recorded(user=user, username=username, succeeded=user is not None)
        if user is not None:
            login(request, user)
            update_last_login(None, user)
            request.session[LOGIN_AT] = now().isoformat()
            return redirect(f"{reverse('access:choose_role')}?next={_safe_next(request)}")
        error = "The username or password is not right. Check them and try again."
    expired = request.GET.get("expired") == "1"
    return render(
        request,
        "access/login.html",
        {"form": form, "error": error, "expired": expired, "next": request.GET.get("next", "")},
        status=200 if not error else 401,
    )


@require_http_methods(["GET", "POST"])
def choose_role_view(request):
    if not request.user.is_authenticated:
        return redirect("access:login")
    memberships = list(memberships_for(request.user))
    form = ChooseRoleForm(request.POST or None, memberships=memberships)
    if request.method == "GET" and len(memberships) == 1:
        form = ChooseRoleForm({"membership": memberships[0].pk}, memberships=memberships)
    if memberships and (request.method == "POST" or len(memberships) == 1) and form.is_valid():
        membership = next(m for m in memberships if m.pk == form.cleaned_data["membership"])
        request.session[ACTING_MEMBERSHIP] = membership.pk
        role_chosen(viewer=Viewer(user=request.user, membership=membership))
        return redirect(_safe_next(request))
    return render(
        request,
        "access/choose_role.html",
        {"form": form, "memberships": memberships, "next": _safe_next(request)},
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("access:login")
