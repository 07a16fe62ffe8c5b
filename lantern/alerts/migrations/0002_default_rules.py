"""The default alert rules. Thresholds are local practice, not national law (standards.md §1.1:
"thresholds such as N episodes in D days must be configuration"), so they live here as data and a
partnership changes them without a release."""

from django.db import migrations

RULES = [
    ("RHI-DUE", "Return home interview due", "rhi_due", {"lookback_days": 28}, "missing"),
    (
        "RM-3IN30",
        "Missing 3 times in 30 days: hold a strategy discussion",
        "repeat_missing",
        {"episodes": 3, "window_days": 30, "lookback_days": 28},
        "front_door",
    ),
    (
        "RM-FIRST-U13",
        "First missing episode of a child under 13: review today",
        "repeat_missing",
        {
            "episodes": 1,
            "window_days": 1,
            "first_only": True,
            "max_age": 12,
            "due": "same_day",
            "lookback_days": 28,
        },
        "missing",
    ),
    ("FOUND-OOA", "Child found out of area", "found_out_of_area", {"lookback_days": 28}, "missing"),
    ("HIGH-RISK-OPEN", "High-risk missing episode still open", "high_risk_open", {"hours": 24}, "missing"),
    ("REFERRAL-OVERDUE", "Front door decision overdue", "referral_overdue", {}, "front_door"),
    (
        "PHILOMENA-REVIEW",
        "Philomena profile review due",
        "philomena_review_due",
        {"review_days": 90},
        "missing",
    ),
    ("BG-REVIEW", "Break-glass access awaiting review", "break_glass_review", {}, "governance"),
    (
        "INDICATOR-NO-SCREENING",
        "New indicator and no current screening",
        "indicator_without_screening",
        {"lookback_days": 28},
        "exploitation_hub",
    ),
]


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for code, label, kind, params, route_to in RULES:
        AlertRule.objects.update_or_create(
            code=code, defaults={"label": label, "kind": kind, "params": params, "route_to": route_to}
        )


def remove_rules(apps, schema_editor):
    apps.get_model("alerts", "AlertRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
