def acting_role(request):
    return {"viewer": getattr(request, "viewer", None)}
