"""Automation rules: when <event> if <conditions> then <actions>, kept as data, run after the
event commits, audited ``via='automation'``; see docs/automation.md."""
