"""The run line: jobs wait in one line per server and run, in order, on long-lived workers.

`limits` (what a server allows), `protocol` (the typed messages between the line and its workers),
`job` (one run's state), `worker` (a run slot), `process` (a local worker process, served by
`serve`), `actors` (a Ray actor per slot), `queue` (the line's rules) and `executors` (which kind of
worker, from an explicit address).
"""
