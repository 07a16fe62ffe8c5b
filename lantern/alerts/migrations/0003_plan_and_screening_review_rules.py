"""Alert rules for safety plan actions and screening reviews (due within a week, or overdue)."""

from django.db import migrations, models

RULES = [
    (
        "PLAN-ACTION-DUE",
        "Safety plan action due or overdue",
        "plan_action_due",
        {"days_ahead": 7},
        "exploitation_hub",
    ),
    (
        "SCREENING-REVIEW-DUE",
        "Exploitation screening review due or overdue",
        "screening_review_due",
        {"days_ahead": 7},
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
    dependencies = [("alerts", "0002_default_rules")]

    operations = [
        migrations.AlterField(
            model_name="alertrule",
            name="route_to",
            field=models.CharField(
                choices=[
                    ("front_door", "Front door"),
                    ("missing", "Missing children"),
                    ("governance", "Information governance"),
                    ("exploitation_hub", "Exploitation hub (screening, plans, MACE)"),
                ],
                help_text="The team service that works these alerts.",
                max_length=20,
            ),
        ),
        migrations.RunPython(add_rules, remove_rules),
    ]
