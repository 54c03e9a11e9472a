"""The gateway's pure core, shared by its front doors: what a command says, whether it may
become a job, the claim and rate-limit decisions, and the job it creates. No I/O."""
