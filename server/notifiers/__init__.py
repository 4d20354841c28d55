"""Notifiers: the channels that carry a stream event beyond the in-app stream (the
department's SMS/voice gateway by webhook), each queuing its deliveries in the publishing
transaction and sending them after commit from a per-process dispatcher, with retries."""
