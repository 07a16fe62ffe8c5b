from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "lantern.alerts"
    label = "alerts"
    verbose_name = "Alerts and work queues"
