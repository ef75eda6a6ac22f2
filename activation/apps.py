from django.apps import AppConfig


class ActivationConfig(AppConfig):
    name = "activation"
    verbose_name = "Activation"

    def ready(self) -> None:
        from activation.log_filters import install

        install()
