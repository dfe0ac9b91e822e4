"""Public (anonymous) QR fault intake and ticket tracking for customers.

Everything here is reachable without a login, so it reveals only what the contract lists
(asset and site names; ticket number, status, time, ETA) and is rate limited in the API layer.
"""
