"""Drivers for linear-model-losses: call one loss on (z, y), compare loss and dz.

Every call first runs under np.errstate(over="raise", invalid="raise"). If that
raises FloatingPointError, the call is run again with the warnings ignored, its
values are compared as usual, and the result `overflow_warnings` is 1 instead of
the reference's 0, so the test fails (the statement promises stable losses).
Small cases also return the numeric gradient of the submitted loss with respect
to z (centred differences, h = 1e-5).
"""

import numpy as np

import gradelib
import losses


def _guarded(call):
    """(call(), 0.0) if it runs clean under raise-on-overflow/invalid, else (call() ignoring them, 1.0)."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            return call(), 0.0
    except FloatingPointError:
        with np.errstate(all="ignore"):
            return call(), 1.0


def _loss_test(name, case):
    fn = getattr(losses, name)
    z, y = case["z"], case["y"]

    def call():
        return gradelib.expect_tuple(fn(z.copy(), y.copy()), 2, name)

    (loss, dz), warned = _guarded(call)
    result = {"loss": loss, "dz": dz, "overflow_warnings": warned}
    if case["numgrad"]:
        with np.errstate(all="ignore"):
            result["@numgrad"] = {"dz": gradelib.numeric_gradient(lambda: call()[0], z)}
    return result


def perceptron_loss(case):
    return _loss_test("perceptron_loss", case)


def adaline_loss(case):
    return _loss_test("adaline_loss", case)


def hinge_loss(case):
    return _loss_test("hinge_loss", case)


def logistic_loss(case):
    return _loss_test("logistic_loss", case)
