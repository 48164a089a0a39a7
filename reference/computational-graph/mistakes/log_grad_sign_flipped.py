# Log's gradient with the wrong sign: -1/a instead of 1/a.


def _log_backward(self):
    self.a.grad -= self.grad / self.a.value


Log.backward = _log_backward
