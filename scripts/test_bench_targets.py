"""The cold-start targets `make bench` fails on (scripts/bench.py `missed_targets`), on made-up runs.

Run: python3 -m unittest scripts/test_bench_targets.py   (`make ci-check` runs it)
"""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def run(**own: tuple[float, float]) -> dict:
    """A bench result: function → (init own, first answer own) medians, ms."""
    return {"functions": {name: {"init_own": {"median": i}, "first_own": {"median": f}} for name, (i, f) in own.items()}}


class Targets(unittest.TestCase):
    def test_within_twice_the_baseline_passes(self):
        self.assertEqual(bench.missed_targets(run(**{bench.BASELINE: (4.0, 5.0)}, catalog=(8.0, 10.0))), [])

    def test_beyond_twice_the_baseline_names_the_function_and_the_phase(self):
        missed = bench.missed_targets(run(**{bench.BASELINE: (4.0, 5.0)}, catalog=(8.1, 6.0), account=(5.0, 12.0)))
        self.assertEqual(len(missed), 2)
        self.assertTrue(missed[0].startswith("catalog: init, own time 8.1 ms = 2.02×"), missed[0])
        self.assertTrue(missed[1].startswith("account: first answer, own time 12.0 ms = 2.40×"), missed[1])


if __name__ == "__main__":
    unittest.main()
