"""Small request helpers shared by the views."""

from django.http import HttpRequest


def page_number(request: HttpRequest) -> int:
    """The `page` query parameter as a positive integer; anything else is page 1."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
