"""Work orders (tickets): the state machine, SLA, audit trail and notes."""
