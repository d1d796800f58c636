"""Start-up hook for child processes of a traced run (on PYTHONPATH only while the runner runs).

A child started by spawn or forkserver does not inherit the runner's patches: this installs them
before the child imports the demo, and announces the child (and each process it forks) to the
runner, whose sampler then watches its CPU. It does nothing unless the runner named its socket.
"""
import os

if os.environ.get("RUNNER_TRACE_SOCKET"):
    from runner import trace

    trace.install_hooks()
    trace.announce()
    os.register_at_fork(after_in_child=trace.announce)
