"""Run one command and print its wall seconds, CPU seconds and peak RSS as JSON.

run.py measures every tool through this small process rather than directly: a child's peak
RSS (wait4's ru_maxrss) starts from its parent's resident size at fork, and the runner holds
pandas and the FEBRL data, so measuring from the runner would floor every figure at ~250 MiB.

    python measure.py CMD [ARG...]     # prints {"wall_s":..., "cpu_s":..., "peak_mib":..., "exit": N}
"""

import json
import os
import subprocess
import sys
import time


def main() -> None:
    start = time.perf_counter()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "wall_s": round(wall, 3),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                "peak_mib": round(usage.ru_maxrss / 1024, 1),
                "exit": os.waitstatus_to_exitcode(status),
            }
        )
    )


if __name__ == "__main__":
    main()
