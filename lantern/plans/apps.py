from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "lantern.plans"
    label = "plans"
    verbose_name = "Safety plans, NRM referrals and MACE meetings"
