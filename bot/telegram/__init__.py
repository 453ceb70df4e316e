"""The Telegram front end: translates updates into calls on bot.conversation and renders its replies."""
