# Softmax backward keeps only the diagonal of the Jacobian, p * (1 - p).


def _softmax_backward(self):
    p = self.value
    self.a.grad += self.grad * p * (1.0 - p)


SoftMax.backward = _softmax_backward
