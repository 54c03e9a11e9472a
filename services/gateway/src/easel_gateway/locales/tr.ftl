# Everything the gateway says to Telegram users. Plain text (no parse mode): user input
# echoed back can never break formatting. Numbers that are ids (users, seeds) arrive as
# text, so they are never grouped (1,234).

## A request's first status, and why one is not queued

status-enhancing = 🎨 İstem geliştiriliyor…
queue-failed = ⚠️ Easel isteğinizi şu anda sıraya alamadı; lütfen tekrar deneyin.
blocked = 🚫 Üzgünüm, bunu oluşturamam: istem, bu botun yöneticisinin izin vermediği sözcükler içeriyor. Lütfen farklı bir şekilde ifade edin.
not-allowed = 🔒 Üzgünüm, bu bot yalnızca davet edilen kullanıcılara açık. Erişim için botun yöneticisine başvurun.
rate-limited = ⏱️ Biraz yavaşlayın: { $window } sn içinde en fazla { $limit } görsel. { $wait } sn sonra tekrar deneyin.
too-many-active = ⏳ Şu anda { $limit ->
        [one] { $limit } isteğiniz
       *[other] { $limit } isteğiniz
    } işleniyor; aynı anda en fazla bu kadar olabilir. Birinin bitmesini bekleyin ya da /cancel ile birini iptal edin.
unknown-command = { $name-command } komutunu bilmiyorum. Neler yapabildiğimi görmek için /help gönderin.

## Rejected commands

which-model = Hangi model? Kullanılabilir modeller: { $models }. Örnek: /image={ $default }=bir kedi
unknown-model = Bilinmeyen model: “{ $name }”. Kullanılabilir modeller: { $models }.
empty-prompt = ✏️ İstem boş — şunu deneyin: /image={ $model }=pencere kenarında bir kedi
prompt-too-long = ✂️ İstem { $length } karakter; sınır { $limit }. Lütfen kısaltın.
bad-parameter = ⚙️ { $detail }
photo-not-taken = 🖼️ { $model } bir fotoğraftan yola çıkarak görsel oluşturamaz.
photo-not-taken-others = 🖼️ { $model } bir fotoğraftan yola çıkarak görsel oluşturamaz. Bunu yapabilen modeller: { $models }.
photo-needed = 🖼️ { $model } bir fotoğraftan yola çıkar: komutu bir fotoğrafın açıklaması olarak ya da bir fotoğrafa yanıt olarak gönderin.

## Parameters (--size, --seed …) out of range

param-unknown = Bilinmeyen parametre: --{ $flag }. Bilinenler: { $known }.
param-twice = --{ $flag } iki kez verilmiş.
param-no-value = --{ $flag } bir değer gerektirir, ör. { $example }.
param-size-and-ar = --size ya da --ar verin, ikisini birden değil.
param-strength-without-photo = --strength bir fotoğraf içindir: komutu bir fotoğrafın açıklaması olarak ya da bir fotoğrafa yanıt olarak gönderin.
param-seed = --seed, 0 ile { $max } arasında bir tam sayı alır.
param-negative-too-long = --no en fazla { $max } karakter alabilir.
param-steps = --steps, 1 ile 150 arasında bir tam sayı alır.
param-strength = --strength, 0.0 ile 1.0 arasında bir sayı alır.
param-size-form = --size WxH biçiminde olmalı, ör. --size 1024x1024.
param-size-not-made = { $model } şu boyutlarda üretir: { $sizes }; { $size } desteklenmiyor.
param-size-range = --size her kenar için 64 ile 4096 piksel arasında olmalı.
param-ar-form = --ar W:H biçiminde olmalı, ör. --ar 16:9.
param-ar-no-sizes = { $model } seçilebilecek bir boyut listesi sunmuyor: --size WxH verin.

## /start, /help, /models

start = 👋 Merhaba! Ben Easel: bana bir betimleme gönderin, ben de resmini yapayım.

    Şunu deneyin: /image pencere kenarında bir kedi

    { $help }
help =
    /image <prompt> — { $default } ile bir görsel
    /image={ $other }=<prompt> — modeli siz seçin, ör. /image={ $other }=alacakaranlıkta bir deniz feneri
    { $other-command } <prompt> — aynısı, daha kısa
      istemden sonra, model destekliyorsa: --ar 16:9  --size 1024x1024  --seed 42  --no yazı, filigran  --steps 30
      bir fotoğrafın açıklaması olarak ya da bir fotoğrafa yanıt olarak, ondan yola çıkmak için: --strength 0.5
    /status — devam eden istekleriniz
    /cancel — devam eden isteklerinizi iptal eder
    /history — son görselleriniz; birini yeniden almak için
    /models — kullanabileceğiniz modeller
    /language — yanıt verdiğim dil
    /help — bu mesaj

    İstemler: en fazla { $prompt-limit } karakter. { $window } sn içinde en fazla { $limit } görsel.
models-title = Kullanılabilir modeller:
models-default = { $name } — { $display } (varsayılan)
models-other = { $name } — { $display }
models-usage = Birini kullanmak için: /image={ $default }=<prompt> veya { $default-command } <prompt>

## The command menu (setMyCommands)

command-image = Bir görsel oluşturun: /image <prompt>
command-status = Devam eden istekleriniz
command-cancel = Devam eden isteklerinizi iptal edin
command-history = Son görselleriniz
command-models = Kullanabileceğiniz modeller
command-language = Yanıt verdiğim dil
command-help = Easel nasıl kullanılır
command-allow = Yönetici: bir kullanıcıya izin verin: /allow <user id>
command-deny = Yönetici: bir kullanıcıyı engelleyin: /deny <user id>
command-pause = Yönetici: bir modeli duraklatın: /pause <model> [reason]
command-resume = Yönetici: bir modeli sürdürün: /resume <model>
command-stats = Yönetici: model başına kuyruklar, işler ve hatalar

## /language

language-choose = 🌐 Hangi dilde yanıt vereyim?
language-set = 🌐 Bundan sonra Türkçe yanıt vereceğim.

## The user's own jobs: /status, /cancel, /history and their buttons

none-in-progress = Devam eden isteğiniz yok.
none-in-progress-start = Devam eden isteğiniz yok. Başlatmak için /image <prompt> gönderin.
cancelled-count = ✖ { $count ->
        [one] { $count } istek
       *[other] { $count } istek
    } iptal edildi.
status-title = Devam eden istekleriniz:
status-line = • { $model } — { $stage }: “{ $prompt }”
status-line-place = • { $model } — { $stage }, sıra { $place }: “{ $prompt }”
status-line-place-eta = • { $model } — { $stage }, sıra { $place }, { $eta }: “{ $prompt }”
status-line-eta = • { $model } — { $stage }, { $eta }: “{ $prompt }”
history-empty = Henüz görsel yok. Başlamak için /image <prompt> gönderin.
history-title = Son { $count ->
        [one] isteğiniz
       *[other] { $count } isteğiniz
    }:
history-line = { $n }. { $model } · “{ $prompt }” · { $stage } · { $when }
history-again = 🖼️ Tekrar: { $n }
ago-days = { $count } gün önce
ago-hours = { $count } sa önce
ago-minutes = { $count } dk önce
ago-now = az önce
stage-enhancing = istem geliştiriliyor
stage-waiting = sırada
stage-generating = oluşturuluyor
stage-sending = gönderiliyor
stage-delivered = teslim edildi
stage-failed = başarısız oldu
stage-cancelled = iptal edildi
cancelled = İptal edildi.
not-yours = Bu sizin isteğiniz değil.
unknown-job = Bu istek bilinmiyor (ya da artık kayıtlı değil).
photo-gone = Bu görsel artık mevcut değil.
ended-delivering = Çok geç: görsel yolda.
ended-delivered = Zaten teslim edildi.
ended-failed = Zaten başarısız oldu.
ended-cancelled = Zaten iptal edildi.
ended = Zaten sona erdi.

## Photos to start from, and the buttons under a delivered one

no-photo = 🖼️ Easel fotoğrafınızı Telegram'dan alamadı; lütfen yeniden gönderin.
start-photo-gone = 🖼️ Başlangıç fotoğrafı artık saklanmıyor; lütfen yeniden gönderin.
on-it = Hemen başlıyorum!

## The admins' controls

admins-only = Bu komut yalnızca botun yöneticileri içindir.
control-failed = ⚠️ NATS yanıt vermedi; hiçbir şey değiştirilmedi. Lütfen tekrar deneyin.
user-allowed = ✅ Kullanıcı { $user } artık botu kullanabilir.
user-denied = ⛔ Kullanıcı { $user } artık botu kullanamaz.
paused = ⏸ { $model } duraklatıldı: işleri sırasıyla, /resume { $model } gönderilene kadar bekleyecek. Sebep belirtilmedi.
paused-why = ⏸ { $model } duraklatıldı: işleri sırasıyla, /resume { $model } gönderilene kadar bekleyecek. Kullanıcılara gösterilen sebep: { $reason }
resumed = ▶️ { $model } yeniden çalışıyor.
not-paused = { $model } duraklatılmamıştı.
stats-title = 📊 Easel
stats-model = { $model }: { $paused ->
        [yes] ⏸ duraklatıldı
       *[no] çalışıyor
    }, devre kesici { $circuit }
      kuyruk { $depth }, en eski bekleme { $wait } sn
      son bir saat: { $requested } istendi, { $delivered } teslim edildi, { $failed } başarısız, { $cancelled } iptal edildi
circuit-closed = kapalı
circuit-open = { $since } UTC'den beri açık
circuit-half-open = { $since } UTC'den beri yarı açık
usage-user = { $action-command } <Telegram user id>, ör. { $action-command } 12345
usage-model = { $action-command } <model> — şunlardan biri: { $models }
usage-reason = Sebep en fazla { $max } karakter olabilir.

## The web page at / (in the browser's language; `{name}` is filled in by the page)

page-key-label = API anahtarı
page-key-save = Bu anahtarı kullan
page-key-hint = Yalnızca bu tarayıcıda saklanır. Bir yönetici şu komutla oluşturur: easel keys create NAME
page-model = Model
page-prompt = İstem
page-prompt-example = pencere kenarında bir kedi
page-generate = Oluştur
page-forget = Anahtarı unut
page-cancel = İptal
page-connecting = Bağlanıyor…
page-stage-queued = Sırada
page-stage-enhancing = İstem geliştiriliyor
page-stage-waiting = Sıra bekleniyor
page-stage-generating = Oluşturuluyor
page-stage-succeeded = Hazır
page-stage-failed = Başarısız
page-stage-cancelled = İptal edildi
page-next-in-line = Sıradaki sizsiniz
page-position = Sıradaki yeriniz: { $position }
page-ready-in = yaklaşık { $seconds } sn içinde hazır
page-model-saw = Modelin gördüğü: { $prompt }
page-key-refused = Bu anahtar reddedildi.
page-image-expired = Görselin süresi doldu.
page-no-such-job = Bu anahtar için böyle bir iş yok.
page-error = Hata: { $code }
page-error-timeout = Model çok uzun sürdü.
page-error-auth = Model, Easel'in kimlik bilgilerini reddetti.
page-error-rate-limited = Model şu anda meşgul; daha sonra tekrar deneyin.
page-error-moderated = Model bu istemi reddetti.
page-error-bad-request = Model bu isteği işleyemedi.
page-error-backend-unavailable = Model şu anda kullanılamıyor.
page-error-invalid-image = Modelin gönderdiği şey bir görsel değil.
page-error-unknown-model = Bu model kullanılamıyor.
page-error-expired = Görselin süresi gösterilmeden önce doldu.
page-error-photo-unavailable = Başlangıç fotoğrafı artık mevcut değil.
page-error-internal = Easel'in içinde bir şeyler ters gitti.
