# Texts two services show: the gateway and the notifier.

# The status message's button, while its job waits or renders.
button-cancel = ✖ İptal
# Under a delivered photo.
button-again = 🔁 Tekrar
button-variation = 🎲 Varyasyon

# A paused model, to its new and waiting users.
pause-note = ⏸ { $model } duraklatıldı. İsteğiniz sıradaki yerini koruyor.
pause-note-why = ⏸ { $model } duraklatıldı: { $reason }. İsteğiniz sıradaki yerini koruyor.

# An estimate, as people say it.
about-seconds = yaklaşık { $count } sn
about-minutes = yaklaşık { $count } dk
