"""Drivers for regression-and-classification-nets.

Each test calls one loss function on the generated params and data and compares
the loss and every entry of grads. Small cases also return the numeric gradient
of the submitted function's own loss with respect to each parameter (centred
differences, h = 1e-5).

Every call first runs under np.errstate(over="raise", invalid="raise"). If that
raises FloatingPointError, the call is run again with the warnings ignored, its
values are compared as usual, and the result `overflow_warnings` is 1 instead of
the reference's 0, so the test fails (the statement promises a stable loss).
"""

import numpy as np

import gradelib
import nets

KEYS = ("W1", "b1", "W2", "b2")


def _guarded(call):
    """(call(), 0.0) if it runs clean under raise-on-overflow/invalid, else (call() ignoring them, 1.0)."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            return call(), 0.0
    except FloatingPointError:
        with np.errstate(all="ignore"):
            return call(), 1.0


def _net_test(name, case, call_with):
    params = case["params"]
    fn = getattr(nets, name)

    def call():
        copies = {k: params[k].copy() for k in KEYS}
        loss, grads = gradelib.expect_tuple(call_with(fn, copies), 2, name)
        return loss, gradelib.expect_dict(grads, KEYS, name + "'s grads")

    (loss, grads), warned = _guarded(call)
    result = {"loss": loss, "grads": grads, "overflow_warnings": warned}
    if case["numgrad"]:
        with np.errstate(all="ignore"):
            result["@numgrad"] = {"grads": {k: gradelib.numeric_gradient(lambda: call()[0], params[k]) for k in KEYS}}
    return result


def regression_net_loss(case):
    X, Y, activation = case["X"], case["Y"], case["activation"]

    def call_with(fn, params):
        if activation is None:
            return fn(params, X.copy(), Y.copy())
        return fn(params, X.copy(), Y.copy(), activation=activation)

    return _net_test("regression_net_loss", case, call_with)


def classification_net_loss(case):
    X, y = case["X"], case["y"]
    return _net_test("classification_net_loss", case, lambda fn, params: fn(params, X.copy(), y.copy()))
