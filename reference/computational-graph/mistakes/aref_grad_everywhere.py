# Aref adds its gradient into every entry of the vector instead of entry i only.


def _aref_backward(self):
    self.a.grad += self.grad


Aref.backward = _aref_backward
