"""Email: customer status emails and staff notification emails sent over SMTP from the job
outbox, and inbound mail (new tickets, replies as notes, attachments as photos). See
docs/email.md."""
