"""The durable engine under the counter's cache: TinyDB shards behind one commit log.

``core`` is the :class:`~counter_tui.store.engine.core.Store` (open, close, abandon),
composed of the rooms beside it: the commit log, the shard cache, transactions,
checkpoints, the manifest, recovery on open, the TinyDB adapter, the cipher and the
directory lock. Nothing here knows what a dossier is; the repositories one level up do.
Kept empty so that importing one room (the cipher, for the key store) does not load
the rest.
"""
