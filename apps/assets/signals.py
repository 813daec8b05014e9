"""Signals other parts of the asset pipeline listen to.

`asset_withdrawn` is sent after the withdrawal commits, so listeners (share
links, renditions caches) act only on withdrawals that really happened.
"""

from django.dispatch import Signal

asset_withdrawn = Signal()  # kwargs: asset_id
