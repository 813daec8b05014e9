from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Custom from the first migration so fields can be added without a swap later."""

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
