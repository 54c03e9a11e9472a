# Texts two services show: the gateway and the notifier.

# The status message's button, while its job waits or renders.
button-cancel = ✖ Отменить
# Under a delivered photo.
button-again = 🔁 Ещё раз
button-variation = 🎲 Вариация

# A paused model, to its new and waiting users.
pause-note = ⏸ { $model } на паузе. Ваш запрос сохраняет место в очереди.
pause-note-why = ⏸ { $model } на паузе: { $reason }. Ваш запрос сохраняет место в очереди.

# An estimate, as people say it.
about-seconds = около { $count } с
about-minutes = около { $count } мин
