"""The live stream: events kept in order (each an SSE id), the people each is for, and the
receipts of their delivery on every channel (the in-app stream, Web Push, a webhook)."""
