"""The batch optimizer: plans many tickets over many engineers at once.

Split by concept so no module grows large: ``model`` (the values), ``rules`` (the one
feasibility and cost model), ``vroom`` / ``place`` / ``pyvrp`` (the three passes), ``explain``
(why a ticket stayed unplanned), ``solver`` (runs the passes; pure), ``ops`` (the database side)
and ``tasks`` (the rq job). See docs/dispatch.md#batch-optimizer."""
