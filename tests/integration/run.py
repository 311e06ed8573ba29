#!/usr/bin/python3
"""Run every tests/integration/test_*.py and print one summary line:
"integration: N passed, N failed". Before it, the time each module took
(class setup included), so a slow suite shows where CI time goes.

--host-network runs only the modules that start node agents (they say
USES_HOST_NETWORK = True: bridges, nftables/iptables rules, node ports and
runc state on this machine, so they run one at a time); --no-host-network
runs the others (control plane, simulated nodes). scripts/test.sh runs the
two groups side by side."""
import os
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

args = sys.argv[1:]
group = args.pop(0) if args and args[0] in ("--host-network", "--no-host-network") else None
only = args
loader = unittest.TestLoader()
runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout)
ran = failed = skipped = 0
times = []
for name in sorted(os.listdir(here)):
    if not (name.startswith("test_") and name.endswith(".py")):
        continue
    mod = name[:-3]
    if only and mod not in only:
        continue
    if group:
        with open(os.path.join(here, name)) as f:
            host = "\nUSES_HOST_NETWORK = True" in f.read()
        if host != (group == "--host-network"):
            continue
    t0 = time.monotonic()
    result = runner.run(loader.loadTestsFromName(mod))
    times.append((time.monotonic() - t0, mod, result.testsRun))
    ran += result.testsRun
    failed += len(result.failures) + len(result.errors)
    skipped += len(result.skipped)
for secs, mod, n in sorted(times, reverse=True):
    print("integration time: %-28s %4d tests %7.1f s" % (mod, n, secs))
print("integration: %d passed, %d failed, %d skipped" % (ran - failed - skipped, failed, skipped))
sys.exit(1 if failed else 0)
