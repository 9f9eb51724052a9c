"""A webhook receiver for CustomerSignal alerts that people can import or copy (stdlib + ``cryptography``).

``sns_verify`` checks Amazon SNS signatures and confirms subscriptions. ``app`` is an example WSGI receiver.
It also checks our Standard-Webhooks HMAC (``customersignal.domain.webhook_signing``, stdlib only) and
rejects replays. See README.md.
"""
