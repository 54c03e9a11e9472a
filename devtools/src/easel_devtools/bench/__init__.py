"""`just bench`: Easel measured for real under load and Telegram's limits (see __main__)."""
