"""The counter's local cache on TinyDB: durable, crash-safe, indexed.

``engine/`` keeps TinyDB's document API on partitioned shard files behind one
commit log; ``index/`` holds the in-memory lookup indexes; ``local`` is the
``LocalStore`` the use cases open, composed of one small repository per kind of
data (``dossiers``, ``citizens``, ``outbox``, ``audit_log``, ``clerks``,
``catalog_cache``, ``meta``, ``scans``).
"""
