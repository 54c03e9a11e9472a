# Everything the gateway says to Telegram users. Plain text (no parse mode): user input
# echoed back can never break formatting. Numbers that are ids (users, seeds) arrive as
# text, so they are never grouped (1,234).

## A request's first status, and why one is not queued

status-enhancing = 🎨 در حال بهبود پرامپت…
queue-failed = ⚠️ متأسفانه Easel فعلاً نتوانست درخواست شما را در صف بگذارد؛ لطفاً دوباره تلاش کنید.
blocked = 🚫 متأسفم، نمی‌توانم این یکی را بسازم: پرامپت کلماتی دارد که گردانندهٔ این ربات اجازه نمی‌دهد. لطفاً آن را به شکل دیگری بنویسید.
not-allowed = 🔒 متأسفم، این ربات فقط برای کاربران دعوت‌شده باز است. برای دسترسی از گردانندهٔ آن درخواست کنید.
rate-limited = ⏱️ کمی آهسته‌تر: حداکثر { $limit } تصویر در هر { $window } ثانیه. { $wait } ثانیهٔ دیگر دوباره تلاش کنید.
too-many-active = ⏳ شما { $limit ->
        [one] { $limit } درخواست
       *[other] { $limit } درخواست
    } در جریان دارید که بیشترین تعداد هم‌زمان است. صبر کنید تا یکی تمام شود، یا یکی را با /cancel لغو کنید.
unknown-command = دستور { $name-command } را نمی‌شناسم. برای دیدن کارهایی که از من برمی‌آید، /help را بفرستید.

## Rejected commands

which-model = کدام مدل؟ مدل‌های موجود: { $models }. مثال: /image={ $default }=یک گربه
unknown-model = مدل «{ $name }» ناشناخته است. مدل‌های موجود: { $models }.
empty-prompt = ✏️ پرامپت خالی است — امتحان کنید: /image={ $model }=یک گربه روی لبهٔ پنجره
prompt-too-long = ✂️ پرامپت { $length } نویسه است؛ حداکثر { $limit } نویسه مجاز است. لطفاً آن را کوتاه‌تر کنید.
bad-parameter = ⚙️ { $detail }
photo-not-taken = 🖼️ { $model } نمی‌تواند از روی عکس شروع کند.
photo-not-taken-others = 🖼️ { $model } نمی‌تواند از روی عکس شروع کند. مدل‌هایی که می‌توانند: { $models }.
photo-needed = 🖼️ { $model } از روی یک عکس شروع می‌کند: دستور را به‌عنوان کپشن یک عکس یا در پاسخ به یک عکس بفرستید.

## Parameters (--size, --seed …) out of range

param-unknown = پارامتر --{ $flag } ناشناخته است. پارامترهای شناخته‌شده: { $known }.
param-twice = پارامتر --{ $flag } دو بار آمده است.
param-no-value = پارامتر --{ $flag } به یک مقدار نیاز دارد، مثلاً { $example }.
param-size-and-ar = یا --size بدهید یا --ar، نه هر دو را.
param-strength-without-photo = پارامتر --strength برای عکس است: دستور را به‌عنوان کپشن یک عکس یا در پاسخ به یک عکس بفرستید.
param-seed = پارامتر --seed یک عدد صحیح از 0 تا { $max } می‌گیرد.
param-negative-too-long = پارامتر --no حداکثر { $max } نویسه می‌گیرد.
param-steps = پارامتر --steps یک عدد صحیح از 1 تا 150 می‌گیرد.
param-strength = پارامتر --strength عددی از 0.0 تا 1.0 می‌گیرد.
param-size-form = پارامتر --size به شکل WxH است، مثلاً --size 1024x1024.
param-size-not-made = { $model } این اندازه‌ها را می‌سازد: { $sizes }؛ نه { $size }.
param-size-range = پارامتر --size برای هر ضلع از 64 تا 4096 پیکسل می‌گیرد.
param-ar-form = پارامتر --ar به شکل W:H است، مثلاً --ar 16:9.
param-ar-no-sizes = { $model } فهرستی از اندازه‌ها برای انتخاب ندارد: --size WxH را بدهید.

## /start, /help, /models

start = 👋 سلام! من Easel هستم: توضیحی برایم بفرستید تا آن را نقاشی کنم.

    امتحان کنید: /image یک گربه روی لبهٔ پنجره

    { $help }
help =
    /image <prompt> — یک تصویر با { $default }
    /image={ $other }=<prompt> — انتخاب مدل، مثلاً /image={ $other }=فانوس دریایی در غروب
    { $other-command } <prompt> — همان، کوتاه‌تر
      پس از پرامپت، اگر مدل آن‌ها را بپذیرد: --ar 16:9  --size 1024x1024  --seed 42  --no text, watermark  --steps 30
      به‌عنوان کپشن یک عکس یا در پاسخ به یک عکس، برای شروع از روی آن: --strength 0.5
    /status — درخواست‌های در جریان شما
    /cancel — لغو درخواست‌های در جریان شما
    /history — آخرین تصویرهای شما، برای گرفتن دوبارهٔ هر کدام
    /models — مدل‌هایی که می‌توانید استفاده کنید
    /language — زبانی که با آن پاسخ می‌دهم
    /help — همین پیام

    پرامپت‌ها: حداکثر { $prompt-limit } نویسه. حداکثر { $limit } تصویر در هر { $window } ثانیه.
models-title = مدل‌های موجود:
models-default = { $name } — { $display } (پیش‌فرض)
models-other = { $name } — { $display }
models-usage = برای استفاده از یکی: /image={ $default }=<prompt> یا { $default-command } <prompt>

## The command menu (setMyCommands)

command-image = کشیدن تصویر: /image <prompt>
command-status = درخواست‌های در جریان شما
command-cancel = لغو درخواست‌های در جریان شما
command-history = آخرین تصویرهای شما
command-models = مدل‌هایی که می‌توانید استفاده کنید
command-language = زبانی که با آن پاسخ می‌دهم
command-help = راهنمای استفاده از Easel
command-allow = مدیر: دادن دسترسی به یک کاربر: /allow <user id>
command-deny = مدیر: گرفتن دسترسی از یک کاربر: /deny <user id>
command-pause = مدیر: توقف موقت یک مدل: /pause <model> [reason]
command-resume = مدیر: ازسرگیری یک مدل: /resume <model>
command-stats = مدیر: صف‌ها، کارها و خطاهای هر مدل

## /language

language-choose = 🌐 به چه زبانی پاسخ بدهم؟
language-set = 🌐 از این به بعد به فارسی پاسخ می‌دهم.

## The user's own jobs: /status, /cancel, /history and their buttons

none-in-progress = هیچ درخواستی در جریان ندارید.
none-in-progress-start = هیچ درخواستی در جریان ندارید. برای شروع، /image <prompt> را بفرستید.
cancelled-count = ✖ { $count ->
        [one] { $count } درخواست
       *[other] { $count } درخواست
    } لغو شد.
status-title = درخواست‌های در جریان شما:
status-line = • { $model } — { $stage }: «{ $prompt }»
status-line-place = • { $model } — { $stage }، جایگاه { $place }: «{ $prompt }»
status-line-place-eta = • { $model } — { $stage }، جایگاه { $place }، { $eta }: «{ $prompt }»
status-line-eta = • { $model } — { $stage }، { $eta }: «{ $prompt }»
history-empty = هنوز تصویری ندارید. برای شروع، /image <prompt> را بفرستید.
history-title = آخرین { $count ->
        [one] درخواست شما
       *[other] { $count } درخواست شما
    }:
history-line = { $n }. { $model } · «{ $prompt }» · { $stage } · { $when }
history-again = 🖼️ تکرار { $n }
ago-days = { $count } روز پیش
ago-hours = { $count } ساعت پیش
ago-minutes = { $count } دقیقه پیش
ago-now = همین حالا
stage-enhancing = در حال بهبود پرامپت
stage-waiting = در صف
stage-generating = در حال ساخت
stage-sending = در حال ارسال
stage-delivered = ارسال‌شده
stage-failed = ناموفق
stage-cancelled = لغوشده
cancelled = لغو شد.
not-yours = این درخواست متعلق به شما نیست.
unknown-job = اطلاعاتی از این درخواست (دیگر) در دست نیست.
photo-gone = این تصویر دیگر در دسترس نیست.
ended-delivering = دیگر دیر است: تصویر در راه است.
ended-delivered = قبلاً ارسال شده است.
ended-failed = قبلاً ناموفق بوده است.
ended-cancelled = قبلاً لغو شده است.
ended = قبلاً به پایان رسیده است.

## Photos to start from, and the buttons under a delivered one

no-photo = 🖼️ متأسفانه Easel نتوانست عکس شما را از تلگرام دریافت کند؛ لطفاً دوباره آن را بفرستید.
start-photo-gone = 🖼️ عکسی که این درخواست از آن شروع شده بود دیگر نگه‌داری نمی‌شود؛ لطفاً دوباره آن را بفرستید.
on-it = چشم، شروع کردم!

## The admins' controls

admins-only = این دستور مخصوص مدیران ربات است.
control-failed = ⚠️ پاسخی از NATS نیامد؛ چیزی تغییر نکرد. لطفاً دوباره تلاش کنید.
user-allowed = ✅ کاربر { $user } می‌تواند از ربات استفاده کند.
user-denied = ⛔ کاربر { $user } دیگر نمی‌تواند از ربات استفاده کند.
paused = ⏸ { $model } موقتاً متوقف شد: کارهایش به ترتیب در صف می‌مانند تا /resume { $model }. دلیلی ذکر نشده است.
paused-why = ⏸ { $model } موقتاً متوقف شد: کارهایش به ترتیب در صف می‌مانند تا /resume { $model }. دلیلی که به کاربران نشان داده می‌شود: { $reason }
resumed = ▶️ { $model } از سر گرفته شد.
not-paused = { $model } متوقف نبود.
stats-title = 📊 Easel
stats-model = { $model }: { $paused ->
        [yes] ⏸ متوقف
       *[no] در حال کار
    }، مدار { $circuit }
      صف { $depth }، طولانی‌ترین انتظار { $wait } ثانیه
      یک ساعت اخیر: { $requested } درخواست‌شده، { $delivered } ارسال‌شده، { $failed } ناموفق، { $cancelled } لغوشده
circuit-closed = بسته
circuit-open = باز از { $since } UTC
circuit-half-open = نیمه‌باز از { $since } UTC
usage-user = { $action-command } <Telegram user id>، مثلاً { $action-command } 12345
usage-model = { $action-command } <model> — یکی از { $models }
usage-reason = دلیل حداکثر می‌تواند { $max } نویسه باشد.

## The web page at / (in the browser's language; `{name}` is filled in by the page)

page-key-label = کلید API
page-key-save = استفاده از این کلید
page-key-hint = فقط در همین مرورگر نگه داشته می‌شود. گردانندهٔ سرویس آن را این‌طور می‌سازد: easel keys create NAME
page-model = مدل
page-prompt = پرامپت
page-prompt-example = یک گربه روی لبهٔ پنجره
page-generate = بساز
page-forget = فراموش کردن کلید
page-cancel = لغو
page-connecting = در حال اتصال…
page-stage-queued = در صف
page-stage-enhancing = در حال بهبود پرامپت
page-stage-waiting = در انتظار نوبت
page-stage-generating = در حال ساخت
page-stage-succeeded = آماده شد
page-stage-failed = ناموفق
page-stage-cancelled = لغو شد
page-next-in-line = نفر بعدی در صف
page-position = جایگاه { $position } در صف
page-ready-in = آماده در حدود { $seconds } ثانیه
page-model-saw = آنچه مدل دید: { $prompt }
page-key-refused = این کلید پذیرفته نشد.
page-image-expired = مهلت این تصویر تمام شده است.
page-no-such-job = چنین کاری برای این کلید وجود ندارد.
page-error = خطا: { $code }
page-error-timeout = مدل بیش از حد طول کشید.
page-error-auth = مدل اعتبارنامهٔ Easel را نپذیرفت.
page-error-rate-limited = مدل سرش شلوغ است؛ بعداً دوباره امتحان کنید.
page-error-moderated = مدل این پرامپت را نپذیرفت.
page-error-bad-request = مدل نتوانست این درخواست را انجام دهد.
page-error-backend-unavailable = مدل در حال حاضر در دسترس نیست.
page-error-invalid-image = آنچه مدل فرستاد تصویر نیست.
page-error-unknown-model = این مدل در دسترس نیست.
page-error-expired = مهلت تصویر پیش از نمایش تمام شد.
page-error-photo-unavailable = عکسی که قرار بود از آن شروع شود دیگر در دسترس نیست.
page-error-internal = مشکلی درون Easel پیش آمد.
