"""The SMS outbox: gateways, the worker task that sends due messages, delivery reports."""
