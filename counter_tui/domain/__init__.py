"""The pure rules of the one-stop counter.

Nothing here imports anything but the standard library and ``holidays``:
no Textual, no TinyDB, no httpx. Every other layer builds on these rules.
"""
