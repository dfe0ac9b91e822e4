"""Customer sign-off: completion rules, signature capture (strokes or PNG rendered with
Pillow and stored as media), write-once sign-off records, and the service report PDF
(docs/sync-protocol.md, merge rules)."""
