"""Job types: templates of planned work (default priority, required skills, estimated
duration, suggested parts, completion rules) with versioned checklists; docs/planned-work.md."""
