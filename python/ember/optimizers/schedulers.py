"""Learning-rate schedules: each returns f(step) -> learning rate, to pass as an
optimizer's learning_rate (the optimizer calls it with its uint64 step array)."""
import math
from typing import Callable, List

from .. import core as mx

__all__ = ["exponential_decay", "step_decay", "cosine_decay", "linear_schedule", "join_schedules"]


def exponential_decay(init: float, decay_rate: float) -> Callable:
    """init * decay_rate**step."""
    return lambda step: init * decay_rate**step


def step_decay(init: float, decay_rate: float, step_size: int) -> Callable:
    """init * decay_rate**(step // step_size)."""
    if step_size < 1:
        raise ValueError(f"step_size must be greater than 0, but got {step_size}.")
    return lambda step: init * decay_rate ** (step // step_size)


def cosine_decay(init: float, decay_steps: int, end: float = 0.0) -> Callable:
    """Half a cosine from init (step 0) to end (step decay_steps and after)."""
    if decay_steps < 1:
        raise ValueError(f"decay_steps must be greater than 0, but got {decay_steps}.")

    def schedule(step):
        t = mx.minimum(step, decay_steps)
        return end + 0.5 * (1.0 + mx.cos((math.pi / decay_steps) * t)) * (init - end)

    return schedule


def linear_schedule(init: float, end: float, steps: int) -> Callable:
    """A straight line from init (step 0) to end (step `steps` and after)."""
    if steps < 1:
        raise ValueError(f"steps must be greater than 0, but got {steps}.")

    def schedule(step):
        return mx.minimum(step, steps) * ((end - init) / steps) + init

    return schedule


def join_schedules(schedules: List[Callable], boundaries: List[int]) -> Callable:
    """schedules[0] until boundaries[0], then schedules[1] restarted at step 0, and so on."""
    if len(schedules) == 0:
        raise ValueError("Must provide at least 1 schedule to join.")
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(f"Received {len(boundaries)} boundaries but expected {len(schedules) - 1}.")

    def schedule(step):
        lr = schedules[0](step)
        for boundary, later in zip(boundaries, schedules[1:]):
            lr = mx.where(step < boundary, lr, later(step - boundary))
        return lr

    return schedule
