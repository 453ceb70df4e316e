"""The ways workers reach the bot. Each channel translates its updates into calls on the conversation core and
renders its replies; channels never import each other, and nothing outside this package imports a channel."""
