"""`just chaos`: the whole system under SIGKILLs, a NATS restart and failing backends, with
every request's outcome checked from where its user sits (the Bot API stand-in).

`plan` says what a run does, `users` plays Telegram (webhook POSTs, retried as Telegram
does), `supervisor` kills and restarts, `outcomes` judges what each user saw (pure),
`backends` judges the workers' view of the failing-backends run (pure), `scenarios`
runs the two scenarios, `report` prints them.
"""
