"""The Telegram front end: translates updates into calls on bot.conversation.dialogue and renders its replies."""
