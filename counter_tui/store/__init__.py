"""The counter's local cache on TinyDB: durable, crash-safe, indexed.

``engine`` keeps TinyDB's document API on partitioned shard files behind one
commit log; ``directory`` holds the in-memory lookup indexes; ``local`` is the
repository the use cases call (dossiers, citizens, outbox, cursor, audit,
catalog cache).
"""
