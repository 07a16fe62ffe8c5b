from django.db import migrations


def add_rule(apps, schema_editor):
    apps.get_model("alerts", "AlertRule").objects.update_or_create(
        code="INDICATOR-NO-SCREENING",
        defaults={
            "label": "New indicator and no current screening",
            "kind": "indicator_without_screening",
            "params": {"lookback_days": 28},
            "route_to": "exploitation_hub",
        },
    )


def remove_rule(apps, schema_editor):
    apps.get_model("alerts", "AlertRule").objects.filter(code="INDICATOR-NO-SCREENING").delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_default_rules")]

    operations = [migrations.RunPython(add_rule, remove_rule)]
