"""WhatsApp Business Cloud API: Meta's webhook in, Graph API messages out, on the same conversation core."""
