# Everything the notifier says in Telegram: status lines, the caption, failures. A
# failure's text is fixed per error code: an event's `detail` never reaches a user, so no
# URL, key or stack trace can leak through one.

## The status message, edited in place

queued = ⏳ در صف { $model }: جایگاه { $position }
queued-eta = ⏳ در صف { $model }: جایگاه { $position } · { $eta }
generating = 🖼️ در حال ساخت با { $model }…
generating-eta = 🖼️ در حال ساخت با { $model }… { $eta }
generating-percent = 🖼️ در حال ساخت با { $model }… { $percent }٪
sending = 📤 در حال ارسال…
cancelled = ✖ لغو شد: تصویر { $model } شما ساخته نخواهد شد.

## The photo's caption

caption-head = 🎨 تصویر ساخته‌شده با { $model }
caption-seed = 🌱 بذر (seed): { $seed }
caption-ignored = ⚙️ نادیده گرفته شد (برای { $model } نیست): { $flags }
caption-enhanced = ✨ پرامپت بهبودیافته:
caption-prompt = ✏️ پرامپت:
caption-yours = 💬 آنچه خواستید:

## Failures, one per error code

failure-auth = 🔧 سرویس { $model } اعتبارنامهٔ ما را نپذیرفت. تیم ما باخبر شده است؛ لطفاً مدل دیگری را امتحان کنید.
failure-rate-limited = 🚦 سرویس { $model } الان شلوغ است و از ما خواسته آهسته‌تر درخواست بفرستیم. لطفاً چند دقیقهٔ دیگر دوباره تلاش کنید.
failure-moderated = 🚫 متأسفیم، فیلتر ایمنی مدل پرامپت شما را رد کرد. لطفاً آن را به شکل دیگری بنویسید و دوباره تلاش کنید.
failure-timeout = ⏱️ ساخت تصویر شما با { $model } بیش از حد طول کشید. لطفاً کمی بعد دوباره تلاش کنید.
failure-backend-unavailable = 🔌 سرویس { $model } الان در دسترس نیست. لطفاً بعداً دوباره تلاش کنید یا مدل دیگری را امتحان کنید.
failure-invalid-image = 🧩 { $model } تصویری برگرداند که نتوانستیم از آن استفاده کنیم. لطفاً دوباره تلاش کنید.
failure-bad-request = ✏️ { $model } نتوانست با این پرامپت کار کند. لطفاً آن را به شکل دیگری بنویسید و دوباره تلاش کنید.
failure-unknown-model = ❓ مدل { $model } در دسترس نیست. لطفاً مدل دیگری انتخاب کنید.
failure-expired = ⌛ تصویر { $model } شما آماده بود، اما پیش از ارسال منقضی شد. لطفاً درخواستتان را دوباره بفرستید.
failure-photo-unavailable = 🖼️ عکسی که قرار بود از آن شروع شود دیگر در دسترس نیست. لطفاً دوباره آن را بفرستید.
failure-internal = ⚠️ هنگام ساخت تصویر شما مشکلی از سمت ما پیش آمد. تیم ما باخبر شده است؛ لطفاً دوباره تلاش کنید.
