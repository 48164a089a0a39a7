# VDot adds into the vector's gradient but assigns the matrix's.


def _vdot_backward(self):
    self.a.grad += self.b.value @ self.grad
    self.b.grad = np.outer(self.a.value, self.grad)


VDot.backward = _vdot_backward
