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
