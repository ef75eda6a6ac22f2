from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivationConfig(AppConfig):
    name = "activation"
    verbose_name = _("Activation")

    def ready(self) -> None:
        from activation.log_filters import install

        install()
