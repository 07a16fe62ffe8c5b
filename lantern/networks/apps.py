from django.apps import AppConfig


class NetworksConfig(AppConfig):
    name = "lantern.networks"
    label = "networks"
    verbose_name = "Association mapping"
