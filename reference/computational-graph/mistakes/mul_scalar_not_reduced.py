# Mul hands a scalar input the full element-wise gradient instead of its sum.


def _mul_backward(self):
    self.a.grad = self.a.grad + self.grad * self.b.value
    self.b.grad = self.b.grad + self.grad * self.a.value


Mul.backward = _mul_backward
