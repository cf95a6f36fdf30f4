"""How long a training step takes to simulate: first run (every operator shape simulated on
the engine) and cached run (every shape from the cache), with the step's figures.

The issue's targets: a 7B step on 8 GPUs in <= 30 s the first time and <= 3 s cached; a
70B-class step on 64 GPUs in <= 60 s. "First" here means the training cache folder is empty
(a fresh temporary one); traces and the engine's machine code may already be cached.

    python bench/bench_training.py                                  # the 7B scenario
    python bench/bench_training.py docs/examples/training_70b_64gpu.toml
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gpusim.scenario import load_scenario
from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.simulate import simulate_training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="docs/examples/training_7b_8gpu.toml")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    assert isinstance(scenario.hardware, SystemSpec)
    assert isinstance(scenario.workload, TrainingStepWorkload)
    print(f"{scenario.name}: {scenario.workload.describe()}")
    print(f"{'run':8} {'wall s':>8} {'cpu s':>8} {'simulated':>9} {'step s':>9} {'MFU':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for run in ("first", "cached"):
            wall_start_s, cpu_start_s = time.perf_counter(), time.process_time()
            result = simulate_training(
                scenario.hardware, scenario.workload, costs_folder=Path(folder)
            )
            wall_s = time.perf_counter() - wall_start_s
            cpu_s = time.process_time() - cpu_start_s
            print(
                f"{run:8} {wall_s:8.1f} {cpu_s:8.1f} {result.operators_simulated:9d} "
                f"{result.step_s:9.3f} {result.mfu:6.1%}"
            )


if __name__ == "__main__":
    main()
