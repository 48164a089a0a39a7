# Sigmoid's derivative written with the input a instead of the output sigma(a).


def _sigmoid_backward(self):
    self.a.grad += self.grad * self.a.value * (1.0 - self.a.value)


Sigmoid.backward = _sigmoid_backward
