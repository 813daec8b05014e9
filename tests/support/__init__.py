"""Test-only Django app (config.settings.test only): what the test harness needs and
the product must not have."""
