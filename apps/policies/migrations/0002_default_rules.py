"""Seed the rules a fresh installation starts with (filters on, shipped
categories and image thresholds, a site-default usage policy)."""

from django.db import migrations


def seed(apps, schema_editor):
    from apps.policies.seeding import install_defaults

    install_defaults(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
