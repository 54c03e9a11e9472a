"""One aiogram Router per feature; `parsed.Parsed` routes a message by what it parses to."""
