# Everything the notifier says in Telegram: status lines, the caption, failures. A
# failure's text is fixed per error code: an event's `detail` never reaches a user, so no
# URL, key or stack trace can leak through one.

## The status message, edited in place

queued = ⏳ In { $model } queue: position { $position }
queued-eta = ⏳ In { $model } queue: position { $position } · { $eta }
generating = 🖼️ Generating with { $model }…
generating-eta = 🖼️ Generating with { $model }… { $eta }
generating-percent = 🖼️ Generating with { $model }… { $percent }%
sending = 📤 Sending…
cancelled = ✖ Cancelled: your { $model } image will not be made.

## The photo's caption

caption-head = 🎨 Image generated with { $model }
caption-seed = 🌱 Seed: { $seed }
caption-ignored = ⚙️ Ignored (not for { $model }): { $flags }
caption-enhanced = ✨ Enhanced prompt:
caption-prompt = ✏️ Prompt:
caption-yours = 💬 You asked:

## Failures, one per error code

failure-auth = 🔧 The { $model } service rejected our credentials. The team has been alerted; please try another model.
failure-rate-limited = 🚦 The { $model } service is busy right now and asked us to slow down. Please try again in a few minutes.
failure-moderated = 🚫 Sorry, your prompt was rejected by the model's safety filter. Please rephrase it and try again.
failure-timeout = ⏱️ { $model } took too long to create your image. Please try again in a moment.
failure-backend-unavailable = 🔌 The { $model } service is unavailable right now. Please try again later or try another model.
failure-invalid-image = 🧩 { $model } returned an image we could not use. Please try again.
failure-bad-request = ✏️ { $model } could not work with this prompt. Please rephrase it and try again.
failure-unknown-model = ❓ The model { $model } is not available. Please choose another model.
failure-expired = ⌛ Your { $model } image was ready, but it expired before it could be sent. Please send your request again.
failure-photo-unavailable = 🖼️ The photo to start from is no longer available. Please send it again.
failure-internal = ⚠️ Something went wrong on our side while creating your image. The team has been alerted; please try again.
