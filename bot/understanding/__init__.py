"""Understanding a worker's message: text clean-up, which language form it is written in, and which entry it asks.

Knows the knowledge base's model and nothing above it: no conversation, no stores, no channel.
"""
