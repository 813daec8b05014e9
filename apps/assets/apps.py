from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "apps.assets"
    label = "assets"

    def ready(self) -> None:
        from .sharing import revoke_links_of_withdrawn
        from .signals import asset_withdrawn

        asset_withdrawn.connect(revoke_links_of_withdrawn, dispatch_uid="revoke-share-links")
