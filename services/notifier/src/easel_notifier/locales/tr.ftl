# Everything the notifier says in Telegram: status lines, the caption, failures. A
# failure's text is fixed per error code: an event's `detail` never reaches a user, so no
# URL, key or stack trace can leak through one.

## The status message, edited in place

queued = ⏳ { $model } kuyruğu: sıra { $position }
queued-eta = ⏳ { $model } kuyruğu: sıra { $position } · { $eta }
generating = 🖼️ { $model } ile oluşturuluyor…
generating-eta = 🖼️ { $model } ile oluşturuluyor… { $eta }
generating-percent = 🖼️ { $model } ile oluşturuluyor… %{ $percent }
sending = 📤 Gönderiliyor…
cancelled = ✖ İptal edildi: { $model } görseliniz oluşturulmayacak.

## The photo's caption

caption-head = 🎨 { $model } ile oluşturuldu
caption-seed = 🌱 Seed: { $seed }
caption-ignored = ⚙️ Yok sayıldı ({ $model } için geçerli değil): { $flags }
caption-enhanced = ✨ Geliştirilmiş istem:
caption-prompt = ✏️ İstem:
caption-yours = 💬 Sizin yazdığınız:

## Failures, one per error code

failure-auth = 🔧 { $model } hizmeti kimlik bilgilerimizi reddetti. Ekibe haber verildi; lütfen başka bir model deneyin.
failure-rate-limited = 🚦 { $model } hizmeti şu anda çok yoğun ve bizden yavaşlamamızı istedi. Lütfen birkaç dakika sonra tekrar deneyin.
failure-moderated = 🚫 Üzgünüz, isteminiz modelin güvenlik filtresi tarafından reddedildi. Lütfen farklı bir şekilde ifade edip tekrar deneyin.
failure-timeout = ⏱️ { $model } görselinizi oluşturmakta çok geç kaldı. Lütfen birazdan tekrar deneyin.
failure-backend-unavailable = 🔌 { $model } hizmeti şu anda kullanılamıyor. Lütfen daha sonra tekrar deneyin ya da başka bir model seçin.
failure-invalid-image = 🧩 { $model } kullanamadığımız bir görsel döndürdü. Lütfen tekrar deneyin.
failure-bad-request = ✏️ { $model } bu istemle çalışamadı. Lütfen farklı bir şekilde ifade edip tekrar deneyin.
failure-unknown-model = ❓ { $model } modeli kullanılamıyor. Lütfen başka bir model seçin.
failure-expired = ⌛ { $model } görseliniz hazırdı, ancak gönderilemeden süresi doldu. Lütfen isteğinizi yeniden gönderin.
failure-photo-unavailable = 🖼️ Başlangıç fotoğrafı artık mevcut değil. Lütfen yeniden gönderin.
failure-internal = ⚠️ Görselinizi oluştururken bizim tarafımızda bir sorun oluştu. Ekibe haber verildi; lütfen tekrar deneyin.
