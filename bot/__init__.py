"""NOWCommunities worker-rights bot.

The domain core (knowledge, text, language, matching, answers) knows nothing of
Telegram; ``bot.channels.telegram`` and ``bot.channels.terminal`` are thin front ends over it.
"""
