"""Drivers for layers.

Forward tests compare `out` (and, for batch norm, the running statistics the
call wrote back into bn_param). Backward tests build the cache with the
submitted forward on the generated inputs, call the submitted backward with the
generated dout and compare every gradient; small cases also return the numeric
gradient of the submitted forward (centred differences of sum(out * dout)).
Every call gets fresh copies of the inputs, so in-place changes do no harm.
"""

import copy

import numpy as np

import gradelib
import layers


def _fresh(value):
    return copy.deepcopy(value)


def _forward(name, *args):
    return gradelib.expect_tuple(getattr(layers, name)(*_fresh(args)), 2, name)


def _out(name, *args):
    return _forward(name, *args)[0]


# ---------------------------------------------------------------- affine

def affine_forward(case):
    return {"out": _out("affine_forward", case["x"], case["w"], case["b"])}


def affine_backward(case):
    x, w, b, dout = case["x"], case["w"], case["b"], case["dout"]
    _, cache = _forward("affine_forward", x, w, b)
    dx, dw, db = gradelib.expect_tuple(layers.affine_backward(_fresh(dout), cache), 3, "affine_backward")
    result = {"dx": dx, "dw": dw, "db": db}
    if case["numgrad"]:
        def fwd():
            return _out("affine_forward", x, w, b)

        result["@numgrad"] = {
            "dx": gradelib.numeric_gradient(fwd, x, dout),
            "dw": gradelib.numeric_gradient(fwd, w, dout),
            "db": gradelib.numeric_gradient(fwd, b, dout),
        }
    return result


# ---------------------------------------------------------------- dropout

def _dropout(case):
    return _forward("dropout_forward", case["x"], case["p_keep"], case["mask"], case["mode"])


def dropout_forward(case):
    return {"out": _dropout(case)[0]}


def dropout_backward(case):
    _, cache = _dropout(case)
    dx = layers.dropout_backward(_fresh(case["dout"]), cache)
    result = {"dx": dx}
    if case["numgrad"]:
        def fwd():
            return _dropout(case)[0]

        result["@numgrad"] = {"dx": gradelib.numeric_gradient(fwd, case["x"], case["dout"])}
    return result


# ---------------------------------------------------------------- batch norm

def _batchnorm(case):
    bn_param = _fresh(case["bn_param"])
    out, cache = gradelib.expect_tuple(
        layers.batchnorm_forward(_fresh(case["x"]), _fresh(case["gamma"]), _fresh(case["beta"]), bn_param),
        2,
        "batchnorm_forward",
    )
    return out, cache, bn_param


def batchnorm_forward(case):
    out, _, bn_param = _batchnorm(case)
    if not isinstance(bn_param, dict) or "running_mean" not in bn_param or "running_var" not in bn_param:
        raise gradelib.SubmissionTypeError("batchnorm_forward removed running_mean or running_var from bn_param")
    return {
        "out": out,
        "running_mean": np.asarray(bn_param["running_mean"]),
        "running_var": np.asarray(bn_param["running_var"]),
    }


def batchnorm_backward(case):
    _, cache, _ = _batchnorm(case)
    dx, dgamma, dbeta = gradelib.expect_tuple(
        layers.batchnorm_backward(_fresh(case["dout"]), cache), 3, "batchnorm_backward"
    )
    result = {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}
    if case["numgrad"]:
        def fwd():
            return _batchnorm(case)[0]

        dout = case["dout"]
        result["@numgrad"] = {
            "dx": gradelib.numeric_gradient(fwd, case["x"], dout),
            "dgamma": gradelib.numeric_gradient(fwd, case["gamma"], dout),
            "dbeta": gradelib.numeric_gradient(fwd, case["beta"], dout),
        }
    return result


# ---------------------------------------------------------------- convolution

def conv_forward(case):
    return {"out": _out("conv_forward", case["x"], case["w"], case["b"], case["conv_param"])}


def conv_backward(case):
    x, w, b, conv_param, dout = case["x"], case["w"], case["b"], case["conv_param"], case["dout"]
    _, cache = _forward("conv_forward", x, w, b, conv_param)
    dx, dw, db = gradelib.expect_tuple(layers.conv_backward(_fresh(dout), cache), 3, "conv_backward")
    result = {"dx": dx, "dw": dw, "db": db}
    if case["numgrad"]:
        def fwd():
            return _out("conv_forward", x, w, b, conv_param)

        result["@numgrad"] = {
            "dx": gradelib.numeric_gradient(fwd, x, dout),
            "dw": gradelib.numeric_gradient(fwd, w, dout),
            "db": gradelib.numeric_gradient(fwd, b, dout),
        }
    return result


# ---------------------------------------------------------------- max pooling

def max_pool_forward(case):
    return {"out": _out("max_pool_forward", case["x"], case["pool_param"])}


def max_pool_backward(case):
    x, pool_param, dout = case["x"], case["pool_param"], case["dout"]
    _, cache = _forward("max_pool_forward", x, pool_param)
    result = {"dx": layers.max_pool_backward(_fresh(dout), cache)}
    if case["numgrad"]:
        def fwd():
            return _out("max_pool_forward", x, pool_param)

        result["@numgrad"] = {"dx": gradelib.numeric_gradient(fwd, x, dout)}
    return result
