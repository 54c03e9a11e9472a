"""The Telegram front door: the bot, one aiogram router per feature, the middlewares, and
the two ways updates arrive (polling with a lease, or a webhook)."""
