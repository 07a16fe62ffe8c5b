from django.apps import AppConfig


class LinesConfig(AppConfig):
    name = "lantern.lines"
    label = "lines"
    verbose_name = "County lines register and operations"
