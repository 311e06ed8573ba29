#!/usr/bin/python3
"""Run every tests/integration/test_*.py and print one summary line:
"integration: N passed, N failed"."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

only = sys.argv[1:]
loader = unittest.TestLoader()
suite = unittest.TestSuite()
for name in sorted(os.listdir(here)):
    if name.startswith("test_") and name.endswith(".py"):
        mod = name[:-3]
        if only and mod not in only:
            continue
        suite.addTests(loader.loadTestsFromName(mod))

result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = len(result.failures) + len(result.errors)
passed = result.testsRun - failed - len(result.skipped)
print("integration: %d passed, %d failed, %d skipped" % (passed, failed, len(result.skipped)))
sys.exit(1 if failed else 0)
