"""The use cases: the only door from the screens to the store and the central service.

``desk`` (receive, act, look up), ``paperwork`` (slips, reports, exports),
``auth`` (clerk sign-in) and ``services`` (what the app is given: these,
wired to one store). Everything here returns domain types, never stored dicts.
"""
