from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .groups import ensure_groups

        post_migrate.connect(ensure_groups, dispatch_uid="accounts.ensure_groups")
