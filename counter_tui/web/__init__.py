"""``counter-tui serve``: the counter app in the PC's own browser, for counters whose console
draws the app poorly (the old Windows console).

textual-serve runs the ordinary app once per browser tab behind a page on 127.0.0.1;
this package adds what a counter needs around it: a page that loads nothing from the
internet (its font included), one tab per counter, and nothing but loopback pages may
drive it. Slips and exports reach the browser from the screens (``ui/browser.py``).
"""
