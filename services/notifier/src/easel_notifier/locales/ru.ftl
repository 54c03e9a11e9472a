# Everything the notifier says in Telegram: status lines, the caption, failures. A
# failure's text is fixed per error code: an event's `detail` never reaches a user, so no
# URL, key or stack trace can leak through one.

## The status message, edited in place

queued = ⏳ В очереди модели { $model }: место { $position }
queued-eta = ⏳ В очереди модели { $model }: место { $position } · { $eta }
generating = 🖼️ Модель { $model } рисует…
generating-eta = 🖼️ Модель { $model } рисует… { $eta }
generating-percent = 🖼️ Модель { $model } рисует… { $percent }%
sending = 📤 Отправляю…
cancelled = ✖ Отменено: изображение от модели { $model } создаваться не будет.

## The photo's caption

caption-head = 🎨 Изображение создано моделью { $model }
caption-seed = 🌱 Сид: { $seed }
caption-ignored = ⚙️ Не учтено (модель { $model } это не поддерживает): { $flags }
caption-enhanced = ✨ Улучшенный промпт:
caption-prompt = ✏️ Промпт:
caption-yours = 💬 Вы написали:

## Failures, one per error code

failure-auth = 🔧 Сервис { $model } отклонил наши учётные данные. Команда уже оповещена; пожалуйста, попробуйте другую модель.
failure-rate-limited = 🚦 Сервис { $model } сейчас перегружен и просит снизить темп. Пожалуйста, попробуйте снова через несколько минут.
failure-moderated = 🚫 Извините, ваш промпт отклонён фильтром безопасности модели. Пожалуйста, переформулируйте его и попробуйте снова.
failure-timeout = ⏱️ Модель { $model } слишком долго создавала ваше изображение. Пожалуйста, попробуйте ещё раз чуть позже.
failure-backend-unavailable = 🔌 Сервис { $model } сейчас недоступен. Пожалуйста, попробуйте позже или выберите другую модель.
failure-invalid-image = 🧩 Модель { $model } вернула изображение, которое не удалось использовать. Пожалуйста, попробуйте ещё раз.
failure-bad-request = ✏️ Модель { $model } не смогла обработать этот промпт. Пожалуйста, переформулируйте его и попробуйте снова.
failure-unknown-model = ❓ Модель { $model } недоступна. Пожалуйста, выберите другую модель.
failure-expired = ⌛ Ваше изображение от модели { $model } было готово, но устарело, прежде чем его удалось отправить. Пожалуйста, отправьте запрос ещё раз.
failure-photo-unavailable = 🖼️ Исходная фотография больше недоступна. Пожалуйста, отправьте её ещё раз.
failure-internal = ⚠️ При создании изображения у нас что-то пошло не так. Команда уже оповещена; пожалуйста, попробуйте ещё раз.
