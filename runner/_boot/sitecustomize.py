"""Start-up hook for child processes of a traced run (on PYTHONPATH only while the runner runs).

A child started by spawn or forkserver does not inherit the runner's patches: this installs them
before the child imports the demo. It does nothing unless the runner named its trace socket.
"""
import os

if os.environ.get("RUNNER_TRACE_SOCKET"):
    from runner import trace

    trace.install_hooks()
