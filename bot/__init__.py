"""NOWCommunities worker-rights bot.

The domain core (knowledge, text, language, matching, answers) knows nothing of
Telegram; ``bot.telegram`` and ``bot.chat`` are thin front ends over it.
"""
