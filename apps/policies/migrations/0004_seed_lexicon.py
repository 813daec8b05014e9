"""Seed the shipped term lists in every language and the people/marks registers."""

from django.db import migrations


def seed(apps, schema_editor):
    from apps.policies.seeding import (
        install_lexicon,
        install_multilingual_thresholds,
        shipped_lexicon,
    )

    install_lexicon(apps.get_model, shipped_lexicon())
    install_multilingual_thresholds(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("policies", "0003_term_lists")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
