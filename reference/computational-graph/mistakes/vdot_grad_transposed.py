# VDot's matrix gradient built as outer(grad, a): the transpose of the right one.


def _vdot_backward(self):
    self.a.grad += self.b.value @ self.grad
    self.b.grad += np.outer(self.grad, self.a.value)


VDot.backward = _vdot_backward
