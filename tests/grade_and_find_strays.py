"""Run ``python -m autograder grade ARGS...`` as a subreaper, then print, as the last line of
stdout, JSON with its exit code and every process the batch left alive.

tests/test_adversarial.py runs it in each privilege setting. Whatever escapes a sandbox's PID
namespace is reparented here (PR_SET_CHILD_SUBREAPER) or stays under the fork server, so it is found.
Limits are short for the small models and the pictures: many attacks loop there, and most of the
test's time is spent waiting them out (the real model's checks keep a loaded machine's margin).
"""
import ctypes
import json
import os
import sys
import time
from pathlib import Path

from autograder import config
from autograder.__main__ import main
from autograder.forkserver import ForkServer

PR_SET_CHILD_SUBREAPER = 36


def alive_children(pid: int, besides: int) -> list:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found  # gone
    for task in tasks:
        try:  # a thread (the grader's lanes come and go) may end between the listing and the reading
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                status = Path(f"/proc/{child}/status").read_text()
                command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
            except OSError:
                continue  # gone
            fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
            if "zombie" not in fields["State"] and int(child) != besides:
                found.append(f"pid {child} ({command}) in state {fields['State']}, NSpid {fields.get('NSpid')}, "
                             f"parent {fields['PPid']}, children {alive_children(int(child), besides)}")
    return found


if __name__ == "__main__":
    config.TINY_CALL_TIMEOUT_S = config.FIGURES_TIMEOUT_S = 3
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)
    code = main(sys.argv[1:])
    server = ForkServer.get().proc.pid
    for _ in range(600):  # a run's last processes may still be on their way out: an init that was
        # killed waits for every process of its namespace to end, hundreds after a fork bomb
        strays = alive_children(os.getpid(), besides=server) + alive_children(server, besides=server)
        if not strays:
            break
        time.sleep(0.1)
    print(json.dumps({"code": code, "strays": strays}))
