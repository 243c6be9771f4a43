#!/usr/bin/env python3
"""A TRL `environment_factory` class over `tw gym serve`, so that GRPOTrainer rolls out in our sessions.

TRL's GRPOTrainer(environment_factory=...) makes one instance per rollout, calls `reset(**row)`
before each generation (its return value is appended to the prompt), and exposes every public
method other than `reset` as a tool (the docstring is the tool's description). The reward
function receives the instances as `environments`.

    # terminal 1
    npx tw gym serve --backend real --task any          # or --backend learned
    # terminal 2 (pip install trl)
    from trl import GRPOConfig, GRPOTrainer
    from trl_env import TerminalEnv, task_reward
    trainer = GRPOTrainer(
        model="Qwen/Qwen3-0.6B",
        reward_funcs=task_reward,
        train_dataset=dataset,            # rows with a "prompt" (and optionally "seed")
        environment_factory=TerminalEnv,
        args=GRPOConfig(...),
    )
    trainer.train()

Only the standard library is needed here (tw_gym_client.py beside this file).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tw_gym_client import GymError, WSEnv  # noqa: E402

GYM_URL = os.environ.get("TW_GYM_URL", "http://127.0.0.1:8000")
GYM_TOKEN = os.environ.get("TW_GYM_TOKEN")


class TerminalEnv:
    """One terminal session (a fresh sandbox per episode) for one rollout."""

    def __init__(self):
        self.env = WSEnv(GYM_URL, GYM_TOKEN)
        self.reward = 0.0
        self.done = False

    def reset(self, **kwargs):
        params = {}
        if "seed" in kwargs and kwargs["seed"] is not None:
            params["seed"] = int(kwargs["seed"])
        r = self.env.reset(**params)
        self.reward, self.done = 0.0, False
        obs = r["observation"]
        return obs.get("instruction") or "You are in a bash shell. Work in the terminal."

    def run_command(self, command: str) -> str:
        """Run one bash command in the terminal and return what it printed and its exit status.

        Args:
            command: the command line to run, e.g. `ls -la /root`.

        Returns:
            The command's output followed by its exit status.
        """
        if self.done:
            return "The episode is over."
        try:
            r = self.env.step({"command": command})
        except GymError as e:
            return f"error: {e}"
        o = r["observation"]
        self._finish(r)
        return f"{o['output']}[exit {o['exit']}]"

    def submit(self) -> str:
        """Declare the task complete. The task's checker then runs and scores the work.

        Returns:
            Whether the task was solved.
        """
        if self.done:
            return "The episode is over."
        r = self.env.step({"submit": True})
        self._finish(r)
        return "solved" if self.reward > 0 else "not solved"

    def _finish(self, r):
        if r["done"]:
            self.done = True
            self.reward = float(r["reward"] or 0.0)


def task_reward(environments, **kwargs):
    """Reward function for GRPOTrainer: the verifier's result of each rollout's episode."""
    return [env.reward for env in environments]


if __name__ == "__main__":
    # Smoke run without TRL: one episode driven by hand.
    env = TerminalEnv()
    print(env.reset(seed=1))
    print(env.run_command("ls /root"))
    print(env.submit(), task_reward([env]))
