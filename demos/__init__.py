"""The demo engine: a slow server, the clients of the talk, and a tracer.

Every client runs by hand (`python -m demos.client_threads --n 3 --url URL`)
and under the runner (`python -m demos.run threads --json`), which traces it
without changing its code.
"""
