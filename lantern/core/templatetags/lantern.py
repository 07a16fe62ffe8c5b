from django import template

from lantern.core.codelists import codelist

register = template.Library()


@register.filter
def codelabel(code, list_name: str) -> str:
    """The label of a code in a code list: {{ person.display_district|codelabel:"district" }}."""
    return codelist(list_name).label(code)


@register.filter
def get_item(mapping, key):
    """Look up a key in a dict (keys compared as strings, so UUIDs work)."""
    return mapping.get(str(key), "") if mapping else ""


@register.filter
def rolelabel(code: str) -> str:
    from lantern.access.roles import ROLES

    return ROLES[code].label if code in ROLES else code


@register.filter
def localtime_uk(moment) -> str:
    """A time as people in England read it (see `timeutils.local_text`)."""
    from lantern.core.timeutils import local_text

    return local_text(moment)


@register.inclusion_tag("includes/deadline.html")
def deadline(due, done=False):
    """A deadline with how long is left or how overdue it is, for clocks on queues and pages."""
    from lantern.core.timeutils import now

    if due is None:
        return {"due": None}
    remaining = due - now()
    hours = abs(remaining.total_seconds()) / 3600
    span = f"{hours:.0f} hours" if hours >= 1.5 else f"{max(1, round(hours * 60)):.0f} minutes"
    if hours >= 48:
        span = f"{hours / 24:.0f} days"
    overdue = remaining.total_seconds() < 0 and not done
    return {"due": due, "overdue": overdue, "span": span, "done": done}


@register.filter
def username(user, fallback: str = "") -> str:
    """A user's full name, else their username, else the fallback (for "assigned to" and "by")."""
    if user is None:
        return fallback
    return user.get_full_name() or user.username
