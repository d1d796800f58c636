"""The code of the talk: the slow servers, the clients and the CPU demos, each a short plain
file that a slide shows and that runs by hand:

    python -m demos.client_threads --n 3 --url http://127.0.0.1:8000/

The engine that traces them for the slides (`python -m runner`) lives in runner/.
"""
