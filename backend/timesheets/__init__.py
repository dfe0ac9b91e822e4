"""Time sheets: each engineer's day as travel, on-site, work and pause entries, derived from
the tickets' status events (never typed in twice), corrected by the engineer with a reason
(REST or offline through sync), approved and then locked by a dispatcher.

See docs/timesheets.md for the rules: which event opens and closes an entry, whose entry it is,
how device times are trusted, how corrections merge, and what approval freezes."""
