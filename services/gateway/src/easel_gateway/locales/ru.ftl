# Everything the gateway says to Telegram users. Plain text (no parse mode): user input
# echoed back can never break formatting. Numbers that are ids (users, seeds) arrive as
# text, so they are never grouped (1,234).

## A request's first status, and why one is not queued

status-enhancing = 🎨 Улучшаю промпт…
queue-failed = ⚠️ Easel не удалось поставить ваш запрос в очередь. Пожалуйста, попробуйте ещё раз.
blocked = 🚫 Извините, этого я сделать не могу: в промпте есть слова, которые оператор бота не разрешает. Пожалуйста, переформулируйте его.
not-allowed = 🔒 Извините, этот бот доступен только приглашённым пользователям. Попросите доступ у его оператора.
rate-limited = ⏱️ Не так быстро: лимит — { $limit ->
        [one] { $limit } изображение
        [few] { $limit } изображения
        [many] { $limit } изображений
       *[other] { $limit } изображения
    } за { $window } с. Попробуйте снова через { $wait } с.
too-many-active = ⏳ У вас в работе уже { $limit ->
        [one] { $limit } запрос
        [few] { $limit } запроса
        [many] { $limit } запросов
       *[other] { $limit } запроса
    } — это максимум. Дождитесь, пока один из них завершится, или отмените его командой /cancel.
unknown-command = Команда { $name-command } мне неизвестна. Отправьте /help, чтобы узнать, что я умею.

## Rejected commands

which-model = Какую модель использовать? Доступны: { $models }. Пример: /image={ $default }=кот
unknown-model = Неизвестная модель «{ $name }». Доступны: { $models }.
empty-prompt = ✏️ Пустой промпт — попробуйте /image={ $model }=кот на подоконнике
prompt-too-long = ✂️ В промпте { $length ->
        [one] { $length } символ
        [few] { $length } символа
        [many] { $length } символов
       *[other] { $length } символа
    }, а максимум — { $limit }. Пожалуйста, сократите его.
bad-parameter = ⚙️ { $detail }
photo-not-taken = 🖼️ Модель { $model } не умеет брать фотографию за основу.
photo-not-taken-others = 🖼️ Модель { $model } не умеет брать фотографию за основу. Это умеют модели: { $models }.
photo-needed = 🖼️ Модель { $model } рисует на основе фотографии: отправьте команду в подписи к фото или ответом на него.

## Parameters (--size, --seed …) out of range

param-unknown = Неизвестный параметр --{ $flag }. Известные: { $known }.
param-twice = Параметр --{ $flag } указан дважды.
param-no-value = Для --{ $flag } нужно значение, например { $example }.
param-size-and-ar = Укажите либо --size, либо --ar, но не оба сразу.
param-strength-without-photo = --strength работает только с фотографией: отправьте команду в подписи к фото или ответом на него.
param-seed = --seed принимает целое число от 0 до { $max }.
param-negative-too-long = В --no можно указать максимум { $max ->
        [one] { $max } символ
        [few] { $max } символа
        [many] { $max } символов
       *[other] { $max } символа
    }.
param-steps = --steps принимает целое число от 1 до 150.
param-strength = --strength принимает число от 0.0 до 1.0.
param-size-form = --size задаётся как WxH, например --size 1024x1024.
param-size-not-made = Модель { $model } поддерживает размеры { $sizes }, но не { $size }.
param-size-range = --size принимает от 64 до 4096 пикселей по каждой стороне.
param-ar-form = --ar задаётся как W:H, например --ar 16:9.
param-ar-no-sizes = У модели { $model } нет списка размеров для выбора: укажите --size WxH.

## /start, /help, /models

start = 👋 Здравствуйте! Я Easel: пришлите мне описание, и я его нарисую.

    Попробуйте /image кот на подоконнике

    { $help }
help =
    /image <prompt> — изображение от модели { $default }
    /image={ $other }=<prompt> — выбрать модель, например /image={ $other }=маяк в сумерках
    { $other-command } <prompt> — то же самое, короче
      после промпта, если модель их поддерживает: --ar 16:9  --size 1024x1024  --seed 42  --no текст, водяной знак  --steps 30
      в подписи к фото или в ответе на него, чтобы взять его за основу: --strength 0.5
    /status — ваши запросы в работе
    /cancel — отменить ваши запросы в работе
    /history — ваши последние изображения, чтобы получить их снова
    /models — доступные вам модели
    /language — язык, на котором я отвечаю
    /help — это сообщение

    Промпт — максимум { $prompt-limit ->
        [one] { $prompt-limit } символ
        [few] { $prompt-limit } символа
        [many] { $prompt-limit } символов
       *[other] { $prompt-limit } символа
    }. Лимит — { $limit ->
        [one] { $limit } изображение
        [few] { $limit } изображения
        [many] { $limit } изображений
       *[other] { $limit } изображения
    } за { $window } с.
models-title = Доступные модели:
models-default = { $name } — { $display } (по умолчанию)
models-other = { $name } — { $display }
models-usage = Выберите модель так: /image={ $default }=<prompt> или { $default-command } <prompt>

## The command menu (setMyCommands)

command-image = Нарисовать картинку: /image <prompt>
command-status = Ваши запросы в работе
command-cancel = Отменить ваши запросы в работе
command-history = Ваши последние изображения
command-models = Доступные вам модели
command-language = Язык, на котором я отвечаю
command-help = Как пользоваться Easel
command-allow = Админ: открыть доступ пользователю: /allow <user id>
command-deny = Админ: закрыть доступ пользователю: /deny <user id>
command-pause = Админ: поставить модель на паузу: /pause <model> [reason]
command-resume = Админ: снять модель с паузы: /resume <model>
command-stats = Админ: очереди, задачи и сбои по моделям

## /language

language-choose = 🌐 На каком языке мне отвечать?
language-set = 🌐 Теперь я отвечаю на русском.

## The user's own jobs: /status, /cancel, /history and their buttons

none-in-progress = У вас нет запросов в работе.
none-in-progress-start = У вас нет запросов в работе. Отправьте /image <prompt>, чтобы начать.
cancelled-count = ✖ Отменено: { $count ->
        [one] { $count } запрос
        [few] { $count } запроса
        [many] { $count } запросов
       *[other] { $count } запроса
    }.
status-title = Ваши запросы в работе:
status-line = • { $model } — { $stage }: «{ $prompt }»
status-line-place = • { $model } — { $stage }, место { $place }: «{ $prompt }»
status-line-place-eta = • { $model } — { $stage }, место { $place }, { $eta }: «{ $prompt }»
status-line-eta = • { $model } — { $stage }, { $eta }: «{ $prompt }»
history-empty = Изображений пока нет. Отправьте /image <prompt>, чтобы создать первое.
history-title = { $count ->
        [one] Ваш последний запрос
        [few] Ваши последние { $count } запроса
        [many] Ваши последние { $count } запросов
       *[other] Ваши последние { $count } запроса
    }:
history-line = { $n }. { $model } · «{ $prompt }» · { $stage } · { $when }
history-again = 🖼️ { $n } ещё раз
ago-days = { $count ->
        [one] { $count } день назад
        [few] { $count } дня назад
        [many] { $count } дней назад
       *[other] { $count } дня назад
    }
ago-hours = { $count ->
        [one] { $count } час назад
        [few] { $count } часа назад
        [many] { $count } часов назад
       *[other] { $count } часа назад
    }
ago-minutes = { $count ->
        [one] { $count } минуту назад
        [few] { $count } минуты назад
        [many] { $count } минут назад
       *[other] { $count } минуты назад
    }
ago-now = только что
stage-enhancing = улучшение промпта
stage-waiting = в очереди
stage-generating = генерация
stage-sending = отправка
stage-delivered = доставлено
stage-failed = ошибка
stage-cancelled = отменено
cancelled = Отменено.
not-yours = Это не ваш запрос.
unknown-job = Этот запрос не найден (возможно, он уже устарел).
photo-gone = Это изображение больше недоступно.
ended-delivering = Слишком поздно: изображение уже отправляется.
ended-delivered = Уже доставлено.
ended-failed = Этот запрос уже завершился ошибкой.
ended-cancelled = Уже отменено.
ended = Этот запрос уже завершён.

## Photos to start from, and the buttons under a delivered one

no-photo = 🖼️ Easel не удалось получить вашу фотографию из Telegram. Пожалуйста, отправьте её ещё раз.
start-photo-gone = 🖼️ Исходная фотография больше не хранится. Пожалуйста, отправьте её ещё раз.
on-it = Сейчас сделаю!

## The admins' controls

admins-only = Эта команда только для администраторов бота.
control-failed = ⚠️ NATS не ответил, ничего не изменено. Пожалуйста, попробуйте ещё раз.
user-allowed = ✅ Пользователь { $user } может пользоваться ботом.
user-denied = ⛔ Пользователь { $user } больше не может пользоваться ботом.
paused = ⏸ Модель { $model } на паузе: её задачи ждут в очереди по порядку до /resume { $model }. Причина не указана.
paused-why = ⏸ Модель { $model } на паузе: её задачи ждут в очереди по порядку до /resume { $model }. Причина, которую увидят пользователи: { $reason }
resumed = ▶️ Модель { $model } снова работает.
not-paused = Модель { $model } не была на паузе.
stats-title = 📊 Easel
stats-model = { $model }: { $paused ->
        [yes] ⏸ на паузе
       *[no] работает
    }, предохранитель: { $circuit }
      очередь: { $depth }, самое долгое ожидание: { $wait } с
      за последний час: запрошено { $requested }, доставлено { $delivered }, сбоев { $failed }, отменено { $cancelled }
circuit-closed = замкнут
circuit-open = разомкнут с { $since } UTC
circuit-half-open = в пробном режиме с { $since } UTC
usage-user = { $action-command } <Telegram user id>, например { $action-command } 12345
usage-model = { $action-command } <model> — одна из моделей: { $models }
usage-reason = Причина может содержать максимум { $max ->
        [one] { $max } символ
        [few] { $max } символа
        [many] { $max } символов
       *[other] { $max } символа
    }.

## The web page at / (in the browser's language; `{name}` is filled in by the page)

page-key-label = API-ключ
page-key-save = Использовать этот ключ
page-key-hint = Хранится только в этом браузере. Оператор создаёт ключ командой: easel keys create NAME
page-model = Модель
page-prompt = Промпт
page-prompt-example = кот на подоконнике
page-generate = Создать
page-forget = Забыть ключ
page-cancel = Отменить
page-connecting = Подключение…
page-stage-queued = В очереди
page-stage-enhancing = Улучшение промпта
page-stage-waiting = Ожидание очереди
page-stage-generating = Генерация
page-stage-succeeded = Готово
page-stage-failed = Ошибка
page-stage-cancelled = Отменено
page-next-in-line = Вы следующий в очереди
page-position = Место в очереди: { $position }
page-ready-in = будет готово примерно через { $seconds } с
page-model-saw = Модель получила: { $prompt }
page-key-refused = Этот ключ не принят.
page-image-expired = Срок хранения изображения истёк.
page-no-such-job = Для этого ключа такой задачи нет.
page-error = Ошибка: { $code }
page-error-timeout = Модель отвечала слишком долго.
page-error-auth = Модель не приняла учётные данные Easel.
page-error-rate-limited = Модель сейчас занята; попробуйте позже.
page-error-moderated = Модель отклонила этот промпт.
page-error-bad-request = Модель не смогла выполнить этот запрос.
page-error-backend-unavailable = Модель сейчас недоступна.
page-error-invalid-image = Модель прислала не изображение.
page-error-unknown-model = Эта модель недоступна.
page-error-expired = Срок хранения изображения истёк до показа.
page-error-photo-unavailable = Исходное фото больше недоступно.
page-error-internal = Внутри Easel что-то пошло не так.
