"""The in-memory lookup indexes over the dossiers: the directory and its compact parts.

Derived data: kept in step with every commit, saved at full checkpoints, rebuilt from
the shards when missing or damaged.
"""
