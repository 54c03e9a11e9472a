# Texts two services show: the gateway and the notifier.

# The status message's button, while its job waits or renders.
button-cancel = ✖ Cancel
# Under a delivered photo.
button-again = 🔁 Again
button-variation = 🎲 Variation

# A paused model, to its new and waiting users.
pause-note = ⏸ { $model } is paused. Your request keeps its place in line.
pause-note-why = ⏸ { $model } is paused: { $reason }. Your request keeps its place in line.

# An estimate, as people say it.
about-seconds = about { $count } s
about-minutes = about { $count } min
