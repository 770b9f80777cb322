from django.apps import AppConfig


class ActionPlanConfig(AppConfig):
    name = "nrm.actionplan"
    label = "actionplan"
    verbose_name = "Strategy and Action Plan monitoring"
