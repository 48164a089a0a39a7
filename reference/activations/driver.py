"""Drivers for activations.

Forward tests compare `out`. Backward tests build the cache with the submitted
forward on the generated x, call the submitted backward with the generated dout
and compare `dx`; small cases also return the numeric gradient of the submitted
forward (centred differences of sum(out * dout)).

Every call first runs under np.errstate(over="raise", invalid="raise"). If that
raises FloatingPointError, the call is run again with the warnings ignored, its
values are compared as usual, and the result `overflow_warnings` is 1 instead of
the reference's 0, so the test fails (as the statement says) with a diagnosis.
"""

import numpy as np

import activations
import gradelib


def _guarded(call):
    """(call(), 0.0) if it runs clean under raise-on-overflow/invalid, else (call() ignoring them, 1.0)."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            return call(), 0.0
    except FloatingPointError:
        with np.errstate(all="ignore"):
            return call(), 1.0


def _call_forward(name, case):
    fn = getattr(activations, name + "_forward")
    x = case["x"].copy()
    if case.get("alpha") is None:
        value = fn(x)
    else:
        value = fn(x, alpha=case["alpha"])
    return gradelib.expect_tuple(value, 2, name + "_forward")


def _forward_test(name, case):
    (out, _), warned = _guarded(lambda: _call_forward(name, case))
    return {"out": out, "overflow_warnings": warned}


def _backward_test(name, case):
    backward = getattr(activations, name + "_backward")

    def call():
        _, cache = _call_forward(name, case)
        return backward(case["dout"].copy(), cache)

    dx, warned = _guarded(call)
    result = {"dx": dx, "overflow_warnings": warned}
    if case["numgrad"]:

        def forward():
            return _call_forward(name, case)[0]

        with np.errstate(all="ignore"):
            result["@numgrad"] = {"dx": gradelib.numeric_gradient(forward, case["x"], case["dout"])}
    return result


def relu_forward(case):
    return _forward_test("relu", case)


def relu_backward(case):
    return _backward_test("relu", case)


def leaky_relu_forward(case):
    return _forward_test("leaky_relu", case)


def leaky_relu_backward(case):
    return _backward_test("leaky_relu", case)


def sigmoid_forward(case):
    return _forward_test("sigmoid", case)


def sigmoid_backward(case):
    return _backward_test("sigmoid", case)


def tanh_forward(case):
    return _forward_test("tanh", case)


def tanh_backward(case):
    return _backward_test("tanh", case)


def gelu_forward(case):
    return _forward_test("gelu", case)


def gelu_backward(case):
    return _backward_test("gelu", case)
