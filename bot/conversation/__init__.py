"""What the bot says and decides, for any channel: the conversation's turns, answers, "Ask a person", the
interface strings and the offer to switch language. Channels call :class:`bot.conversation.dialogue.Conversation`
and render the :class:`~bot.conversation.dialogue.Message` it returns.
"""
