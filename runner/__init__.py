"""The demo engine: the runner, its tracer, the launcher of slow servers, the catalog of demos
and the one table of run parameters.

    python -m runner threads --n 9 --delay 0.5     # a demo, traced: a table per request
    python -m runner threads --json                # the same as JSON lines (what the app streams)
    python -m runner --list

Imports run one way: app.py -> live -> runner -> demos. The files a slide shows stay in demos/.
"""
