"""Content filters: pure checks over text and images, configured by policy.

They know nothing of the database: the gate (`apps.policies.gate`) reads the
compliance-managed rules, builds the filters, and stores their results.
"""
