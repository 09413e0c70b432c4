"""Sync with the central service: ``client`` speaks HTTP (httpx), ``engine`` runs the loop."""
