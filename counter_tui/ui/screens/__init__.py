"""One module a screen: receive, lookup, dossier detail, hand over, sync, help, dialogs."""
