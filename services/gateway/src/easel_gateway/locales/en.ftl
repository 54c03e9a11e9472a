# Everything the gateway says to Telegram users. Plain text (no parse mode): user input
# echoed back can never break formatting. Numbers that are ids (users, seeds) arrive as
# text, so they are never grouped (1,234).

## A request's first status, and why one is not queued

status-enhancing = 🎨 Enhancing prompt…
queue-failed = ⚠️ Easel could not queue your request right now; please try again.
blocked = 🚫 Sorry, I can't make this one: the prompt has words this bot's operator does not allow. Please rephrase it.
not-allowed = 🔒 Sorry, this bot is open to invited users only. Ask its operator for access.
rate-limited = ⏱️ Slow down: at most { $limit } images per { $window } s. Try again in { $wait } s.
too-many-active = ⏳ You have { $limit ->
        [one] { $limit } request
       *[other] { $limit } requests
    } in progress, the most at once. Wait for one to finish, or /cancel one.
unknown-command = I don't know { $name-command }. Send /help to see what I can do.

## Rejected commands

which-model = Which model? Available: { $models }. Example: /image={ $default }=a cat
unknown-model = Unknown model “{ $name }”. Available: { $models }.
empty-prompt = ✏️ Empty prompt — try /image={ $model }=a cat on a windowsill
prompt-too-long = ✂️ Prompt is { $length } characters; the limit is { $limit }. Please shorten it.
bad-parameter = ⚙️ { $detail }
photo-not-taken = 🖼️ { $model } cannot start from a photo.
photo-not-taken-others = 🖼️ { $model } cannot start from a photo. Models that can: { $models }.
photo-needed = 🖼️ { $model } starts from a photo: send the command as a photo's caption, or in reply to one.

## Parameters (--size, --seed …) out of range

param-unknown = Unknown parameter --{ $flag }. Known: { $known }.
param-twice = --{ $flag } is given twice.
param-no-value = --{ $flag } needs a value, e.g. { $example }.
param-size-and-ar = Give --size or --ar, not both.
param-strength-without-photo = --strength is for a photo: send the command as a photo's caption, or in reply to one.
param-seed = --seed takes a whole number from 0 to { $max }.
param-negative-too-long = --no takes at most { $max } characters.
param-steps = --steps takes a whole number from 1 to 150.
param-strength = --strength takes a number from 0.0 to 1.0.
param-size-form = --size takes WxH, e.g. --size 1024x1024.
param-size-not-made = { $model } makes { $sizes }; not { $size }.
param-size-range = --size takes 64 to 4096 pixels a side.
param-ar-form = --ar takes W:H, e.g. --ar 16:9.
param-ar-no-sizes = { $model } lists no sizes to choose from: give --size WxH.

## /start, /help, /models

start = 👋 Hi! I'm Easel: send me a description and I'll paint it.

    Try /image a cat on a windowsill

    { $help }
help =
    /image <prompt> — an image with { $default }
    /image={ $other }=<prompt> — pick the model, e.g. /image={ $other }=a lighthouse at dusk
    { $other-command } <prompt> — the same, shorter
      after the prompt, where the model takes them: --ar 16:9  --size 1024x1024  --seed 42  --no text, watermark  --steps 30
      as a photo's caption, or in reply to one, to start from it: --strength 0.5
    /status — your requests in progress
    /cancel — cancel your requests in progress
    /history — your last images, to get one again
    /models — the models you can use
    /language — the language I answer in
    /help — this message

    Prompts: up to { $prompt-limit } characters. At most { $limit } images per { $window } s.
models-title = Available models:
models-default = { $name } — { $display } (default)
models-other = { $name } — { $display }
models-usage = Use one with /image={ $default }=<prompt> or { $default-command } <prompt>

## The command menu (setMyCommands)

command-image = Paint a picture: /image <prompt>
command-status = Your requests in progress
command-cancel = Cancel your requests in progress
command-history = Your last images
command-models = The models you can use
command-language = The language I answer in
command-help = How to use Easel
command-allow = Admin: let a user in: /allow <user id>
command-deny = Admin: keep a user out: /deny <user id>
command-pause = Admin: pause a model: /pause <model> [reason]
command-resume = Admin: resume a model: /resume <model>
command-stats = Admin: queues, jobs and failures per model

## /language

language-choose = 🌐 Which language should I answer in?
language-set = 🌐 From now on I answer in English.

## The user's own jobs: /status, /cancel, /history and their buttons

none-in-progress = You have no requests in progress.
none-in-progress-start = You have no requests in progress. Send /image <prompt> to start one.
cancelled-count = ✖ Cancelled { $count ->
        [one] { $count } request
       *[other] { $count } requests
    }.
status-title = Your requests in progress:
status-line = • { $model } — { $stage }: “{ $prompt }”
status-line-place = • { $model } — { $stage }, position { $place }: “{ $prompt }”
status-line-place-eta = • { $model } — { $stage }, position { $place }, { $eta }: “{ $prompt }”
status-line-eta = • { $model } — { $stage }, { $eta }: “{ $prompt }”
history-empty = No images yet. Send /image <prompt> to start one.
history-title = Your last { $count ->
        [one] request
       *[other] { $count } requests
    }:
history-line = { $n }. { $model } · “{ $prompt }” · { $stage } · { $when }
history-again = 🖼️ { $n } again
ago-days = { $count } d ago
ago-hours = { $count } h ago
ago-minutes = { $count } min ago
ago-now = just now
stage-enhancing = enhancing the prompt
stage-waiting = in the queue
stage-generating = generating
stage-sending = sending
stage-delivered = delivered
stage-failed = failed
stage-cancelled = cancelled
cancelled = Cancelled.
not-yours = This is not your request.
unknown-job = This request is not known (any more).
photo-gone = This image is no longer available.
ended-delivering = Too late: it is on its way.
ended-delivered = Already delivered.
ended-failed = It already failed.
ended-cancelled = Already cancelled.
ended = It has already ended.

## Photos to start from, and the buttons under a delivered one

no-photo = 🖼️ Easel could not fetch your photo from Telegram; please send it again.
start-photo-gone = 🖼️ The photo this started from is no longer kept; please send it again.
on-it = On it!

## The admins' controls

admins-only = This command is for the bot's admins.
control-failed = ⚠️ NATS did not answer; nothing was changed. Please try again.
user-allowed = ✅ User { $user } may use the bot.
user-denied = ⛔ User { $user } may no longer use the bot.
paused = ⏸ { $model } is paused: its jobs wait, in order, until /resume { $model }. No reason given.
paused-why = ⏸ { $model } is paused: its jobs wait, in order, until /resume { $model }. Reason shown to users: { $reason }
resumed = ▶️ { $model } resumed.
not-paused = { $model } was not paused.
stats-title = 📊 Easel
stats-model = { $model }: { $paused ->
        [yes] ⏸ paused
       *[no] running
    }, circuit { $circuit }
      queue { $depth }, oldest wait { $wait } s
      last hour: { $requested } requested, { $delivered } delivered, { $failed } failed, { $cancelled } cancelled
circuit-closed = closed
circuit-open = open since { $since } UTC
circuit-half-open = half-open since { $since } UTC
usage-user = { $action-command } <Telegram user id>, e.g. { $action-command } 12345
usage-model = { $action-command } <model> — one of { $models }
usage-reason = The reason may have at most { $max } characters.

## The web page at / (in the browser's language; `{name}` is filled in by the page)

page-key-label = API key
page-key-save = Use this key
page-key-hint = Kept in this browser only. An operator makes one with: easel keys create NAME
page-model = Model
page-prompt = Prompt
page-prompt-example = a cat on a windowsill
page-generate = Generate
page-forget = Forget key
page-cancel = Cancel
page-connecting = Connecting…
page-stage-queued = Queued
page-stage-enhancing = Enhancing the prompt
page-stage-waiting = Waiting in line
page-stage-generating = Generating
page-stage-succeeded = Done
page-stage-failed = Failed
page-stage-cancelled = Cancelled
page-next-in-line = Next in line
page-position = Position { $position } in line
page-ready-in = ready in about { $seconds } s
page-model-saw = Model saw: { $prompt }
page-key-refused = That key was refused.
page-image-expired = The image has expired.
page-no-such-job = No such job for this key.
page-error = Error: { $code }
page-error-timeout = The model took too long.
page-error-auth = The model refused Easel's credentials.
page-error-rate-limited = The model is busy; try again later.
page-error-moderated = The model refused this prompt.
page-error-bad-request = The model could not take this request.
page-error-backend-unavailable = The model is unavailable right now.
page-error-invalid-image = The model sent back something that is not an image.
page-error-unknown-model = That model is not available.
page-error-expired = The image expired before it was shown.
page-error-photo-unavailable = The photo to start from is no longer available.
page-error-internal = Something went wrong inside Easel.
