# Every node assigns its share of the gradient instead of adding it.


def _vdot_backward(self):
    self.a.grad = self.b.value @ self.grad
    self.b.grad = np.outer(self.a.value, self.grad)


def _add_backward(self):
    self.a.grad = self.grad
    self.b.grad = self.grad


def _mul_backward(self):
    self.a.grad = _sum_to(self.grad * self.b.value, np.shape(self.a.value))
    self.b.grad = _sum_to(self.grad * self.a.value, np.shape(self.b.value))


def _sigmoid_backward(self):
    self.a.grad = self.grad * self.value * (1.0 - self.value)


def _softmax_backward(self):
    p = self.value
    self.a.grad = p * (self.grad - np.dot(self.grad, p))


def _log_backward(self):
    self.a.grad = self.grad / self.a.value


def _aref_backward(self):
    g = np.zeros(np.shape(self.a.value))
    g[int(self.i.value)] = self.grad
    self.a.grad = g


VDot.backward = _vdot_backward
Add.backward = _add_backward
Mul.backward = _mul_backward
Sigmoid.backward = _sigmoid_backward
SoftMax.backward = _softmax_backward
Log.backward = _log_backward
Aref.backward = _aref_backward
