# Texts two services show: the gateway and the notifier.

# The status message's button, while its job waits or renders.
button-cancel = ✖ لغو
# Under a delivered photo.
button-again = 🔁 دوباره
button-variation = 🎲 نسخهٔ دیگر

# A paused model, to its new and waiting users.
pause-note = ⏸ { $model } موقتاً متوقف است. درخواست شما جایش را در صف نگه می‌دارد.
pause-note-why = ⏸ { $model } موقتاً متوقف است: { $reason }. درخواست شما جایش را در صف نگه می‌دارد.

# An estimate, as people say it.
about-seconds = حدود { $count } ثانیه
about-minutes = حدود { $count } دقیقه
